package gormstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
	"gatehouse/store/gormstore"
)

func openSync(t testing.TB, synchronous string) *gormstore.Store {
	st, err := gormstore.OpenWith(context.Background(), "sqlite", filepath.Join(t.TempDir(), "g.db"), gormstore.Options{Synchronous: synchronous})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// database.synchronous reaches every connection (0 OFF, 1 NORMAL, 2 FULL).
func TestSynchronous(t *testing.T) {
	for mode, want := range map[string]int{"": 1, "normal": 1, "full": 2} {
		st := openSync(t, mode)
		var got int
		require.NoError(t, st.DB().Raw("PRAGMA synchronous").Scan(&got).Error)
		if got != want {
			t.Errorf("synchronous %q: PRAGMA synchronous = %d, want %d", mode, got, want)
		}
	}
}

// BenchmarkRotateSynchronous: the refresh rotation (a committed write) under
// database.synchronous normal and full, for the durability trade's price.
func BenchmarkRotateSynchronous(b *testing.B) {
	for _, mode := range []string{"normal", "full"} {
		b.Run(mode, func(b *testing.B) {
			st := openSync(b, mode)
			ctx, now := context.Background(), benchNow
			cur := seedChain(b, st)
			for b.Loop() {
				next := store.RefreshToken{ID: store.NewID(), ExpiresAt: now.Add(time.Hour)}
				if _, err := st.RotateRefreshToken(ctx, cur.ID, &next, now, 0); err != nil {
					b.Fatal(err)
				}
				cur = next
			}
		})
	}
}
