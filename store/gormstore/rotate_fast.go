package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"time"

	"gatehouse/store"
)

// The refresh rotation is the hottest write: outside an enclosing
// transaction it runs on database/sql directly (one UPDATE … RETURNING and
// one INSERT), without gorm's reflection. Anything unusual (no row spent:
// reuse, expiry, grace) falls back to the general path.

// rotateSQL spends a token and returns what its successor inherits: the
// one statement of both rotation paths (RETURNING works on SQLite ≥ 3.35
// and PostgreSQL). Parameters: now, id, now, now, client_id, client_id.
const rotateSQL = `UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at IS NULL AND revoked_at IS NULL
	AND expires_at > ? AND family_expires_at > ? AND (CAST(? AS TEXT) = '' OR client_id = ?)
	RETURNING family_id, parent_id, account_id, client_id, scope, amr, resource, sid, auth_time, created_at, expires_at, family_expires_at`

// spend runs rotateSQL through query (a prepared statement on the fast
// path, the enclosing transaction on the general one) and returns the
// spent token; ok is false when no row was spent (reused, revoked,
// expired, foreign or unknown: the general path finds out which).
func spend(query func(args ...any) *sql.Row, oldID string, next *store.RefreshToken, now time.Time) (old store.RefreshToken, ok bool, err error) {
	old.ID = oldID
	err = query(now, oldID, now, now, next.ClientID, next.ClientID).Scan(&old.FamilyID, &old.ParentID, &old.AccountID,
		&old.ClientID, &old.Scope, &old.AMR, &old.Resource, &old.SID, &old.AuthTime, &old.CreatedAt, &old.ExpiresAt, &old.FamilyExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, false, nil
	}
	if err != nil {
		return store.RefreshToken{}, false, err
	}
	old.RotatedAt = &now
	return old.UTC(), true, nil
}

// insertRefreshSQL inserts a successor with its sealed value for the
// grace rule (see graceFields).
const insertRefreshSQL = `INSERT INTO refresh_tokens (id, family_id, parent_id, account_id, client_id, scope, amr, resource, sid, auth_time,
	created_at, expires_at, family_expires_at, sealed, grace_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// graceFields are the successor's sealed value and the end of its parent's
// grace window: kept only when there is a window and a sealed value.
func graceFields(next *store.RefreshToken, now time.Time, grace time.Duration) ([]byte, *time.Time) {
	if grace <= 0 || len(next.Sealed) == 0 {
		return nil, nil
	}
	until := ts(now.Add(grace))
	return next.Sealed, &until
}

// rotateFast reports ok=false when the token was not spent by it, so the
// caller takes the general path (which classifies and may revoke). On
// SQLite, rotations that arrive together share one transaction (group
// commit): the single writer commits once for the lot.
func (s *Store) rotateFast(ctx context.Context, oldID string, next *store.RefreshToken, now time.Time, grace time.Duration) (store.RefreshToken, bool, error) {
	if s.rotations == nil {
		res := s.rotateBatch(ctx, []*rotation{{oldID: oldID, next: next, now: now, grace: grace}})
		return res[0].old, res[0].ok, res[0].err
	}
	r := &rotation{oldID: oldID, next: next, now: now, grace: grace, done: make(chan rotationResult, 1)}
	select {
	case s.rotations.queue <- r:
	case <-s.rotations.stop:
		return store.RefreshToken{}, false, errors.New("gormstore: store closed")
	}
	res := <-r.done // not abandoned on ctx: a committed rotation must reach its caller
	return res.old, res.ok, res.err
}

type rotation struct {
	oldID string
	next  *store.RefreshToken
	now   time.Time
	grace time.Duration
	done  chan rotationResult
}

type rotationResult struct {
	old store.RefreshToken
	ok  bool
	err error
}

// rotator groups concurrent rotations into one transaction.
type rotator struct {
	queue chan *rotation
	stop  chan struct{}
	once  sync.Once
}

func (s *Store) startRotator() {
	s.rotations = &rotator{queue: make(chan *rotation, 256), stop: make(chan struct{})}
	go s.rotateLoop()
}

func (s *Store) rotateLoop() {
	for {
		var first *rotation
		select {
		case first = <-s.rotations.queue:
		case <-s.rotations.stop:
			s.failQueued()
			return
		}
		batch := []*rotation{first}
	drain:
		for len(batch) < 64 {
			select {
			case r := <-s.rotations.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		for i, res := range s.rotateBatch(context.Background(), batch) {
			batch[i].done <- res
		}
	}
}

// failQueued answers rotations still queued when the store closes.
func (s *Store) failQueued() {
	for {
		select {
		case r := <-s.rotations.queue:
			r.done <- rotationResult{err: errors.New("gormstore: store closed")}
		default:
			return
		}
	}
}

// rotateBatch runs the rotations in one transaction. A rotation whose
// token was not spent (reused, in grace, expired, foreign: its UPDATE
// matched no row, possibly because an earlier one in the batch spent it)
// answers ok=false; the general path then finds the successor the earlier
// one recorded, committed with the batch.
// If anything fails, the whole batch is rolled back and every rotation
// answers ok=false, so each retries alone on the general path.
func (s *Store) rotateBatch(ctx context.Context, batch []*rotation) []rotationResult {
	res := make([]rotationResult, len(batch))
	if err := s.rotateTx(ctx, batch, res); err != nil {
		for i := range res {
			res[i] = rotationResult{}
		}
	}
	return res
}

func (s *Store) rotateTx(ctx context.Context, batch []*rotation, res []rotationResult) error {
	rotate, err := s.wstmt(ctx, rotateSQL)
	if err != nil {
		return err
	}
	insert, err := s.wstmt(ctx, insertRefreshSQL)
	if err != nil {
		return err
	}
	sqlDB, err := s.wdb.DB()
	if err != nil {
		return err
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	up, ins := tx.StmtContext(ctx, rotate), tx.StmtContext(ctx, insert)
	for i, r := range batch {
		old, ok, err := spend(func(args ...any) *sql.Row { return up.QueryRowContext(ctx, args...) }, r.oldID, r.next, r.now)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		fillChild(old, r.next, r.now)
		n := r.next
		sealed, until := graceFields(n, r.now, r.grace)
		if _, err := ins.ExecContext(ctx, n.ID, n.FamilyID, n.ParentID, n.AccountID, n.ClientID, n.Scope, n.AMR, n.Resource, n.SID,
			ts(n.AuthTime), r.now, ts(n.ExpiresAt), ts(n.FamilyExpiresAt), sealed, until); err != nil {
			return err
		}
		res[i] = rotationResult{old: old, ok: true}
	}
	return tx.Commit()
}

// fillChild makes next the child of old: family facts are inherited and
// the idle deadline never passes the family's.
func fillChild(old store.RefreshToken, next *store.RefreshToken, now time.Time) {
	next.FamilyID, next.ParentID, next.AccountID, next.ClientID = old.FamilyID, old.ID, old.AccountID, old.ClientID
	next.Resource, next.SID = old.Resource, old.SID
	next.AMR, next.AuthTime, next.FamilyExpiresAt, next.CreatedAt = old.AMR, old.AuthTime.UTC(), old.FamilyExpiresAt.UTC(), now
	if next.Scope == "" {
		next.Scope = old.Scope
	}
	if next.ExpiresAt.IsZero() || next.ExpiresAt.After(next.FamilyExpiresAt) {
		next.ExpiresAt = next.FamilyExpiresAt
	}
	next.RotatedAt, next.RevokedAt = nil, nil
}

// rebind turns ? placeholders into $n for PostgreSQL.
func (s *Store) rebind(q string) string {
	if s.db.Dialector.Name() != "postgres" {
		return q
	}
	out := make([]byte, 0, len(q)+16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, '$')
			out = strconv.AppendInt(out, int64(n), 10)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
