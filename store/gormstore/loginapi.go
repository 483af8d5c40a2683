package gormstore

import (
	"context"
	"time"

	"gatehouse/store"
)

type apiTokenRow struct {
	ID         string `gorm:"primaryKey"`
	AccountID  string
	Name       string
	SecretHash string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (apiTokenRow) TableName() string { return "api_tokens" }

func (r apiTokenRow) toStore() store.APIToken {
	return store.APIToken{ID: r.ID, AccountID: r.AccountID, Name: r.Name, SecretHash: r.SecretHash, CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(), LastUsedAt: utcPtr(r.LastUsedAt), RevokedAt: utcPtr(r.RevokedAt)}
}

// CreateAPIToken implements store.APITokens.
func (s *Store) CreateAPIToken(ctx context.Context, t *store.APIToken) error {
	row := apiTokenRow{ID: t.ID, AccountID: t.AccountID, Name: t.Name, SecretHash: t.SecretHash, CreatedAt: ts(t.CreatedAt), ExpiresAt: ts(t.ExpiresAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetAPITokenBySecretHash implements store.APITokens.
func (s *Store) GetAPITokenBySecretHash(ctx context.Context, secretHash string, now time.Time) (store.APIToken, error) {
	var r apiTokenRow
	err := s.q(ctx).Where("secret_hash = ? AND revoked_at IS NULL AND expires_at > ?", secretHash, ts(now)).Take(&r).Error
	return r.toStore(), mapErr(err)
}

// ListAPITokens implements store.APITokens.
func (s *Store) ListAPITokens(ctx context.Context, accountID string) ([]store.APIToken, error) {
	var rows []apiTokenRow
	if err := s.q(ctx).Where("account_id = ?", accountID).Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.APIToken, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// RevokeAPIToken implements store.APITokens.
func (s *Store) RevokeAPIToken(ctx context.Context, accountID, id string, now time.Time) error {
	res := s.w(ctx).Model(&apiTokenRow{}).Where("id = ? AND account_id = ? AND revoked_at IS NULL", id, accountID).Update("revoked_at", ts(now))
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// TouchAPIToken implements store.APITokens.
func (s *Store) TouchAPIToken(ctx context.Context, id string, now time.Time) error {
	return mapErr(s.w(ctx).Model(&apiTokenRow{}).Where("id = ?", id).Update("last_used_at", ts(now)).Error)
}

type loginStateRow struct {
	ID          string `gorm:"primaryKey"`
	Provider    string
	Session     string
	Redirect    string
	Result      []byte
	ResultTaken bool
	ConfirmHash string
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt   time.Time
}

func (loginStateRow) TableName() string { return "login_states" }

// CreateLoginState implements store.LoginStates.
func (s *Store) CreateLoginState(ctx context.Context, l *store.LoginState) error {
	row := loginStateRow{ID: l.ID, Provider: l.Provider, Session: l.Session, Redirect: l.Redirect, CreatedAt: ts(l.CreatedAt), ExpiresAt: ts(l.ExpiresAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// TakeLoginSession implements store.LoginStates: the session is blanked by
// a conditional UPDATE, so only one callback can use it.
func (s *Store) TakeLoginSession(ctx context.Context, id string, now time.Time) (store.LoginState, error) {
	var r loginStateRow
	err := s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		if err := db.Where("id = ? AND session <> '' AND expires_at > ?", id, ts(now)).Take(&r).Error; err != nil {
			return mapErr(err)
		}
		res := db.Model(&loginStateRow{}).Where("id = ? AND session <> ''", id).Update("session", "")
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	return store.LoginState{ID: r.ID, Provider: r.Provider, Session: r.Session, Redirect: r.Redirect,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, err
}

// SetLoginResult implements store.LoginStates.
func (s *Store) SetLoginResult(ctx context.Context, id string, result []byte, confirmHash string) error {
	return mapErr(s.w(ctx).Model(&loginStateRow{}).Where("id = ?", id).
		Updates(map[string]any{"result": result, "confirm_hash": confirmHash}).Error)
}

// ConfirmLogin implements store.LoginStates: a conditional UPDATE blanks
// the confirmation hash, so a nonce confirms once.
func (s *Store) ConfirmLogin(ctx context.Context, id, confirmHash string, now time.Time) (store.LoginState, error) {
	if confirmHash == "" {
		return store.LoginState{}, store.ErrNotFound
	}
	var r loginStateRow
	err := s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		res := db.Model(&loginStateRow{}).Where("id = ? AND confirm_hash = ? AND expires_at > ?", id, confirmHash, ts(now)).
			Update("confirm_hash", "")
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		return mapErr(db.Select("id", "provider", "redirect", "created_at", "expires_at").Where("id = ?", id).Take(&r).Error)
	})
	return store.LoginState{ID: r.ID, Provider: r.Provider, Redirect: r.Redirect, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, err
}

// CancelLogin implements store.LoginStates: the DELETE is conditional on
// the unspent confirmation hash, the same condition ConfirmLogin's UPDATE
// spends, so only one of them can win.
func (s *Store) CancelLogin(ctx context.Context, id, confirmHash string) ([]byte, error) {
	if confirmHash == "" {
		return nil, store.ErrNotFound
	}
	var r loginStateRow
	err := s.takeRow(ctx, &r, "id = ? AND confirm_hash = ?", id, confirmHash)
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

// TakeLoginResult implements store.LoginStates.
func (s *Store) TakeLoginResult(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var r loginStateRow
	err := s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		if err := db.Where("id = ? AND expires_at > ?", id, ts(now)).Take(&r).Error; err != nil {
			return mapErr(err)
		}
		switch {
		case r.ResultTaken:
			return store.ErrTokenReused
		case len(r.Result) == 0 || r.ConfirmHash != "":
			return store.ErrConflict
		}
		res := db.Model(&loginStateRow{}).Where("id = ? AND result_taken = ?", id, false).
			Updates(map[string]any{"result_taken": true, "result": nil})
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected != 1 {
			return store.ErrTokenReused
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}
