package gormstore

import (
	"context"
	"time"

	"gatehouse/store"
)

type inviteRow struct {
	ID         string `gorm:"primaryKey"`
	TokenHash  string
	IsAdmin    bool
	GroupNames string
	CreatedBy  string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt  time.Time
	RedeemedAt *time.Time
	RedeemedBy string
}

func (inviteRow) TableName() string { return "invites" }

func (r inviteRow) toStore() store.Invite {
	return store.Invite{ID: r.ID, TokenHash: r.TokenHash, Admin: r.IsAdmin, Groups: splitList(r.GroupNames),
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		RedeemedAt: utcPtr(r.RedeemedAt), RedeemedBy: r.RedeemedBy}
}

// CreateInvite implements store.Invites.
func (s *Store) CreateInvite(ctx context.Context, inv *store.Invite) error {
	row := inviteRow{ID: inv.ID, TokenHash: inv.TokenHash, IsAdmin: inv.Admin, GroupNames: joinList(inv.Groups),
		CreatedBy: inv.CreatedBy, CreatedAt: ts(inv.CreatedAt), ExpiresAt: ts(inv.ExpiresAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// ListInvites implements store.Invites.
func (s *Store) ListInvites(ctx context.Context) ([]store.Invite, error) {
	var rows []inviteRow
	if err := s.q(ctx).Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Invite, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// GetInviteByTokenHash implements store.Invites (token_hash is unique, so
// indexed).
func (s *Store) GetInviteByTokenHash(ctx context.Context, tokenHash string) (store.Invite, error) {
	var r inviteRow
	if err := s.q(ctx).Where("token_hash = ?", tokenHash).Take(&r).Error; err != nil {
		return store.Invite{}, mapErr(err)
	}
	return r.toStore(), nil
}

// RedeemInvite implements store.Invites. The UPDATE's condition is the
// whole decision: of concurrent callers only one sees a row change.
func (s *Store) RedeemInvite(ctx context.Context, tokenHash, accountID string, now time.Time) (store.Invite, error) {
	var row inviteRow
	err := s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		res := db.Model(&inviteRow{}).Where("token_hash = ? AND redeemed_at IS NULL AND expires_at > ?", tokenHash, ts(now)).
			Updates(map[string]any{"redeemed_at": ts(now), "redeemed_by": accountID})
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if err := db.Where("token_hash = ?", tokenHash).Take(&row).Error; err != nil {
			return mapErr(err)
		}
		if res.RowsAffected != 1 {
			return store.ErrInviteSpent
		}
		return nil
	})
	if err != nil {
		return store.Invite{}, err
	}
	return row.toStore(), nil
}

// DeleteInvite implements store.Invites.
func (s *Store) DeleteInvite(ctx context.Context, id string) error {
	res := s.w(ctx).Where("id = ? AND redeemed_at IS NULL", id).Delete(&inviteRow{})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}
