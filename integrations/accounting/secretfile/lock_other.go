//go:build !unix

package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lock, where there is no flock, holds the lock by creating the lock file
// exclusively, and waits while another holder has it. A holder that crashed
// leaves the file behind: remove it by hand.
func lock(path string) (unlock func(), err error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
