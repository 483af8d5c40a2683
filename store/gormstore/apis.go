package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gatehouse/store"
)

// apiRow is a registered API (migration 00017); its scopes are JSON.
type apiRow struct {
	ID               string `gorm:"primaryKey"`
	Identifier       string
	Name             string
	Scopes           string
	AccessTTLSeconds int64 `gorm:"column:access_ttl_seconds"`
	SecretHash       string
	CreatedAt        time.Time `gorm:"autoCreateTime:false"`
}

func (apiRow) TableName() string { return "apis" }

func apiToRow(a *store.API) (apiRow, error) {
	scopes := a.Scopes
	if scopes == nil {
		scopes = []store.APIScope{}
	}
	js, err := json.Marshal(scopes)
	if err != nil {
		return apiRow{}, err
	}
	return apiRow{ID: a.ID, Identifier: a.Identifier, Name: a.Name, Scopes: string(js),
		AccessTTLSeconds: int64(a.AccessTTL / time.Second), SecretHash: a.SecretHash, CreatedAt: ts(a.CreatedAt)}, nil
}

func (r apiRow) toStore() (store.API, error) {
	a := store.API{ID: r.ID, Identifier: r.Identifier, Name: r.Name, AccessTTL: time.Duration(r.AccessTTLSeconds) * time.Second,
		SecretHash: r.SecretHash, CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Scopes), &a.Scopes); err != nil {
		return store.API{}, fmt.Errorf("gormstore: the scopes of API %s: %w", r.Identifier, err)
	}
	return a, nil
}

// CreateAPI implements store.APIs.
func (s *Store) CreateAPI(ctx context.Context, a *store.API) error {
	row, err := apiToRow(a)
	if err != nil {
		return err
	}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetAPI implements store.APIs.
func (s *Store) GetAPI(ctx context.Context, identifier string) (store.API, error) {
	var row apiRow
	if err := s.q(ctx).Where("identifier = ?", identifier).Take(&row).Error; err != nil {
		return store.API{}, mapErr(err)
	}
	return row.toStore()
}

// ListAPIs implements store.APIs.
func (s *Store) ListAPIs(ctx context.Context) ([]store.API, error) {
	var rows []apiRow
	if err := s.q(ctx).Order(s.byteOrder("identifier")).Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.API, 0, len(rows))
	for _, r := range rows {
		a, err := r.toStore()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// UpdateAPI implements store.APIs.
func (s *Store) UpdateAPI(ctx context.Context, a *store.API) error {
	row, err := apiToRow(a)
	if err != nil {
		return err
	}
	res := s.w(ctx).Model(&apiRow{}).Where("identifier = ?", a.Identifier).
		Updates(map[string]any{"name": row.Name, "scopes": row.Scopes, "access_ttl_seconds": row.AccessTTLSeconds})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteAPI implements store.APIs.
func (s *Store) DeleteAPI(ctx context.Context, identifier string) error {
	res := s.w(ctx).Where("identifier = ?", identifier).Delete(&apiRow{})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}
