package gormstore

import (
	"context"
	"time"

	"gatehouse/store"
)

type authRequestRow struct {
	ID          string `gorm:"primaryKey"`
	BrowserHash string
	ClientID    string
	Params      string
	LoginAfter  *time.Time
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt   time.Time
}

func (authRequestRow) TableName() string { return "auth_requests" }

func (r authRequestRow) model() store.AuthRequest {
	var after *time.Time
	if r.LoginAfter != nil {
		v := r.LoginAfter.UTC()
		after = &v
	}
	return store.AuthRequest{ID: r.ID, BrowserHash: r.BrowserHash, ClientID: r.ClientID, Params: r.Params,
		LoginAfter: after, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

// CreateAuthRequest implements store.AuthRequests.
func (s *Store) CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error {
	row := authRequestRow{ID: r.ID, BrowserHash: r.BrowserHash, ClientID: r.ClientID, Params: r.Params,
		LoginAfter: tsPtr(r.LoginAfter), CreatedAt: ts(r.CreatedAt), ExpiresAt: ts(r.ExpiresAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetAuthRequest implements store.AuthRequests.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (store.AuthRequest, error) {
	var r authRequestRow
	if err := s.q(ctx).Where("id = ? AND expires_at > ?", id, ts(now)).Take(&r).Error; err != nil {
		return store.AuthRequest{}, mapErr(err)
	}
	return r.model(), nil
}

// TakeAuthRequest implements store.AuthRequests like TakePendingLogin:
// read and conditional delete in one transaction; only the caller whose
// DELETE removed the row gets it.
func (s *Store) TakeAuthRequest(ctx context.Context, id string, now time.Time) (store.AuthRequest, error) {
	var r authRequestRow
	err := s.takeRow(ctx, &r, "id = ?", id)
	if err != nil {
		return store.AuthRequest{}, err
	}
	if !r.ExpiresAt.After(now) {
		return store.AuthRequest{}, store.ErrNotFound // spent anyway: an expired row is garbage
	}
	return r.model(), nil
}
