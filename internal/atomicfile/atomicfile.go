// Package atomicfile replaces a file whole, durably: a reader sees the old
// content or the new, never a mix, and once a write returns the new content
// survives a crash or a power cut.
//
// Every file Remit writes in place (emails, exported journals, logos, the
// accounting connections' secrets) or creates once (the signing key of
// client links) goes through here, so
// they all get the same guarantee: the content goes to a temporary file in the
// same folder, which is fsynced, renamed over the target, and then the folder
// is fsynced so the rename itself is on disk. A file created once (WriteNew)
// is written, on Linux, without a name (O_TMPFILE), fsynced and then linked
// into place.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data, with permissions perm. The folder must
// exist.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// Write replaces path with what write writes, with permissions perm. When
// write fails, path is left as it was and the error is returned.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if err := fill(tmp, perm, write); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteNew creates path holding data, with permissions perm, failing with an
// error for which errors.Is(err, fs.ErrExist) holds when path exists. Like
// WriteFile it is all or nothing: the file appears complete (it is written
// aside and then hard-linked into place), so a process that loses a race to
// create it, or a crash mid-write, never leaves or reads a partial file.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	return writeNew(path, data, perm, SyncDir)
}

// WriteNewAll is WriteNew for several files, paths[i] holding data[i]:
// each is created as WriteNew creates it (errs[i] is its error), and each
// folder they are in is flushed once, after all of them, so n new files
// cost one folder sync instead of n. A file's error is nil only once its
// folder's sync succeeded.
func WriteNewAll(paths []string, data [][]byte, perm fs.FileMode) (errs []error) {
	errs = make([]error, len(paths))
	in := map[string][]int{} // folder -> the files created in it
	for i, path := range paths {
		errs[i] = writeNew(path, data[i], perm, func(dir string) error {
			in[dir] = append(in[dir], i)
			return nil
		})
	}
	for dir, files := range in {
		if err := SyncDir(dir); err != nil {
			for _, i := range files {
				errs[i] = err
			}
		}
	}
	return errs
}

func writeNew(path string, data []byte, perm fs.FileMode, syncDir func(string) error) error {
	dir := filepath.Dir(path)
	// Where the system can, the file is written without a name (O_TMPFILE)
	// and linked into place: one change to the folder instead of three (a
	// temporary name made, linked, removed), and the kernel work of making
	// a name in the folder was most of the CPU of writing an email.
	switch linked, err := linkUnnamed(dir, path, data, perm); {
	case linked:
		return syncDir(dir)
	case err != nil:
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // path keeps the content through its own link
	if err := fill(tmp, perm, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// fill sets the temporary file's permissions (CreateTemp makes it 0600
// whatever the umask), writes it and flushes it to disk.
func fill(f *os.File, perm fs.FileMode, write func(io.Writer) error) error {
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	return f.Sync()
}

// SyncDir flushes a folder's entries (a file created, renamed or removed in
// it) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("sync %s: %w", dir, serr)
	}
	return cerr
}
