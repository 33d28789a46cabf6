package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// linkUnnamed writes data to a file without a name in dir (O_TMPFILE),
// flushes it to disk and links it as path. It reports whether it did; false
// with a nil error when the system or the file system cannot (the caller
// then writes a named temporary file). A crash before the link leaves
// nothing behind: a file without a name is freed.
func linkUnnamed(dir, path string, data []byte, perm fs.FileMode) (bool, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return false, nil // no O_TMPFILE here (EOPNOTSUPP, EISDIR, EINVAL, ...)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := fill(f, perm, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return false, err
	}
	// Linking the descriptor by its /proc name needs no privilege (linking
	// it by AT_EMPTY_PATH does).
	err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, &fs.PathError{Op: "link", Path: path, Err: fs.ErrExist}
	default:
		return false, nil // no /proc, say: write it the other way
	}
}
