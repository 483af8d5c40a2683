package gormstore

import (
	"context"
	"time"
)

// expiring lists each table with single-use or short-lived rows and the
// column past which a row is garbage.
var expiring = []struct{ table, column string }{
	{"pending_logins", "expires_at"},
	{"auth_requests", "expires_at"},
	{"auth_codes", "expires_at"},
	{"device_codes", "expires_at"},
	{"login_states", "expires_at"},
	{"sessions", "expires_at"},
	{"refresh_tokens", "family_expires_at"},
	{"revoked_access_tokens", "expires_at"},
}

// DeleteExpired implements store.Store. Each table is its own short
// statement, so writers are never held up for long.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, e := range expiring {
		res := s.w(ctx).Exec("DELETE FROM "+e.table+" WHERE "+e.column+" < ?", ts(now))
		if res.Error != nil {
			return total, mapErr(res.Error)
		}
		total += res.RowsAffected
	}
	// Sealed refresh successors are kept for their grace window only.
	if err := s.w(ctx).Exec("UPDATE refresh_tokens SET sealed = NULL WHERE grace_until < ? AND sealed IS NOT NULL",
		ts(now)).Error; err != nil {
		return total, mapErr(err)
	}
	// Rate counters: windows are at most a day long.
	res := s.w(ctx).Exec("DELETE FROM rate_counters WHERE window_start < ?", ts(now.Add(-24*time.Hour)))
	return total + res.RowsAffected, mapErr(res.Error)
}
