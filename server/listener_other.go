//go:build !unix

package server

// fdLimit is unknown off Unix.
func fdLimit() uint64 { return 0 }
