package gormstore

import (
	"fmt"
	"os"
	"strings"
)

// migrateLockPath is the file two processes lock around migrating the same
// SQLite database ("<file>.migrate.lock"), or "" when dsn names no file
// (in-memory databases belong to one process).
func migrateLockPath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" || path == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return ""
	}
	return path + ".migrate.lock"
}

// lockMigrations takes an exclusive lock on path, waiting for another
// process that holds it, and returns its release. The PostgreSQL path
// takes an advisory lock instead; SQLite has none, and goose's migrations
// race when two processes start together on a new file.
func lockMigrations(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("gormstore: migration lock: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("gormstore: migration lock %s: %w", path, err)
	}
	// Closing the file releases the lock (and so does the process's death).
	return func() { f.Close() }, nil
}
