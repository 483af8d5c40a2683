package gormstore

import (
	"context"
	"time"

	"gatehouse/store"
)

type sessionRow struct {
	ID         string `gorm:"primaryKey"`
	AccountID  string
	AMR        string `gorm:"column:amr"`
	AuthTime   time.Time
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt  time.Time
	LastSeenAt time.Time
	UserAgent  string
	IP         string `gorm:"column:ip"`
}

func (sessionRow) TableName() string { return "sessions" }

// CreateSession implements store.Sessions.
func (s *Store) CreateSession(ctx context.Context, x *store.Session) error {
	row := sessionRow{ID: x.ID, AccountID: x.AccountID, AMR: x.AMR, AuthTime: ts(x.AuthTime),
		CreatedAt: ts(x.CreatedAt), ExpiresAt: ts(x.ExpiresAt), LastSeenAt: ts(x.LastSeenAt),
		UserAgent: x.UserAgent, IP: x.IP}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetSession implements store.Sessions.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (store.Session, error) {
	var r sessionRow
	if err := s.q(ctx).Where("id = ? AND expires_at > ?", id, ts(now)).Take(&r).Error; err != nil {
		return store.Session{}, mapErr(err)
	}
	return store.Session{ID: r.ID, AccountID: r.AccountID, AMR: r.AMR, AuthTime: r.AuthTime.UTC(),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(),
		UserAgent: r.UserAgent, IP: r.IP}, nil
}

// DeleteSession implements store.Sessions.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return mapErr(s.w(ctx).Where("id = ?", id).Delete(&sessionRow{}).Error)
}

type pendingLoginRow struct {
	ID            string `gorm:"primaryKey"`
	Provider      string
	Session       string
	ReturnTo      string
	LinkAccountID string
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt     time.Time
}

func (pendingLoginRow) TableName() string { return "pending_logins" }

// CreatePendingLogin implements store.PendingLogins.
func (s *Store) CreatePendingLogin(ctx context.Context, p *store.PendingLogin) error {
	row := pendingLoginRow{ID: p.ID, Provider: p.Provider, Session: p.Session, ReturnTo: p.ReturnTo,
		LinkAccountID: p.LinkAccountID, CreatedAt: ts(p.CreatedAt), ExpiresAt: ts(p.ExpiresAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// TakePendingLogin implements store.PendingLogins: read and conditional
// delete in one transaction; only the caller whose DELETE removed the row
// gets it.
func (s *Store) TakePendingLogin(ctx context.Context, id string, now time.Time) (store.PendingLogin, error) {
	var r pendingLoginRow
	err := s.takeRow(ctx, &r, "id = ?", id)
	if err != nil {
		return store.PendingLogin{}, err
	}
	if !r.ExpiresAt.After(now) {
		return store.PendingLogin{}, store.ErrNotFound // spent anyway: an expired row is garbage
	}
	return store.PendingLogin{ID: r.ID, Provider: r.Provider, Session: r.Session, ReturnTo: r.ReturnTo,
		LinkAccountID: r.LinkAccountID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// ListSessions implements store.Sessions.
func (s *Store) ListSessions(ctx context.Context, accountID string, now time.Time) ([]store.Session, error) {
	var rows []sessionRow
	err := s.q(ctx).Where("account_id = ? AND expires_at > ?", accountID, ts(now)).
		Order("last_seen_at DESC, id").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Session, len(rows))
	for i, r := range rows {
		out[i] = store.Session{ID: r.ID, AccountID: r.AccountID, AMR: r.AMR, AuthTime: r.AuthTime.UTC(),
			CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(),
			UserAgent: r.UserAgent, IP: r.IP}
	}
	return out, nil
}

// AddSessionClient implements store.Sessions. The EXISTS conditions make an
// unknown session or client a no-op instead of a foreign-key error.
func (s *Store) AddSessionClient(ctx context.Context, sessionID, clientID string) error {
	return mapErr(s.w(ctx).Exec(`INSERT INTO session_clients (session_id, client_id)
SELECT ?, ? WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?) AND EXISTS (SELECT 1 FROM clients WHERE id = ?)
ON CONFLICT DO NOTHING`, sessionID, clientID, sessionID, clientID).Error)
}

// SessionClients implements store.Sessions.
func (s *Store) SessionClients(ctx context.Context, sessionID string) ([]string, error) {
	ids := []string{}
	err := s.q(ctx).Table("session_clients").Where("session_id = ?", sessionID).Order("client_id").Pluck("client_id", &ids).Error
	return ids, mapErr(err)
}
