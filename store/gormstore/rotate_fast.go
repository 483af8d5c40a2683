package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"gatehouse/store"
)

// The refresh rotation is the hottest write: outside an enclosing
// transaction it runs on database/sql directly (one UPDATE … RETURNING and
// one INSERT), without gorm's reflection. Anything unusual (no row spent:
// reuse, expiry, grace) falls back to the general path.

const rotateSQL = `UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at IS NULL AND revoked_at IS NULL
	AND expires_at > ? AND family_expires_at > ? AND (CAST(? AS TEXT) = '' OR client_id = ?)
	RETURNING family_id, account_id, client_id, scope, amr, auth_time, created_at, expires_at, family_expires_at`

const insertRefreshSQL = `INSERT INTO refresh_tokens (id, family_id, parent_id, account_id, client_id, scope, amr, auth_time,
	created_at, expires_at, family_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// rotateFast reports ok=false when the token was not spent by it, so the
// caller takes the general path (which classifies and may revoke).
func (s *Store) rotateFast(ctx context.Context, oldID string, next *store.RefreshToken, now time.Time) (store.RefreshToken, bool, error) {
	rotate, err := s.wstmt(ctx, rotateSQL)
	if err != nil {
		return store.RefreshToken{}, false, err
	}
	insert, err := s.wstmt(ctx, insertRefreshSQL)
	if err != nil {
		return store.RefreshToken{}, false, err
	}
	sqlDB, err := s.wdb.DB()
	if err != nil {
		return store.RefreshToken{}, false, err
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return store.RefreshToken{}, false, err
	}
	defer tx.Rollback()
	old := store.RefreshToken{ID: oldID}
	err = tx.StmtContext(ctx, rotate).QueryRowContext(ctx, now, oldID, now, now, next.ClientID, next.ClientID).Scan(
		&old.FamilyID, &old.AccountID, &old.ClientID, &old.Scope, &old.AMR, &old.AuthTime, &old.CreatedAt, &old.ExpiresAt, &old.FamilyExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, false, nil
	}
	if err != nil {
		return store.RefreshToken{}, false, mapErr(err)
	}
	old.RotatedAt = &now
	fillChild(old, next, now)
	_, err = tx.StmtContext(ctx, insert).ExecContext(ctx, next.ID, next.FamilyID, next.ParentID, next.AccountID, next.ClientID,
		next.Scope, next.AMR, ts(next.AuthTime), now, ts(next.ExpiresAt), ts(next.FamilyExpiresAt))
	if err != nil {
		return store.RefreshToken{}, false, mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return store.RefreshToken{}, false, mapErr(err)
	}
	return old.UTC(), true, nil
}

// fillChild makes next the child of old: family facts are inherited and
// the idle deadline never passes the family's.
func fillChild(old store.RefreshToken, next *store.RefreshToken, now time.Time) {
	next.FamilyID, next.ParentID, next.AccountID, next.ClientID = old.FamilyID, old.ID, old.AccountID, old.ClientID
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
