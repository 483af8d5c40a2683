package gormstore

import (
	"context"
	"errors"
	"time"

	"gatehouse/store"
)

// TouchClient implements store.ClientUse with one conditional UPDATE.
func (s *Store) TouchClient(ctx context.Context, id string, now time.Time) error {
	res := s.w(ctx).Model(&clientRow{}).Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, ts(now.Add(-store.TouchEvery))).
		Update("last_used_at", ts(now))
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		// Recent enough, or unknown: tell them apart for the contract.
		if _, err := s.GetClient(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// DeleteIdleClients implements store.ClientUse. Idle clients are few, so
// each goes through DeleteClient (its own transaction).
func (s *Store) DeleteIdleClients(ctx context.Context, kind string, cutoff, now time.Time) (int64, error) {
	if kind == "" {
		return 0, errors.New("gormstore: DeleteIdleClients needs a client kind")
	}
	var ids []string
	err := s.q(ctx).Model(&clientRow{}).Where("kind = ? AND COALESCE(last_used_at, created_at) < ?", kind, ts(cutoff)).
		Limit(sweepBatch).Pluck("id", &ids).Error
	if err != nil {
		return 0, mapErr(err)
	}
	var n int64
	for _, id := range ids {
		err := s.DeleteClient(ctx, id, now)
		if errors.Is(err, store.ErrNotFound) { // another instance was quicker
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func tsOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := ts(t)
	return &u
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
