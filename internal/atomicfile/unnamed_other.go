//go:build !linux

package atomicfile

import "io/fs"

// linkUnnamed reports that files without a name are not made here: the
// caller writes a named temporary file.
func linkUnnamed(dir, path string, data []byte, perm fs.FileMode) (bool, error) {
	return false, nil
}
