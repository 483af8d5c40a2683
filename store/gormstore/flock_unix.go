//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package gormstore

import (
	"os"
	"syscall"
)

// flock blocks until this process holds an exclusive lock on f. The lock
// belongs to the open file description: other goroutines of this process
// opening the file themselves wait too.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}
