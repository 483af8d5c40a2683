package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// testClientUse: Kind and LastUsedAt round-trip; TouchClient writes at most
// once per TouchEvery; DeleteIdleClients deletes only idle clients of the
// kind asked, never an operator's.
func testClientUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	op := newClient(t, s, "op", "")
	dyn := store.Client{ID: "dyn", Name: "Dyn", Kind: store.ClientDynamic, RedirectURIs: []string{"http://127.0.0.1/cb"},
		Scopes: []string{"openid"}, GrantTypes: []string{"authorization_code"}, Public: true, IDTokenAlg: "RS256", CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateClient(ctx, &dyn))
	idle := dyn
	idle.ID, idle.Name = "idle", "Idle"
	require.NoError(t, s.CreateClient(ctx, &idle))

	got, err := s.GetClient(ctx, "dyn")
	require.NoError(t, err)
	require.Equal(t, store.ClientDynamic, got.Kind)
	require.True(t, got.LastUsedAt.IsZero(), "never used")

	t1 := t0.Add(48 * time.Hour)
	require.NoError(t, s.TouchClient(ctx, "dyn", t1))
	require.NoError(t, s.TouchClient(ctx, "dyn", t1.Add(time.Hour))) // within a day: no write
	got, _ = s.GetClient(ctx, "dyn")
	require.True(t, got.LastUsedAt.Equal(t1), "LastUsedAt = %v, want %v", got.LastUsedAt, t1)
	wantErr(t, "touch unknown", s.TouchClient(ctx, "nope", t1), store.ErrNotFound)

	// An edit does not erase the recorded use.
	got.Name = "Renamed"
	require.NoError(t, s.UpdateClient(ctx, &got))
	got, _ = s.GetClient(ctx, "dyn")
	require.True(t, got.LastUsedAt.Equal(t1), "UpdateClient kept LastUsedAt")

	// Cutoff between creation (t0) and the use (t1): only "idle" goes.
	n, err := s.DeleteIdleClients(ctx, store.ClientDynamic, t0.Add(time.Hour), t1)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	_, err = s.GetClient(ctx, "idle")
	wantErr(t, "idle deleted", err, store.ErrNotFound)
	_, err = s.GetClient(ctx, "dyn")
	require.NoError(t, err, "used client kept")
	_, err = s.GetClient(ctx, op.ID)
	require.NoError(t, err, "operator's client kept")
	_, err = s.DeleteIdleClients(ctx, "", t1.Add(time.Hour), t1)
	require.Error(t, err, "kind is required")
}
