package gormstore

import (
	"context"
	"time"

	"gatehouse/store"
)

type auditRow struct {
	ID        string `gorm:"primaryKey"`
	Time      time.Time
	Type      string
	AccountID string
	Provider  string
	IP        string `gorm:"column:ip"`
	Detail    string
}

func (auditRow) TableName() string { return "audit_events" }

// AppendAudit implements store.Audit.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	row := auditRow{ID: e.ID, Time: ts(e.Time), Type: e.Type, AccountID: e.AccountID,
		Provider: e.Provider, IP: e.IP, Detail: e.Detail}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// ListAudit implements store.Audit.
func (s *Store) ListAudit(ctx context.Context, accountID string, limit int) ([]store.AuditEvent, error) {
	q := s.q(ctx).Order("time DESC, id DESC").Limit(limit)
	if accountID != "" {
		q = q.Where("account_id = ?", accountID)
	}
	var rows []auditRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = store.AuditEvent{ID: r.ID, Time: r.Time.UTC(), Type: r.Type, AccountID: r.AccountID,
			Provider: r.Provider, IP: r.IP, Detail: r.Detail}
	}
	return out, nil
}
