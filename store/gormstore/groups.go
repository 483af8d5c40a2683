package gormstore

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm/clause"

	"gatehouse/store"
)

type groupRow struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
}

func (groupRow) TableName() string { return "groups" }

func (r groupRow) toStore() store.Group {
	return store.Group{ID: r.ID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt.UTC()}
}

// accountGroupRow is one membership. GroupID names the local group for
// source "local" and is nil for upstream groups.
type accountGroupRow struct {
	AccountID string `gorm:"primaryKey"`
	GroupName string `gorm:"primaryKey"`
	Source    string `gorm:"primaryKey"`
	GroupID   *string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (accountGroupRow) TableName() string { return "account_groups" }

// CreateGroup implements store.Groups.
func (s *Store) CreateGroup(ctx context.Context, g *store.Group) error {
	row := groupRow{ID: g.ID, Name: g.Name, Description: g.Description, CreatedAt: ts(g.CreatedAt)}
	return mapErr(s.w(ctx).Create(&row).Error)
}

// GetGroup implements store.Groups.
func (s *Store) GetGroup(ctx context.Context, name string) (store.Group, error) {
	var row groupRow
	err := s.q(ctx).Where("name = ?", name).Take(&row).Error
	return row.toStore(), mapErr(err)
}

// ListGroups implements store.Groups.
func (s *Store) ListGroups(ctx context.Context) ([]store.Group, error) {
	var rows []groupRow
	if err := s.q(ctx).Order(s.byteOrder("name")).Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Group, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// DeleteGroup implements store.Groups. The local memberships go by the
// foreign key's ON DELETE CASCADE, in the same statement.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	res := s.w(ctx).Where("name = ?", name).Delete(&groupRow{})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// AddAccountToGroup implements store.Groups. The insert reads the group's
// ID in the same statement, and the foreign keys refuse an unknown
// account or a group deleted meanwhile.
func (s *Store) AddAccountToGroup(ctx context.Context, accountID, group string, now time.Time) error {
	res := s.w(ctx).Exec(`INSERT INTO account_groups (account_id, group_name, source, group_id, created_at)
SELECT ?, name, ?, id, ? FROM "groups" WHERE name = ?`, accountID, store.SourceLocal, ts(now), group)
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound // no such group
	}
	return nil
}

// RemoveAccountFromGroup implements store.Groups.
func (s *Store) RemoveAccountFromGroup(ctx context.Context, accountID, group string) error {
	res := s.w(ctx).Where("account_id = ? AND group_name = ? AND source = ?", accountID, group, store.SourceLocal).
		Delete(&accountGroupRow{})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// ListAccountGroups implements store.Groups.
func (s *Store) ListAccountGroups(ctx context.Context, accountID string) ([]store.AccountGroup, error) {
	var rows []accountGroupRow
	if err := s.q(ctx).Where("account_id = ?", accountID).Order(s.byteOrder("group_name") + ", " + s.byteOrder("source")).Find(&rows).Error; err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.AccountGroup, len(rows))
	for i, r := range rows {
		out[i] = store.AccountGroup{AccountID: r.AccountID, Group: r.GroupName, Source: r.Source, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// ListGroupMembers implements store.Groups.
func (s *Store) ListGroupMembers(ctx context.Context, group string) ([]store.Account, error) {
	var rows []accountRow
	err := s.q(ctx).Where("id IN (SELECT account_id FROM account_groups WHERE group_name = ? AND source = ?)", group, store.SourceLocal).
		Order(s.byteOrder("username")).Find(&rows).Error
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Account, len(rows))
	for i, r := range rows {
		out[i] = r.toStore()
	}
	return out, nil
}

// SetUpstreamGroups implements store.Groups: delete the provider's rows,
// insert the new ones, in one transaction.
func (s *Store) SetUpstreamGroups(ctx context.Context, accountID, provider string, groups []string, now time.Time) error {
	source := store.ProviderSource(provider)
	groups = slices.Compact(slices.Sorted(slices.Values(groups)))
	return s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		if err := db.Where("account_id = ? AND source = ?", accountID, source).Delete(&accountGroupRow{}).Error; err != nil {
			return mapErr(err)
		}
		if len(groups) == 0 {
			return nil
		}
		rows := make([]accountGroupRow, len(groups))
		for i, g := range groups {
			rows[i] = accountGroupRow{AccountID: accountID, GroupName: g, Source: source, CreatedAt: ts(now)}
		}
		// A concurrent sign-in of the same account may have inserted the
		// same rows: both sets stand, and the next sign-in settles it.
		return mapErr(db.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error)
	})
}
