package gormstore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// CheckWritable implements store.Store: a write transaction begins, writes
// and commits on the writer. The write rewrites goose's newest version row
// with its own values, so it needs no table of its own and changes
// nothing, yet the database must take its write lock and log the change:
// it fails on a read-only file or replica, a lock held elsewhere, or a
// PostgreSQL standby.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.w(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Exec("UPDATE goose_db_version SET is_applied = is_applied WHERE id = (SELECT MAX(id) FROM goose_db_version)").Error
	})
}

// SetReadOnly makes the writer refuse every write, as a read-only
// database does (SQLite's PRAGMA query_only on the single writer
// connection). For tests of readiness; SQLite only.
func (s *Store) SetReadOnly(ctx context.Context, on bool) error {
	if s.wdb.Dialector.Name() != "sqlite" {
		return errors.New("gormstore: SetReadOnly is for SQLite only")
	}
	v := 0
	if on {
		v = 1
	}
	return s.w(ctx).Exec(fmt.Sprintf("PRAGMA query_only = %d", v)).Error
}
