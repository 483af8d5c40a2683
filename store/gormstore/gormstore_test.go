package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
	"gatehouse/store/pgtest"
	"gatehouse/store/sqlitetest"
	"gatehouse/store/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sqlitetest.Open(t) })
}

// With one connection, any query issued outside its transaction would wait
// forever for the connection the transaction holds.
func TestOneConnectionNoDeadlock(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st := sqlitetest.Open(t)
		require.NoError(t, st.SetMaxOpenConns(1))
		return st
	})
}

func TestMigrateTwice(t *testing.T) {
	st := sqlitetest.Open(t)
	n, err := st.Migrate(context.Background())
	require.NoError(t, err)
	if n != 0 {
		t.Errorf("second migrate applied %d migrations, want 0", n)
	}
}

func BenchmarkRotateRefreshToken(b *testing.B) {
	st := sqlitetest.Open(b)
	ctx := context.Background()
	now := time.Now()
	a := store.Account{ID: store.NewID(), Username: "bench", CreatedAt: now, UpdatedAt: now}
	require.NoError(b, st.CreateAccount(ctx, &a))
	cur := store.RefreshToken{ID: store.NewID(), AccountID: a.ID, AuthTime: now, CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), FamilyExpiresAt: now.Add(time.Hour)}
	cur.FamilyID = cur.ID
	require.NoError(b, st.CreateRefreshToken(ctx, &cur))
	b.ResetTimer()
	for b.Loop() {
		next := store.RefreshToken{ID: store.NewID(), ExpiresAt: now.Add(time.Hour)}
		if _, err := st.RotateRefreshToken(ctx, cur.ID, &next, now, 0); err != nil {
			b.Fatal(err)
		}
		cur = next
	}
}

func TestPostgresConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}
