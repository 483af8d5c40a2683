package signin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/server/password"
	"gatehouse/server/signin"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

func newService(t *testing.T) (*signin.Service, store.Store) {
	st := sqlitetest.Open(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	return &signin.Service{Store: st, Now: func() time.Time { return now }}, st
}

func ident(sub, user, email string, verified bool) providers.Identity {
	return providers.Identity{Subject: sub, Username: user, Email: email, EmailVerified: verified, Raw: []byte(`{}`)}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)

	// First sign-in creates the account.
	a1, out, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "Alice", "alice@example.test", true)})
	require.NoError(t, err)
	if out != signin.Created || a1.Username != "alice" {
		t.Fatalf("first sign-in: outcome %q username %q", out, a1.Username)
	}
	// Second sign-in reuses it.
	a2, out, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "alice-renamed", "", false)})
	require.NoError(t, err)
	if out != signin.Existing || a2.ID != a1.ID {
		t.Errorf("second sign-in: outcome %q account %s, want existing %s", out, a2.ID, a1.ID)
	}
	// Same e-mail at an untrusted provider: a new account, not a takeover.
	a3, out, err := svc.Resolve(ctx, signin.Request{Provider: "lego", Identity: ident("9", "alice", "alice@example.test", true)})
	require.NoError(t, err)
	if out != signin.Created || a3.ID == a1.ID {
		t.Errorf("untrusted e-mail linked to existing account (outcome %q)", out)
	}
	if a3.Username == "alice" {
		t.Errorf("username collision not resolved: %q", a3.Username)
	}
	// Explicit link by a signed-in user.
	a4, out, err := svc.Resolve(ctx, signin.Request{Provider: "lametric", Identity: ident("7", "al", "", false), LinkTo: a1.ID})
	require.NoError(t, err)
	if out != signin.Linked || a4.ID != a1.ID {
		t.Errorf("link: outcome %q account %s", out, a4.ID)
	}
	// That identity cannot be linked to someone else now.
	_, _, err = svc.Resolve(ctx, signin.Request{Provider: "lametric", Identity: ident("7", "al", "", false), LinkTo: a3.ID})
	if !errors.Is(err, signin.ErrLinkedElsewhere) {
		t.Errorf("link of an identity owned elsewhere: err = %v", err)
	}
	ids, err := st.ListIdentities(ctx, a1.ID)
	require.NoError(t, err)
	if len(ids) != 2 {
		t.Errorf("account has %d identities, want 2", len(ids))
	}
}

func TestResolveTrustedEmail(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	a1, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "bob", "bob@example.test", true)})
	require.NoError(t, err)

	// A trusted provider with the same verified e-mail links.
	a2, out, err := svc.Resolve(ctx, signin.Request{Provider: "corp", TrustEmail: true, Identity: ident("x", "bob2", "BOB@example.test", true)})
	require.NoError(t, err)
	if out != signin.Linked || a2.ID != a1.ID {
		t.Errorf("trusted e-mail: outcome %q account %s, want link to %s", out, a2.ID, a1.ID)
	}
}

// A password hashed under older parameters is rehashed under today's at the
// first successful sign-in, and the new hash verifies.
func TestPasswordRehashedAtSignIn(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	old, err := password.HashWith("correct horse", password.Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})
	require.NoError(t, err)
	a := store.Account{ID: store.NewID(), Username: "ann", PasswordHash: old, CreatedAt: svc.Now(), UpdatedAt: svc.Now()}
	require.NoError(t, st.CreateAccount(ctx, &a))

	_, ok, err := svc.CheckPassword(ctx, "ann", "wrong horse", "127.0.0.1")
	require.NoError(t, err)
	if got, _ := st.GetAccount(ctx, a.ID); ok || got.PasswordHash != old {
		t.Fatalf("a wrong password rehashed or signed in")
	}
	_, ok, err = svc.CheckPassword(ctx, "ann", "correct horse", "127.0.0.1")
	require.NoError(t, err)
	got, _ := st.GetAccount(ctx, a.ID)
	if !ok || got.PasswordHash == old || password.NeedsRehash(got.PasswordHash) {
		t.Fatalf("after sign-in: ok %v, hash %q", ok, got.PasswordHash)
	}
	if _, ok, _ = svc.CheckPassword(ctx, "ann", "correct horse", "127.0.0.1"); !ok {
		t.Errorf("the new hash does not verify")
	}
}
