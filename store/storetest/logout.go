package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// testSessionClients: which apps a session signed into is recorded once,
// read back sorted, a no-op for unknown sessions or clients, and gone with
// its session or client. ListSessions lists one account's live sessions,
// most recently seen first.
func testSessionClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newAccount(t, s, "alice"), newAccount(t, s, "bob")
	newClient(t, s, "app1", "")
	newClient(t, s, "app2", "")
	for i, x := range []struct{ id, acct string }{{"s1", a.ID}, {"s2", a.ID}, {"old", a.ID}, {"bobs", b.ID}} {
		exp := t0.Add(time.Hour)
		if x.id == "old" {
			exp = t0 // expired at t0
		}
		require.NoError(t, s.CreateSession(ctx, &store.Session{ID: x.id, AccountID: x.acct, AMR: "pwd", AuthTime: t0, CreatedAt: t0,
			ExpiresAt: exp, LastSeenAt: t0.Add(time.Duration(i) * time.Minute), UserAgent: "ua-" + x.id, IP: "10.0.0.1"}))
	}
	list, err := s.ListSessions(ctx, a.ID, t0)
	require.NoError(t, err)
	ids := []string{}
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	if !slices.Equal(ids, []string{"s2", "s1"}) || list[0].UserAgent != "ua-s2" || list[0].IP != "10.0.0.1" {
		t.Errorf("ListSessions = %+v, want s2 then s1 (no expired, no other account's)", list)
	}
	for _, x := range [][2]string{{"s1", "app2"}, {"s1", "app1"}, {"s1", "app2"}, {"s2", "app1"}, {"nope", "app1"}, {"s1", "nope"}} {
		require.NoError(t, s.AddSessionClient(ctx, x[0], x[1]), "AddSessionClient(%s, %s)", x[0], x[1])
	}
	got, err := s.SessionClients(ctx, "s1")
	require.NoError(t, err)
	if !slices.Equal(got, []string{"app1", "app2"}) {
		t.Errorf("SessionClients(s1) = %v", got)
	}
	got, err = s.SessionClients(ctx, "nope")
	require.NoError(t, err)
	if len(got) != 0 {
		t.Errorf("SessionClients(unknown) = %v", got)
	}
	require.NoError(t, s.DeleteSession(ctx, "s1"))
	require.NoError(t, s.DeleteClient(ctx, "app1", t0))
	for _, id := range []string{"s1", "s2"} {
		if got, _ := s.SessionClients(ctx, id); len(got) != 0 {
			t.Errorf("SessionClients(%s) after deleting its session or client = %v", id, got)
		}
	}
}

// testClientLogoutFields: the logout fields of a client round-trip.
func testClientLogoutFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := store.Client{ID: "lo", Name: "Logout", RedirectURIs: []string{"https://app.test/cb"}, Scopes: []string{"openid"},
		GrantTypes: []string{"authorization_code"}, PostLogoutRedirectURIs: []string{"https://app.test/bye", "https://app.test/bye2"},
		BackchannelLogoutURI: "https://app.test/bc", BackchannelLogoutSessionRequired: true, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateClient(ctx, &c))
	got, err := s.GetClient(ctx, "lo")
	require.NoError(t, err)
	if !slices.Equal(got.PostLogoutRedirectURIs, c.PostLogoutRedirectURIs) || got.BackchannelLogoutURI != c.BackchannelLogoutURI ||
		!got.BackchannelLogoutSessionRequired {
		t.Errorf("GetClient = %+v", got)
	}
	got.PostLogoutRedirectURIs, got.BackchannelLogoutURI, got.BackchannelLogoutSessionRequired = nil, "", false
	require.NoError(t, s.UpdateClient(ctx, &got))
	got, _ = s.GetClient(ctx, "lo")
	if len(got.PostLogoutRedirectURIs) != 0 || got.BackchannelLogoutURI != "" || got.BackchannelLogoutSessionRequired {
		t.Errorf("after clearing: %+v", got)
	}
}

// testRefreshSID: a family keeps the browser session it was granted in
// (sid) through rotation on either path (alone, and inside a caller's
// transaction) and in the successor handed back inside the grace window.
func testRefreshSID(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	first := store.RefreshToken{ID: "s1", FamilyID: "s1", AccountID: a.ID, SID: "session-public-id",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), FamilyExpiresAt: t0.Add(2 * time.Hour)}
	require.NoError(t, s.CreateRefreshToken(ctx, &first))
	got, err := s.GetRefreshToken(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, first.SID, got.SID, "stored with the family")

	fast := store.RefreshToken{ID: "s2", Sealed: []byte("sealed-s2")}
	_, err = s.RotateRefreshToken(ctx, "s1", &fast, t0, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, first.SID, fast.SID, "rotated alone")
	again := store.RefreshToken{ID: "s4"}
	_, err = s.RotateRefreshToken(ctx, "s1", &again, t0.Add(5*time.Second), 10*time.Second)
	wantErr(t, "inside the grace window", err, store.ErrTokenInGrace)
	require.Equal(t, "s2", again.ID)
	require.Equal(t, first.SID, again.SID, "the grace successor")
	inTx := store.RefreshToken{ID: "s3"}
	require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.RotateRefreshToken(ctx, "s2", &inTx, t0.Add(time.Minute), 0)
		return err
	}))
	require.Equal(t, first.SID, inTx.SID, "rotated in a transaction")
	for _, id := range []string{"s2", "s3"} {
		got, err := s.GetRefreshToken(ctx, id)
		require.NoError(t, err)
		require.Equal(t, first.SID, got.SID, "stored on %s", id)
	}
}
