package gormstore

import (
	"context"
	"math"
	"time"
)

// sweepBatch is the most rows one sweep statement touches. Each batch is
// its own statement, so the SQLite writer is free between batches and a
// request's write waits for one batch at most, never for a whole table.
const sweepBatch = 500

// sweep is one cleanup: the statement's head ("DELETE FROM t" or
// "UPDATE t SET …"), its table, and the condition (one ? for the cutoff)
// that makes a row garbage. Rows an UPDATE cleans are not counted (the
// rows stay).
type sweep struct {
	head, table, cond string
	counted           bool
}

func deleteWhere(table, cond string) sweep { return sweep{"DELETE FROM " + table, table, cond, true} }

// sweeps lists each table with single-use or short-lived rows and the
// condition past which a row is garbage.
var sweeps = []sweep{
	deleteWhere("pending_logins", "expires_at < ?"),
	deleteWhere("auth_requests", "expires_at < ?"),
	deleteWhere("auth_codes", "expires_at < ?"),
	deleteWhere("device_codes", "expires_at < ?"),
	deleteWhere("login_states", "expires_at < ?"),
	deleteWhere("sessions", "expires_at < ?"),
	deleteWhere("refresh_tokens", "family_expires_at < ?"),
	deleteWhere("revoked_access_tokens", "expires_at < ?"),
	// Sealed refresh successors are kept for their grace window only.
	{"UPDATE refresh_tokens SET sealed = NULL", "refresh_tokens", "grace_until < ? AND sealed IS NOT NULL", false},
}

// DeleteExpired implements store.Store, in batches of at most sweepBatch
// rows per statement.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, sw := range sweeps {
		n, err := s.sweep(ctx, sw, ts(now))
		if sw.counted {
			total += n
		}
		if err != nil {
			return total, err
		}
	}
	// Rate counters: windows are at most a day long.
	n, err := s.sweep(ctx, deleteWhere("rate_counters", "window_start < ?"), ts(now.Add(-24*time.Hour)))
	total += n
	if err != nil {
		return total, err
	}
	// Unredeemed invites stay listed as expired for a while, so an
	// administrator sees why a link stopped working; redeemed ones stay
	// as the record of who came in on whose invite.
	n, err = s.sweep(ctx, deleteWhere("invites", "redeemed_at IS NULL AND expires_at < ?"), ts(now.Add(-InviteKeep)))
	return total + n, err
}

// InviteKeep is how long an expired, unredeemed invite stays listed
// before DeleteExpired deletes it.
const InviteKeep = 30 * 24 * time.Hour

func (s *Store) sweep(ctx context.Context, sw sweep, cutoff time.Time) (int64, error) {
	if s.db.Dialector.Name() == "postgres" {
		return s.sweepPostgres(ctx, sw, cutoff)
	}
	return s.sweepSQLite(ctx, sw, cutoff)
}

// sweepSQLite walks the table in rowid order, sweepBatch rows at a time, so
// each statement reads and changes at most that many rows at any table
// size and whatever the share of live rows, without an index on the expiry
// column (which every insert on the hot paths would pay for).
func (s *Store) sweepSQLite(ctx context.Context, sw sweep, cutoff time.Time) (int64, error) {
	var total int64
	for lo := int64(math.MinInt64); ; {
		hi, last, err := s.nthRowid(ctx, sw.table, lo)
		if err != nil {
			return total, err
		}
		start := time.Now()
		res := s.w(ctx).Exec(sw.head+" WHERE rowid > ? AND rowid <= ? AND "+sw.cond, lo, hi, cutoff)
		if s.sweepTimer != nil {
			s.sweepTimer(time.Since(start))
		}
		if res.Error != nil {
			return total, mapErr(res.Error)
		}
		total += res.RowsAffected
		s.afterSweepBatch(sw.table, res.RowsAffected)
		if last {
			return total, nil
		}
		lo = hi
	}
}

// nthRowid is the sweepBatch-th rowid after lo, or the largest possible one
// (last = true) when fewer rows follow lo. A read: it does not hold the
// writer.
func (s *Store) nthRowid(ctx context.Context, table string, lo int64) (hi int64, last bool, err error) {
	// Scan into a slice, not Row(): gorm's Row() on a failed statement
	// (a closed database) is a Row whose Scan panics.
	var ids []int64
	err = s.q(ctx).Raw("SELECT rowid FROM "+table+" WHERE rowid > ? ORDER BY rowid LIMIT 1 OFFSET ?",
		lo, sweepBatch-1).Scan(&ids).Error
	if err != nil {
		return 0, false, mapErr(err)
	}
	if len(ids) == 0 {
		return math.MaxInt64, true, nil
	}
	return ids[0], false, nil
}

// sweepPostgres takes sweepBatch garbage rows at a time by ctid (a TID
// scan), until a batch comes back short. The outer condition repeats the
// inner one: a row updated meanwhile is judged by its new version.
func (s *Store) sweepPostgres(ctx context.Context, sw sweep, cutoff time.Time) (int64, error) {
	var total int64
	for {
		res := s.w(ctx).Exec(sw.head+" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "+sw.table+" WHERE "+sw.cond+
			" LIMIT ?)) AND "+sw.cond, cutoff, sweepBatch, cutoff)
		if res.Error != nil {
			return total, mapErr(res.Error)
		}
		total += res.RowsAffected
		s.afterSweepBatch(sw.table, res.RowsAffected)
		if res.RowsAffected < sweepBatch {
			return total, nil
		}
	}
}

func (s *Store) afterSweepBatch(table string, n int64) {
	if s.sweepHook != nil {
		s.sweepHook(table, n)
	}
}
