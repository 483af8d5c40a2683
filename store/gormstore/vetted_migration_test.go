package gormstore

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"
)

// Migration 00010 marks existing apps vetted when the CLI made them (no
// owner) or their owner is an administrator, and no others.
func TestMigrationVettedExistingApps(t *testing.T) {
	ctx := context.Background()
	st, err := Connect("sqlite", filepath.Join(t.TempDir(), "g.db"))
	require.NoError(t, err)
	defer st.Close()
	sub, err := fs.Sub(migrationsFS, "migrations/sqlite")
	require.NoError(t, err)
	sqlDB, err := st.wdb.DB()
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectSQLite3, sqlDB, sub)
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 9)
	require.NoError(t, err)

	now := time.Now().UTC()
	for _, a := range []accountRow{{ID: "admin", Username: "root", IsAdmin: true}, {ID: "user", Username: "alice"}} {
		a.CreatedAt, a.UpdatedAt = now, now
		require.NoError(t, st.wdb.Create(&a).Error)
	}
	for _, c := range []clientRow{{ID: "cli"}, {ID: "byadmin", OwnerID: "admin"}, {ID: "byuser", OwnerID: "user"}} {
		c.Name, c.IDTokenAlg, c.CreatedAt, c.UpdatedAt = c.ID, "RS256", now, now
		// Columns of later migrations do not exist yet at 00009.
		require.NoError(t, st.wdb.Omit("vetted", "allowed_groups", "post_logout_redirect_uris", "backchannel_logout_uri", "backchannel_logout_session_required", "kind", "last_used_at", "exchange_providers").Create(&c).Error)
	}
	_, err = p.Up(ctx)
	require.NoError(t, err)
	want := map[string]bool{"cli": true, "byadmin": true, "byuser": false}
	for id, vetted := range want {
		cl, err := st.GetClient(ctx, id)
		require.NoError(t, err)
		if cl.Vetted != vetted {
			t.Errorf("%s: vetted %v, want %v", id, cl.Vetted, vetted)
		}
	}
}
