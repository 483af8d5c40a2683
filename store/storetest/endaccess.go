package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// testEndAccountAccess: a password change ends the account's other
// sessions and its refresh tokens, and its API tokens when asked; the
// current session and other accounts are untouched.
func testEndAccountAccess(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newAccount(t, s, "alice"), newAccount(t, s, "bob")
	for _, x := range []struct{ id, acct string }{{"keep", a.ID}, {"other", a.ID}, {"bobs", b.ID}} {
		require.NoError(t, s.CreateSession(ctx, &store.Session{ID: x.id, AccountID: x.acct, AMR: "pwd", AuthTime: t0, CreatedAt: t0,
			ExpiresAt: t0.Add(time.Hour), LastSeenAt: t0}))
		require.NoError(t, s.CreateRefreshToken(ctx, &store.RefreshToken{ID: "rt-" + x.id, FamilyID: "rt-" + x.id, AccountID: x.acct,
			AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), FamilyExpiresAt: t0.Add(time.Hour)}))
		require.NoError(t, s.CreateAPIToken(ctx, &store.APIToken{ID: "api-" + x.id, AccountID: x.acct, Name: "t", SecretHash: "h-" + x.id,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	}
	check := func(what string, sessions, refresh, api map[string]bool) {
		t.Helper()
		for id, alive := range sessions {
			_, err := s.GetSession(ctx, id, t0)
			if (err == nil) != alive {
				t.Errorf("%s: session %s alive = %v", what, id, err == nil)
			}
		}
		for id, alive := range refresh {
			rt, err := s.GetRefreshToken(ctx, "rt-"+id)
			require.NoError(t, err)
			if (rt.RevokedAt == nil) != alive {
				t.Errorf("%s: refresh token of %s alive = %v", what, id, rt.RevokedAt == nil)
			}
		}
		for id, alive := range api {
			_, err := s.GetAPITokenBySecretHash(ctx, "h-"+id, t0)
			if (err == nil) != alive {
				t.Errorf("%s: API token of %s alive = %v", what, id, err == nil)
			}
		}
	}
	require.NoError(t, s.EndAccountAccess(ctx, a.ID, "keep", false, t0))
	check("without API tokens", map[string]bool{"keep": true, "other": false, "bobs": true},
		map[string]bool{"keep": false, "other": false, "bobs": true}, map[string]bool{"keep": true, "other": true, "bobs": true})
	require.NoError(t, s.EndAccountAccess(ctx, a.ID, "keep", true, t0))
	check("with API tokens", map[string]bool{"keep": true, "bobs": true}, nil, map[string]bool{"keep": false, "other": false, "bobs": true})
	require.NoError(t, s.EndAccountAccess(ctx, a.ID, "", false, t0))
	check("every session", map[string]bool{"keep": false, "bobs": true}, nil, nil)
	// In a transaction that fails, nothing ends.
	require.Error(t, s.InTx(ctx, func(tx store.Store) error {
		if err := tx.EndAccountAccess(ctx, b.ID, "", true, t0); err != nil {
			return err
		}
		return store.ErrConflict
	}))
	check("rolled back", map[string]bool{"bobs": true}, map[string]bool{"bobs": true}, map[string]bool{"bobs": true})
}
