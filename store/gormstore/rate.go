package gormstore

import (
	"context"
	"time"
)

// hitSQL is one atomic upsert: a new window starts at 1, otherwise the
// count goes up. Both SQLite (≥ 3.35) and PostgreSQL accept it.
const hitSQL = `INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)
	ON CONFLICT (key) DO UPDATE SET
	  count = CASE WHEN rate_counters.window_start <= ? THEN 1 ELSE rate_counters.count + 1 END,
	  window_start = CASE WHEN rate_counters.window_start <= ? THEN ? ELSE rate_counters.window_start END
	RETURNING count`

// Hit implements store.Store.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	now = ts(now)
	expired := now.Add(-window)
	var n int
	err := s.w(ctx).Raw(hitSQL, key, now, expired, expired, now).Scan(&n).Error
	return n, mapErr(err)
}
