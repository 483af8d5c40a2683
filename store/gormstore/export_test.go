package gormstore

import (
	"time"

	"gorm.io/gorm"
)

// Models lists every gorm model of the package, for the schema test.
func Models() []any {
	return []any{&accountRow{}, &identityRow{}, &sessionRow{}, &pendingLoginRow{}, &refreshRow{},
		&signingKeyRow{}, &auditRow{}, &clientRow{}, &authCodeRow{}, &consentRow{}, &deviceRow{},
		&apiTokenRow{}, &loginStateRow{}, &revokedAccessRow{}, &groupRow{}, &accountGroupRow{}, &inviteRow{}}
}

// DB exposes the writer handle to tests.
func (s *Store) DB() *gorm.DB { return s.wdb }

// SweepBatch is the most rows one DeleteExpired statement touches.
const SweepBatch = sweepBatch

// SetSweepHook makes DeleteExpired call fn after each batch, with the
// writer released.
func (s *Store) SetSweepHook(fn func(table string, rows int64)) { s.sweepHook = fn }

// SetSweepTimer makes DeleteExpired report how long each SQLite batch
// statement held the writer.
func (s *Store) SetSweepTimer(fn func(time.Duration)) { s.sweepTimer = fn }
