//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package gormstore

import "os"

// flock is a no-op where flock(2) does not exist: start one instance
// first on a new database there.
func flock(*os.File) error { return nil }
