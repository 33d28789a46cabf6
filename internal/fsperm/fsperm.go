// Package fsperm keeps what Remit writes private to the user it runs as:
// every file mode 0600 and every folder 0700, whatever the process's umask
// and whatever mode a folder had when the operator made it. Files Remit
// creates itself say their mode; files a library creates (SQLite's
// database, its -wal and -shm) are made first with the right mode, since
// SQLite gives its -wal and -shm files the mode of the database file.
package fsperm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of everything Remit writes.
const (
	FileMode fs.FileMode = 0o600
	DirMode  fs.FileMode = 0o700
)

// Dir makes the folder path (and its parents, as MkdirAll does) and sets
// its own mode to 0700, also when it existed with another.
func Dir(path string) error {
	if err := os.MkdirAll(path, DirMode); err != nil {
		return err
	}
	return chmod(path, DirMode)
}

// File makes path an empty file when it does not exist, and sets its mode
// to 0600 either way.
func File(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, FileMode)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return chmod(path, FileMode)
}

// SQLite prepares a SQLite database file before the driver opens it: its
// folder 0700, the file made 0600 (so the -wal and -shm files SQLite makes
// beside it get that mode too) and any -wal, -shm or -journal left by an
// earlier run set to 0600.
func SQLite(path string) error {
	if err := Dir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("%s: %w", filepath.Dir(path), err)
	}
	if err := File(path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := chmod(path+suffix, FileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", path+suffix, err)
		}
	}
	return nil
}

// Tighten walks root and sets every folder to 0700 and every regular file
// to 0600 that is not already: what an earlier version, a copy or an
// operator left more open. Symbolic links are not followed. A root that
// does not exist is no error.
func Tighten(root string) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		want := FileMode
		switch {
		case d.IsDir():
			want = DirMode
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile (a temporary file)
			}
			return err
		}
		if info.Mode().Perm() != want {
			if err := chmod(path, want); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set the modes in %s: %w", root, err)
	}
	return nil
}

func chmod(path string, mode fs.FileMode) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if info.Mode().Perm() == mode {
		return nil
	}
	return os.Chmod(path, mode)
}
