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
	svc.TrustEmail = map[string]bool{"github": true, "corp": true}
	a1, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "bob", "bob@example.test", true)})
	require.NoError(t, err)

	// A trusted provider with the same verified e-mail links.
	a2, out, err := svc.Resolve(ctx, signin.Request{Provider: "corp", Identity: ident("x", "bob2", "BOB@example.test", true)})
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

// The linking rule, one refusal per condition: a trusted provider's
// verified address links only to the one account that owns it, whose own
// address a provider trusted for e-mail (or an operator) verified.
func TestEmailLinkingRefusals(t *testing.T) {
	ctx := context.Background()
	trusted := map[string]bool{"corp": true, "github": true}
	cases := []struct {
		name  string
		setup func(svc *signin.Service, st store.Store) // makes the would-be owner(s)
		up    providers.Identity
	}{
		{"upstream says unverified", func(svc *signin.Service, _ store.Store) {
			mustResolve(t, svc, "github", ident("1", "vic", "vic@corp.test", true))
		}, ident("x", "att", "VIC@corp.test", false)},
		{"owner verified only by an untrusted provider", func(svc *signin.Service, _ store.Store) {
			mustResolve(t, svc, "lego", ident("1", "pre", "vic@corp.test", true))
		}, ident("x", "vic", "vic@corp.test", true)},
		{"owner's address unverified", func(svc *signin.Service, _ store.Store) {
			mustResolve(t, svc, "github", ident("1", "vic", "vic@corp.test", false))
		}, ident("x", "att", "vic@corp.test", true)},
		{"two accounts own the address", func(svc *signin.Service, _ store.Store) {
			mustResolve(t, svc, "github", ident("1", "vic", "vic@corp.test", true))
			mustResolve(t, svc, "lego", ident("2", "other", "Vic@corp.test", false))
		}, ident("x", "att", "vic@corp.test", true)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := newService(t)
			svc.TrustEmail = trusted
			c.setup(svc, st)
			acct, out, err := svc.Resolve(ctx, signin.Request{Provider: "corp", Identity: c.up})
			require.NoError(t, err)
			if out != signin.Created {
				t.Fatalf("outcome %q (account %s), want a new account", out, acct.Username)
			}
			if acct.EmailVerified != c.up.EmailVerified {
				t.Errorf("account email_verified %v, upstream said %v", acct.EmailVerified, c.up.EmailVerified)
			}
		})
	}
}

// An operator-made account (no identities) with a verified address is a
// link target for a trusted provider.
func TestEmailLinksToOperatorAccount(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	svc.TrustEmail = map[string]bool{"corp": true}
	a := store.Account{ID: store.NewID(), Username: "op", Email: "op@corp.test", EmailVerified: true, CreatedAt: svc.Now(), UpdatedAt: svc.Now()}
	require.NoError(t, st.CreateAccount(ctx, &a))
	got, out, err := svc.Resolve(ctx, signin.Request{Provider: "corp", Identity: ident("x", "op2", "OP@corp.test", true)})
	require.NoError(t, err)
	if out != signin.Linked || got.ID != a.ID {
		t.Errorf("outcome %q account %s, want a link to %s", out, got.ID, a.ID)
	}
}

func mustResolve(t *testing.T, svc *signin.Service, provider string, id providers.Identity) store.Account {
	t.Helper()
	a, _, err := svc.Resolve(context.Background(), signin.Request{Provider: provider, Identity: id})
	require.NoError(t, err)
	return a
}
