package gormstore

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/store"
)

type accountRow struct {
	ID            string `gorm:"primaryKey"`
	Username      string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	AvatarURL     string
	PasswordHash  string
	IsAdmin       bool
	Disabled      bool
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt     time.Time `gorm:"autoUpdateTime:false"`
}

func (accountRow) TableName() string { return "accounts" }

func accountToRow(a *store.Account) accountRow {
	return accountRow{ID: a.ID, Username: a.Username, Email: a.Email, EmailVerified: a.EmailVerified,
		Name: a.Name, GivenName: a.GivenName, FamilyName: a.FamilyName, AvatarURL: a.AvatarURL,
		PasswordHash: a.PasswordHash, IsAdmin: a.IsAdmin, Disabled: a.Disabled,
		CreatedAt: ts(a.CreatedAt), UpdatedAt: ts(a.UpdatedAt)}
}

func (r accountRow) toStore() store.Account {
	return store.Account{ID: r.ID, Username: r.Username, Email: r.Email, EmailVerified: r.EmailVerified,
		Name: r.Name, GivenName: r.GivenName, FamilyName: r.FamilyName, AvatarURL: r.AvatarURL,
		PasswordHash: r.PasswordHash, IsAdmin: r.IsAdmin, Disabled: r.Disabled,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateAccount implements store.Accounts.
func (s *Store) CreateAccount(ctx context.Context, a *store.Account) error {
	row := accountToRow(a)
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetAccount implements store.Accounts.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	if !s.inTx {
		return s.fastGetAccount(ctx, id)
	}
	var row accountRow
	err := s.q(ctx).Where("id = ?", id).Take(&row).Error
	return row.toStore(), mapErr(err)
}

// GetAccountByUsername implements store.Accounts.
func (s *Store) GetAccountByUsername(ctx context.Context, username string) (store.Account, error) {
	var row accountRow
	err := s.q(ctx).Where("username = ?", username).Take(&row).Error
	return row.toStore(), mapErr(err)
}

// UpdateAccount implements store.Accounts.
func (s *Store) UpdateAccount(ctx context.Context, a *store.Account) error {
	row := accountToRow(a)
	res := s.w(ctx).Model(&accountRow{}).Where("id = ?", a.ID).Select("*").Omit("id", "created_at", "is_admin", "disabled").Updates(&row)
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// ListAccountsByEmail implements store.Accounts.
func (s *Store) ListAccountsByEmail(ctx context.Context, email string) ([]store.Account, error) {
	if email == "" {
		return nil, nil
	}
	var rows []accountRow
	err := s.q(ctx).Where("lower(email) = ?", strings.ToLower(email)).
		Order("created_at").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Account, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// ListAccounts implements store.Accounts.
func (s *Store) ListAccounts(ctx context.Context, after string, limit int, prefix string) ([]store.Account, error) {
	col := s.byteOrder("username")
	q := s.q(ctx).Order(col).Limit(limit)
	if after != "" {
		q = q.Where(col+" > ?", after)
	}
	if prefix != "" {
		// lower() on both sides: SQLite's LIKE ignores ASCII case and
		// PostgreSQL's does not; this way both ignore it.
		q = q.Where(`lower(username) LIKE ? ESCAPE '\'`, likePrefix(strings.ToLower(prefix)))
	}
	var rows []accountRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Account, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// likePrefix is a LIKE pattern (with ESCAPE '\') matching strings that
// start with s: its wildcards and the escape character match themselves.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// byteOrder makes col compare and sort by bytes on every backend, so pages
// come in the same order everywhere: SQLite's default (BINARY) already
// does; PostgreSQL's default collation follows the locale.
func (s *Store) byteOrder(col string) string {
	if s.db.Dialector.Name() == "postgres" {
		return col + ` COLLATE "C"`
	}
	return col
}

// CountAccounts implements store.Accounts.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int64
	err := s.q(ctx).Model(&accountRow{}).Count(&n).Error
	return int(n), mapErr(err)
}

// SetAccountFlags implements store.Accounts.
func (s *Store) SetAccountFlags(ctx context.Context, id string, f store.AccountFlags, now time.Time) error {
	set := map[string]any{"updated_at": ts(now)}
	if f.IsAdmin != nil {
		set["is_admin"] = *f.IsAdmin
	}
	if f.Disabled != nil {
		set["disabled"] = *f.Disabled
	}
	return s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		// Taking an administrator away locks the administrators' rows first,
		// so two such changes at once (each removing the other) run one
		// after the other and the second sees the first (PostgreSQL; SQLite
		// has one writer anyway).
		removing := (f.IsAdmin != nil && !*f.IsAdmin) || (f.Disabled != nil && *f.Disabled)
		var admins []accountRow
		if removing {
			if err := db.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id").
				Where("is_admin = ? AND disabled = ?", true, false).Order("id").Find(&admins).Error; err != nil {
				return mapErr(err)
			}
		}
		res := db.Model(&accountRow{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		if len(admins) == 1 && admins[0].ID == id {
			return store.ErrConflict // the last active administrator
		}
		if f.Disabled == nil || !*f.Disabled {
			return nil
		}
		return endAccess(db, id, "", true, now)
	})
}

// EndAccountAccess implements store.Accounts.
func (s *Store) EndAccountAccess(ctx context.Context, id, keepSession string, apiTokens bool, now time.Time) error {
	return s.InTx(ctx, func(tx store.Store) error { return endAccess(tx.(*Store).w(ctx), id, keepSession, apiTokens, now) })
}

// endAccess deletes account id's sessions but keepSession, revokes its
// refresh tokens and, with apiTokens, its API tokens; db is a transaction.
func endAccess(db *gorm.DB, id, keepSession string, apiTokens bool, now time.Time) error {
	if err := db.Where("account_id = ? AND id <> ?", id, keepSession).Delete(&sessionRow{}).Error; err != nil {
		return mapErr(err)
	}
	if err := db.Model(&refreshRow{}).Where("account_id = ? AND revoked_at IS NULL", id).Update("revoked_at", ts(now)).Error; err != nil {
		return mapErr(err)
	}
	if !apiTokens {
		return nil
	}
	return mapErr(db.Model(&apiTokenRow{}).Where("account_id = ? AND revoked_at IS NULL", id).Update("revoked_at", ts(now)).Error)
}

// ReplacePasswordHash implements store.Accounts: one conditional UPDATE.
func (s *Store) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, now time.Time) error {
	res := s.w(ctx).Model(&accountRow{}).Where("id = ? AND password_hash = ?", id, oldHash).
		Updates(map[string]any{"password_hash": newHash, "updated_at": ts(now)})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	if _, err := s.GetAccount(ctx, id); err != nil {
		return err
	}
	return store.ErrConflict
}

type identityRow struct {
	ID            string `gorm:"primaryKey"`
	AccountID     string
	Provider      string
	Subject       string
	Username      string
	Email         string
	EmailVerified bool
	Profile       []byte
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	LastLoginAt   time.Time
}

func (identityRow) TableName() string { return "identities" }

func identityToRow(i *store.Identity) identityRow {
	return identityRow{ID: i.ID, AccountID: i.AccountID, Provider: i.Provider, Subject: i.Subject,
		Username: i.Username, Email: i.Email, EmailVerified: i.EmailVerified, Profile: i.Profile,
		CreatedAt: ts(i.CreatedAt), LastLoginAt: ts(i.LastLoginAt)}
}

func (r identityRow) toStore() store.Identity {
	return store.Identity{ID: r.ID, AccountID: r.AccountID, Provider: r.Provider, Subject: r.Subject,
		Username: r.Username, Email: r.Email, EmailVerified: r.EmailVerified, Profile: r.Profile,
		CreatedAt: r.CreatedAt.UTC(), LastLoginAt: r.LastLoginAt.UTC()}
}

// CreateIdentity implements store.Identities.
func (s *Store) CreateIdentity(ctx context.Context, id *store.Identity) error {
	row := identityToRow(id)
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetIdentity implements store.Identities.
func (s *Store) GetIdentity(ctx context.Context, provider, subject string) (store.Identity, error) {
	var row identityRow
	err := s.q(ctx).Where("provider = ? AND subject = ?", provider, subject).Take(&row).Error
	return row.toStore(), mapErr(err)
}

// ListIdentities implements store.Identities.
func (s *Store) ListIdentities(ctx context.Context, accountID string) ([]store.Identity, error) {
	if !s.inTx {
		return s.fastListIdentities(ctx, accountID)
	}
	var rows []identityRow
	if err := s.q(ctx).Where("account_id = ?", accountID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Identity, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// UpdateIdentity implements store.Identities.
func (s *Store) UpdateIdentity(ctx context.Context, id *store.Identity) error {
	row := identityToRow(id)
	res := s.w(ctx).Model(&identityRow{}).Where("id = ?", id.ID).
		Select("username", "email", "email_verified", "profile", "last_login_at").Updates(&row)
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteIdentity implements store.Identities. The "last way in" check and
// the delete run in one transaction, and the delete is conditional on
// another way in still existing. The account row is locked first: under
// PostgreSQL's READ COMMITTED, two unlinks of an account's two identities
// touch different rows, and each would otherwise see the other identity
// still there and both succeed. (SQLite: the write lock already serialises.)
func (s *Store) DeleteIdentity(ctx context.Context, accountID, identityID string) error {
	return s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).q(ctx)
		var acct accountRow
		if err := db.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id").Where("id = ?", accountID).Take(&acct).Error; err != nil {
			return mapErr(err)
		}
		res := db.Exec(`DELETE FROM identities WHERE id = ? AND account_id = ? AND (
			EXISTS (SELECT 1 FROM identities o WHERE o.account_id = ? AND o.id <> ?)
			OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = ? AND a.password_hash <> ''))`,
			identityID, accountID, accountID, identityID, accountID)
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 1 {
			return nil
		}
		var n int64
		if err := db.Model(&identityRow{}).Where("id = ? AND account_id = ?", identityID, accountID).Count(&n).Error; err != nil {
			return mapErr(err)
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return store.ErrConflict
	})
}
