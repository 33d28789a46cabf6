package secretfile

import (
	"fmt"
	"os"
	"syscall"
)

// lock takes an exclusive flock on the file at path (creating it), waiting
// for any other holder, in this process or another (flock locks belong to
// the open file, so two opens in one process exclude each other too); a
// crashed holder's lock goes with its process. The lock file is never
// replaced: locking the secrets file itself would lock a file the next
// rename takes away.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
