package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatehouse/store"
)

type refreshRow struct {
	ID              string `gorm:"primaryKey"`
	FamilyID        string
	ParentID        string
	AccountID       string
	ClientID        string
	Scope           string
	AMR             string `gorm:"column:amr"`
	Resource        string
	SID             string `gorm:"column:sid"`
	AuthTime        time.Time
	CreatedAt       time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt       time.Time
	FamilyExpiresAt time.Time
	RotatedAt       *time.Time
	RevokedAt       *time.Time
	// The grace rule (migration 00009): this token sealed, kept until the
	// end of its parent's grace window.
	Sealed     []byte
	GraceUntil *time.Time
}

func (refreshRow) TableName() string { return "refresh_tokens" }

func refreshToRow(t *store.RefreshToken) refreshRow {
	return refreshRow{ID: t.ID, FamilyID: t.FamilyID, ParentID: t.ParentID, AccountID: t.AccountID,
		ClientID: t.ClientID, Scope: t.Scope, AMR: t.AMR, Resource: t.Resource, SID: t.SID, AuthTime: ts(t.AuthTime), CreatedAt: ts(t.CreatedAt),
		ExpiresAt: ts(t.ExpiresAt), FamilyExpiresAt: ts(t.FamilyExpiresAt),
		RotatedAt: tsPtr(t.RotatedAt), RevokedAt: tsPtr(t.RevokedAt)}
}

func (r refreshRow) toStore() store.RefreshToken {
	return store.RefreshToken{ID: r.ID, FamilyID: r.FamilyID, ParentID: r.ParentID, AccountID: r.AccountID,
		ClientID: r.ClientID, Scope: r.Scope, AMR: r.AMR, Resource: r.Resource, SID: r.SID, AuthTime: r.AuthTime.UTC(), CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(), FamilyExpiresAt: r.FamilyExpiresAt.UTC(),
		RotatedAt: utcPtr(r.RotatedAt), RevokedAt: utcPtr(r.RevokedAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// CreateRefreshToken implements store.RefreshTokens.
func (s *Store) CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error {
	row := refreshToRow(t)
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetRefreshToken implements store.RefreshTokens.
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	var r refreshRow
	err := s.q(ctx).Where("id = ?", id).Take(&r).Error
	return r.toStore(), mapErr(err)
}

// errReused is returned from inside the rotation transaction so that the
// family revocation commits; RotateRefreshToken turns it into
// store.ErrTokenReused afterwards.
var errReused = errors.New("reused")

// RotateRefreshToken implements store.RefreshTokens.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, next *store.RefreshToken, now time.Time, grace time.Duration) (store.RefreshToken, error) {
	now = ts(now)
	if !s.inTx {
		if old, ok, err := s.rotateFast(ctx, oldID, next, now, grace); ok || err != nil {
			return old, err
		}
	}
	var old store.RefreshToken
	var outcome error // errReused or store.ErrTokenInGrace: decided inside, reported after commit
	err := s.InTx(ctx, func(tx store.Store) error {
		var err error
		old, outcome, err = tx.(*Store).rotateInTx(ctx, oldID, next, now, grace)
		return err
	})
	switch {
	case err != nil:
		return old, err
	case outcome == errReused:
		return old, store.ErrTokenReused
	}
	return old, outcome
}

// rotateInTx is the general rotation, inside the caller's transaction. It
// returns the old token and an outcome (errReused, store.ErrTokenInGrace)
// that must not roll the transaction back: a reuse revokes the family.
func (s *Store) rotateInTx(ctx context.Context, oldID string, next *store.RefreshToken, now time.Time, grace time.Duration) (spent store.RefreshToken, outcome, err error) {
	db := s.w(ctx)
	// On PostgreSQL a concurrent rotation holds the row lock until its
	// successor is committed, so a loser re-reads the row with the
	// successor recorded.
	spent, ok, err := spend(func(args ...any) *sql.Row {
		return db.Statement.ConnPool.QueryRowContext(ctx, s.rebind(rotateSQL), args...)
	}, oldID, next, now)
	if err != nil {
		return spent, nil, mapErr(err)
	}
	if ok {
		return spent, nil, s.insertChild(ctx, spent, next, now, grace)
	}
	var old refreshRow
	if err := db.Where("id = ?", oldID).Take(&old).Error; err != nil {
		return old.toStore(), nil, mapErr(err)
	}
	if next.ClientID != "" && old.ClientID != next.ClientID {
		return old.toStore(), nil, store.ErrNotFound
	}
	succ, err := s.graceSuccessor(ctx, old, now)
	if err != nil || succ != nil {
		if succ != nil {
			*next = *succ
			return old.toStore(), store.ErrTokenInGrace, err
		}
		return old.toStore(), nil, err
	}
	err = classify(old)
	if errors.Is(err, errReused) {
		return old.toStore(), errReused, s.revokeFamily(ctx, old.FamilyID, now)
	}
	return old.toStore(), nil, err
}

// graceSuccessor returns the successor to hand out again when old was
// rotated inside its grace window and the successor is still unspent; nil
// otherwise (the caller classifies old as usual, a reuse included). A
// successor past its own lifetime is ErrTokenExpired.
func (s *Store) graceSuccessor(ctx context.Context, old refreshRow, now time.Time) (*store.RefreshToken, error) {
	if old.RotatedAt == nil || old.RevokedAt != nil {
		return nil, nil
	}
	// The family index finds the chain (one row per rotation), parent_id the
	// child. Rotations before migration 00009's grace rule may have left
	// several children; only one made since can carry a sealed value.
	var succ refreshRow
	err := s.w(ctx).Where("family_id = ? AND parent_id = ? AND sealed IS NOT NULL AND grace_until >= ?", old.FamilyID, old.ID, now).
		Order("created_at").Take(&succ).Error
	if errors.Is(mapErr(err), store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err)
	}
	if succ.RotatedAt != nil || succ.RevokedAt != nil {
		return nil, nil // the client moved on, or the family is gone: not a grace case
	}
	if !succ.ExpiresAt.After(now) || !succ.FamilyExpiresAt.After(now) {
		return nil, store.ErrTokenExpired
	}
	t := succ.toStore()
	t.Sealed = succ.Sealed
	return &t, nil
}

// classify explains why a token could not be rotated.
func classify(r refreshRow) error {
	switch {
	case r.RevokedAt != nil:
		return store.ErrTokenRevoked
	case r.RotatedAt != nil:
		return errReused
	default:
		return store.ErrTokenExpired
	}
}

func (s *Store) insertChild(ctx context.Context, old store.RefreshToken, next *store.RefreshToken, now time.Time, grace time.Duration) error {
	fillChild(old, next, now)
	row := refreshToRow(next)
	row.Sealed, row.GraceUntil = graceFields(next, now, grace)
	return mapErr(s.w(ctx).Create(&row).Error)
}

func (s *Store) revokeFamily(ctx context.Context, familyID string, now time.Time) error {
	return mapErr(s.w(ctx).Model(&refreshRow{}).Where("family_id = ? AND revoked_at IS NULL", familyID).
		Update("revoked_at", ts(now)).Error)
}

// RevokeRefreshFamily implements store.RefreshTokens.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	return s.revokeFamily(ctx, familyID, now)
}

type signingKeyRow struct {
	ID                string `gorm:"primaryKey"`
	Alg               string
	Generation        int
	PrivateCiphertext []byte
	PublicJWK         []byte    `gorm:"column:public_jwk"`
	CreatedAt         time.Time `gorm:"autoCreateTime:false"`
	ActiveAt          time.Time
	RetireAt          *time.Time
	ExpireAt          *time.Time
}

func (signingKeyRow) TableName() string { return "signing_keys" }

// CreateSigningKey implements store.SigningKeys.
func (s *Store) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	row := signingKeyRow{ID: k.ID, Alg: k.Alg, Generation: k.Generation, PrivateCiphertext: k.PrivateCiphertext, PublicJWK: k.PublicJWK,
		CreatedAt: ts(k.CreatedAt), ActiveAt: ts(k.ActiveAt), RetireAt: tsPtr(k.RetireAt), ExpireAt: tsPtr(k.ExpireAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// ListSigningKeys implements store.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	var rows []signingKeyRow
	err := s.q(ctx).Where("expire_at IS NULL OR expire_at > ?", ts(now)).Order("active_at, id").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.SigningKey, len(rows))
	for i, r := range rows {
		out[i] = store.SigningKey{ID: r.ID, Alg: r.Alg, Generation: r.Generation, PrivateCiphertext: r.PrivateCiphertext, PublicJWK: r.PublicJWK,
			CreatedAt: r.CreatedAt.UTC(), ActiveAt: r.ActiveAt.UTC(), RetireAt: utcPtr(r.RetireAt), ExpireAt: utcPtr(r.ExpireAt)}
	}
	return out, nil
}

// RetireSigningKey implements store.SigningKeys.
func (s *Store) RetireSigningKey(ctx context.Context, id string, retireAt, expireAt time.Time) error {
	res := s.w(ctx).Model(&signingKeyRow{}).Where("id = ?", id).
		Updates(map[string]any{"retire_at": ts(retireAt), "expire_at": ts(expireAt)})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}
