package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"gatehouse/store"
)

type clientRow struct {
	ID             string `gorm:"primaryKey"`
	SecretHash     string
	Name           string
	LogoURL        string
	RedirectURIs   string `gorm:"column:redirect_uris"`
	Scopes         string
	GrantTypes     string
	Public         bool
	AccessTTL      int64 `gorm:"column:access_ttl"`
	RefreshIdleTTL int64 `gorm:"column:refresh_idle_ttl"`
	IDTokenAlg     string
	RefreshGrace   int64
	OwnerID        string
	Vetted         bool
	AllowedGroups  string
	Kind           string
	LastUsedAt     *time.Time
	// Logout (migration 00015).
	PostLogoutRedirectURIs           string `gorm:"column:post_logout_redirect_uris"`
	BackchannelLogoutURI             string `gorm:"column:backchannel_logout_uri"`
	BackchannelLogoutSessionRequired bool
	CreatedAt                        time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt                        time.Time `gorm:"autoUpdateTime:false"`
	// Token exchange (migration 00018).
	ExchangeProviders string
}

func (clientRow) TableName() string { return "clients" }

// Lists are stored newline-joined: no URI or scope contains a newline.
func joinList(l []string) string { return strings.Join(l, "\n") }

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

func clientToRow(c *store.Client) clientRow {
	return clientRow{ID: c.ID, SecretHash: c.SecretHash, Name: c.Name, LogoURL: c.LogoURL,
		RedirectURIs: joinList(c.RedirectURIs), Scopes: joinList(c.Scopes), GrantTypes: joinList(c.GrantTypes),
		Public: c.Public, AccessTTL: int64(c.AccessTTL), RefreshIdleTTL: int64(c.RefreshIdleTTL), IDTokenAlg: c.IDTokenAlg,
		RefreshGrace: int64(c.RefreshGrace), OwnerID: c.OwnerID, Vetted: c.Vetted, Kind: c.Kind, LastUsedAt: tsOrNil(c.LastUsedAt), AllowedGroups: joinList(c.AllowedGroups),
		CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt),
		PostLogoutRedirectURIs: joinList(c.PostLogoutRedirectURIs), BackchannelLogoutURI: c.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: c.BackchannelLogoutSessionRequired, ExchangeProviders: joinList(c.ExchangeProviders)}
}

func (r clientRow) toStore() store.Client {
	return store.Client{ID: r.ID, SecretHash: r.SecretHash, Name: r.Name, LogoURL: r.LogoURL,
		RedirectURIs: splitList(r.RedirectURIs), Scopes: splitList(r.Scopes), GrantTypes: splitList(r.GrantTypes),
		Public: r.Public, AccessTTL: time.Duration(r.AccessTTL), RefreshIdleTTL: time.Duration(r.RefreshIdleTTL),
		IDTokenAlg: r.IDTokenAlg, RefreshGrace: time.Duration(r.RefreshGrace), OwnerID: r.OwnerID,
		Vetted: r.Vetted, Kind: r.Kind, LastUsedAt: timeOrZero(r.LastUsedAt), AllowedGroups: splitList(r.AllowedGroups), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		PostLogoutRedirectURIs: splitList(r.PostLogoutRedirectURIs), BackchannelLogoutURI: r.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: r.BackchannelLogoutSessionRequired, ExchangeProviders: splitList(r.ExchangeProviders)}
}

// CreateClient implements store.Clients.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	row := clientToRow(c)
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetClient implements store.Clients.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	var r clientRow
	err := s.q(ctx).Where("id = ?", id).Take(&r).Error
	return r.toStore(), mapErr(err)
}

// ListClients implements store.Clients.
func (s *Store) ListClients(ctx context.Context, ownerID string) ([]store.Client, error) {
	q := s.q(ctx).Order("created_at, id")
	if ownerID != "" {
		q = q.Where("owner_id = ?", ownerID)
	}
	var rows []clientRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Client, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// UpdateClient implements store.Clients.
func (s *Store) UpdateClient(ctx context.Context, c *store.Client) error {
	row := clientToRow(c)
	res := s.w(ctx).Model(&clientRow{}).Where("id = ?", c.ID).Select("*").Omit("id", "created_at", "secret_hash", "last_used_at").Updates(&row)
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetClientSecret implements store.Clients.
func (s *Store) SetClientSecret(ctx context.Context, id, secretHash string, now time.Time) error {
	res := s.w(ctx).Model(&clientRow{}).Where("id = ?", id).
		Updates(map[string]any{"secret_hash": secretHash, "updated_at": ts(now)})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteClient implements store.Clients.
func (s *Store) DeleteClient(ctx context.Context, id string, now time.Time) error {
	return s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).q(ctx)
		if err := db.Model(&refreshRow{}).Where("client_id = ? AND revoked_at IS NULL", id).Update("revoked_at", ts(now)).Error; err != nil {
			return mapErr(err)
		}
		res := db.Where("id = ?", id).Delete(&clientRow{})
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

type authCodeRow struct {
	ID                  string `gorm:"primaryKey"`
	ClientID            string
	AccountID           string
	RedirectURI         string `gorm:"column:redirect_uri"`
	Scope               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	AMR                 string `gorm:"column:amr"`
	SID                 string `gorm:"column:sid"`
	AuthTime            time.Time
	CreatedAt           time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt           time.Time
	UsedAt              *time.Time
	FamilyID            string
	AccessJTI           string `gorm:"column:access_jti"`
	Resource            string
}

func (authCodeRow) TableName() string { return "auth_codes" }

// CreateAuthCode implements store.AuthCodes.
func (s *Store) CreateAuthCode(ctx context.Context, c *store.AuthCode) error {
	row := authCodeRow{ID: c.ID, ClientID: c.ClientID, AccountID: c.AccountID, RedirectURI: c.RedirectURI, Scope: c.Scope,
		Nonce: c.Nonce, CodeChallenge: c.CodeChallenge, CodeChallengeMethod: c.CodeChallengeMethod, AMR: c.AMR, SID: c.SID,
		AuthTime: ts(c.AuthTime), CreatedAt: ts(c.CreatedAt), ExpiresAt: ts(c.ExpiresAt), UsedAt: tsPtr(c.UsedAt), FamilyID: c.FamilyID,
		AccessJTI: c.AccessJTI, Resource: c.Resource}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// RedeemAuthCode implements store.AuthCodes: a conditional UPDATE decides
// the one winner.
func (s *Store) RedeemAuthCode(ctx context.Context, id string, now time.Time) (store.AuthCode, error) {
	now = ts(now)
	var r authCodeRow
	var won bool
	err := s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).q(ctx)
		res := db.Model(&authCodeRow{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", id, now).Update("used_at", now)
		if res.Error != nil {
			return mapErr(res.Error)
		}
		won = res.RowsAffected == 1
		return mapErr(db.Where("id = ?", id).Take(&r).Error)
	})
	if err != nil {
		return store.AuthCode{}, err
	}
	c := store.AuthCode{ID: r.ID, ClientID: r.ClientID, AccountID: r.AccountID, RedirectURI: r.RedirectURI, Scope: r.Scope,
		Nonce: r.Nonce, CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, AMR: r.AMR, SID: r.SID,
		AuthTime: r.AuthTime.UTC(), CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt), FamilyID: r.FamilyID,
		AccessJTI: r.AccessJTI, Resource: r.Resource}
	switch {
	case won:
		return c, nil
	case r.UsedAt != nil:
		return c, store.ErrTokenReused
	default:
		return c, store.ErrTokenExpired
	}
}

// SetAuthCodeIssued implements store.AuthCodes.
func (s *Store) SetAuthCodeIssued(ctx context.Context, id, familyID, accessJTI string) error {
	return mapErr(s.w(ctx).Model(&authCodeRow{}).Where("id = ?", id).
		Updates(map[string]any{"family_id": familyID, "access_jti": accessJTI}).Error)
}

type revokedAccessRow struct {
	JTI       string `gorm:"column:jti;primaryKey"`
	ExpiresAt time.Time
}

func (revokedAccessRow) TableName() string { return "revoked_access_tokens" }

// RevokeAccessToken implements store.RevokedAccessTokens. A second
// revocation changes nothing: every record's expiry is at or past the
// token's own.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	row := revokedAccessRow{JTI: jti, ExpiresAt: ts(expiresAt)}
	return mapErr(s.w(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error)
}

// AccessTokenRevoked implements store.RevokedAccessTokens. Every use of an
// access token asks, so outside transactions it is a prepared
// database/sql statement (gorm's reflection cost more than the query).
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	if s.inTx {
		var n int64
		err := s.q(ctx).Model(&revokedAccessRow{}).Where("jti = ?", jti).Count(&n).Error
		return n > 0, mapErr(err)
	}
	st, err := s.stmt(ctx, "SELECT 1 FROM revoked_access_tokens WHERE jti = ?")
	if err != nil {
		return false, err
	}
	var one int
	err = st.QueryRowContext(ctx, jti).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, mapErr(err)
}

type consentRow struct {
	AccountID string `gorm:"primaryKey"`
	ClientID  string `gorm:"primaryKey"`
	Scope     string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (consentRow) TableName() string { return "consents" }

func (r consentRow) toStore() store.Consent {
	return store.Consent{AccountID: r.AccountID, ClientID: r.ClientID, Scope: r.Scope, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// GetConsent implements store.Consents.
func (s *Store) GetConsent(ctx context.Context, accountID, clientID string) (store.Consent, error) {
	var r consentRow
	err := s.q(ctx).Where("account_id = ? AND client_id = ?", accountID, clientID).Take(&r).Error
	return r.toStore(), mapErr(err)
}

// SaveConsent implements store.Consents: one INSERT … ON CONFLICT DO UPDATE
// (SQLite ≥ 3.24 and PostgreSQL), so concurrent first consents cannot
// collide on the key the way an update-then-insert does under READ
// COMMITTED. The first CreatedAt is kept.
func (s *Store) SaveConsent(ctx context.Context, c *store.Consent) error {
	row := consentRow{AccountID: c.AccountID, ClientID: c.ClientID, Scope: c.Scope, CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt)}
	return mapErr(s.w(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}, {Name: "client_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"scope", "updated_at"}),
	}).Create(&row).Error)
}

// ListConsents implements store.Consents.
func (s *Store) ListConsents(ctx context.Context, accountID string) ([]store.Consent, error) {
	var rows []consentRow
	if err := s.q(ctx).Where("account_id = ?", accountID).Order("created_at, client_id").Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Consent, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// RevokeConsent implements store.Consents.
func (s *Store) RevokeConsent(ctx context.Context, accountID, clientID string, now time.Time) error {
	return s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).q(ctx)
		res := db.Where("account_id = ? AND client_id = ?", accountID, clientID).Delete(&consentRow{})
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		return mapErr(db.Model(&refreshRow{}).Where("account_id = ? AND client_id = ? AND revoked_at IS NULL", accountID, clientID).
			Update("revoked_at", ts(now)).Error)
	})
}
