package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

func TestClientCache(t *testing.T) {
	ctx := context.Background()
	base := sqlitetest.Open(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c := store.WithClientCache(base, time.Minute, func() time.Time { return now })
	cl := store.Client{ID: "app", Name: "v1", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, c.CreateClient(ctx, &cl))
	got, err := c.GetClient(ctx, "app")
	require.NoError(t, err)
	// A change behind the cache's back is not seen until the TTL passes.
	cl.Name = "v2"
	require.NoError(t, base.UpdateClient(ctx, &cl))
	if got, _ = c.GetClient(ctx, "app"); got.Name != "v1" {
		t.Errorf("cache missed: %q", got.Name)
	}
	now = now.Add(time.Minute)
	if got, _ = c.GetClient(ctx, "app"); got.Name != "v2" {
		t.Errorf("stale after TTL: %q", got.Name)
	}
	// Changes through the cache invalidate at once, also inside a transaction.
	cl.Name = "v3"
	require.NoError(t, c.InTx(ctx, func(tx store.Store) error { return tx.UpdateClient(ctx, &cl) }))
	if got, _ = c.GetClient(ctx, "app"); got.Name != "v3" {
		t.Errorf("update through the cache not seen: %q", got.Name)
	}
	require.NoError(t, c.DeleteClient(ctx, "app", now))
	if _, err := c.GetClient(ctx, "app"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted client still served: %v", err)
	}
}

func TestClientCacheAPIs(t *testing.T) {
	ctx := context.Background()
	base := sqlitetest.Open(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c := store.WithClientCache(base, time.Minute, func() time.Time { return now })
	api := store.API{ID: "a1", Identifier: "https://api.example", Name: "v1", CreatedAt: now}
	require.NoError(t, c.CreateAPI(ctx, &api))
	_, err := c.GetAPI(ctx, api.Identifier)
	require.NoError(t, err)
	api.Name = "v2"
	require.NoError(t, base.UpdateAPI(ctx, &api))
	if got, _ := c.GetAPI(ctx, api.Identifier); got.Name != "v1" {
		t.Errorf("cache missed: %q", got.Name)
	}
	now = now.Add(time.Minute)
	if got, _ := c.GetAPI(ctx, api.Identifier); got.Name != "v2" {
		t.Errorf("stale after TTL: %q", got.Name)
	}
	api.Name = "v3"
	require.NoError(t, c.InTx(ctx, func(tx store.Store) error { return tx.UpdateAPI(ctx, &api) }))
	if got, _ := c.GetAPI(ctx, api.Identifier); got.Name != "v3" {
		t.Errorf("update through the cache not seen: %q", got.Name)
	}
	require.NoError(t, c.DeleteAPI(ctx, api.Identifier))
	if _, err := c.GetAPI(ctx, api.Identifier); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted API still served: %v", err)
	}
}
