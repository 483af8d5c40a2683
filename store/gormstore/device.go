package gormstore

import (
	"context"
	"time"

	"gatehouse/store"
)

type deviceRow struct {
	ID           string `gorm:"primaryKey"`
	UserCode     string
	ClientID     string
	Scope        string
	Status       string
	AccountID    string
	AMR          string `gorm:"column:amr"`
	AuthTime     *time.Time
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt    time.Time
	LastPolledAt *time.Time
	Resource     string
}

func (deviceRow) TableName() string { return "device_codes" }

func (r deviceRow) toStore() store.DeviceCode {
	d := store.DeviceCode{ID: r.ID, UserCode: r.UserCode, ClientID: r.ClientID, Scope: r.Scope, Status: r.Status,
		AccountID: r.AccountID, AMR: r.AMR, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), LastPolledAt: utcPtr(r.LastPolledAt),
		Resource: r.Resource}
	if r.AuthTime != nil {
		d.AuthTime = r.AuthTime.UTC()
	}
	return d
}

// CreateDeviceCode implements store.DeviceCodes.
func (s *Store) CreateDeviceCode(ctx context.Context, d *store.DeviceCode) error {
	row := deviceRow{ID: d.ID, UserCode: d.UserCode, ClientID: d.ClientID, Scope: d.Scope, Status: d.Status,
		CreatedAt: ts(d.CreatedAt), ExpiresAt: ts(d.ExpiresAt), Resource: d.Resource}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetDeviceCodeByUserCode implements store.DeviceCodes.
func (s *Store) GetDeviceCodeByUserCode(ctx context.Context, userCode string, now time.Time) (store.DeviceCode, error) {
	var r deviceRow
	err := s.q(ctx).Where("user_code = ? AND status = ? AND expires_at > ?", userCode, store.DevicePending, ts(now)).Take(&r).Error
	return r.toStore(), mapErr(err)
}

// DecideDeviceCode implements store.DeviceCodes.
func (s *Store) DecideDeviceCode(ctx context.Context, userCode string, approve bool, accountID, amr string, authTime, now time.Time) error {
	status := store.DeviceDenied
	if approve {
		status = store.DeviceApproved
	}
	at := ts(authTime)
	res := s.w(ctx).Model(&deviceRow{}).Where("user_code = ? AND status = ? AND expires_at > ?", userCode, store.DevicePending, ts(now)).
		Updates(map[string]any{"status": status, "account_id": accountID, "amr": amr, "auth_time": &at})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// PollDeviceCode implements store.DeviceCodes.
func (s *Store) PollDeviceCode(ctx context.Context, id string, now time.Time, interval time.Duration) (store.DeviceCode, error) {
	now = ts(now)
	var r deviceRow
	var slow bool
	err := s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).q(ctx)
		if err := db.Where("id = ?", id).Take(&r).Error; err != nil {
			return mapErr(err)
		}
		slow = r.LastPolledAt != nil && now.Sub(*r.LastPolledAt) < interval
		if err := db.Model(&deviceRow{}).Where("id = ?", id).Update("last_polled_at", now).Error; err != nil {
			return mapErr(err)
		}
		if slow || r.Status != store.DeviceApproved {
			return nil
		}
		res := db.Model(&deviceRow{}).Where("id = ? AND status = ?", id, store.DeviceApproved).Update("status", store.DeviceUsed)
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 0 {
			r.Status = store.DeviceUsed
		}
		return nil
	})
	if err != nil {
		return store.DeviceCode{}, err
	}
	if slow {
		return r.toStore(), store.ErrSlowDown
	}
	return r.toStore(), nil
}
