package signin_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// invite stores an invite for groups (which it creates) and returns its
// token hash.
func invite(t *testing.T, st store.Store, admin bool, expires time.Time, groups ...string) string {
	ctx := context.Background()
	for _, g := range groups {
		if _, err := st.GetGroup(ctx, g); errors.Is(err, store.ErrNotFound) {
			require.NoError(t, st.CreateGroup(ctx, &store.Group{ID: store.NewID(), Name: g, CreatedAt: expires.Add(-time.Hour)}))
		}
	}
	hash := tokens.HashToken(tokens.RandomToken())
	require.NoError(t, st.CreateInvite(ctx, &store.Invite{ID: store.NewID(), TokenHash: hash, Admin: admin, Groups: groups,
		CreatedAt: expires.Add(-time.Hour), ExpiresAt: expires}))
	return hash
}

func countAccounts(t *testing.T, st store.Store) int {
	n, err := st.CountAccounts(context.Background())
	require.NoError(t, err)
	return n
}

// A refused sign-up creates nothing and says why; an existing account
// still signs in under every policy.
func TestSignupPolicies(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	old, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "old", "", false)})
	require.NoError(t, err)
	for _, tc := range []struct {
		policy signin.Signup
		want   error
	}{{signin.SignupClosed, signin.ErrSignupClosed}, {signin.SignupInvite, signin.ErrInviteRequired}} {
		svc.Signup = tc.policy
		_, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("2", "new", "", false)})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: new account: err %v, want %v", tc.policy, err, tc.want)
		}
		if n := countAccounts(t, st); n != 1 {
			t.Errorf("%s: %d accounts after a refused sign-up, want 1", tc.policy, n)
		}
		if _, err := st.GetIdentity(ctx, "github", "2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: refused sign-up stored its identity (err %v)", tc.policy, err)
		}
		a, out, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "old", "", false)})
		require.NoError(t, err)
		require.Equal(t, old.ID, a.ID)
		require.Equal(t, signin.Existing, out)
	}
	require.Len(t, auditOf(t, st, signin.EventSignupRefused), 2)
}

// An invite lets one new account in and grants its groups and admin flag;
// a second use, an expired invite and an unknown one are refused.
func TestInviteRedeemedOnce(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	svc.Signup = signin.SignupInvite
	now := svc.Now()
	hash := invite(t, st, true, now.Add(time.Hour), "staff")

	a, out, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "ann", "", false), InviteHash: hash})
	require.NoError(t, err)
	require.Equal(t, signin.Created, out)
	if !a.IsAdmin {
		t.Error("an admin invite made no admin")
	}
	groups, err := st.ListAccountGroups(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, groups, 1)
	require.Equal(t, "staff", groups[0].Group)
	require.Equal(t, store.SourceLocal, groups[0].Source)

	for name, h := range map[string]string{
		"second use": hash, "expired": invite(t, st, false, now), "unknown": tokens.HashToken("nope"),
	} {
		_, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("x-"+name, "bob", "", false), InviteHash: h})
		if !errors.Is(err, signin.ErrInviteRequired) {
			t.Errorf("%s: err %v, want ErrInviteRequired", name, err)
		}
	}
	require.Equal(t, 1, countAccounts(t, st))
}

// Two sign-ins racing with one invite make exactly one account.
func TestInviteRace(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	svc.Signup = signin.SignupInvite
	hash := invite(t, st, false, svc.Now().Add(time.Hour))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident(string(rune('a'+i)), "racer", "", false), InviteHash: hash})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, signin.ErrInviteRequired) {
			t.Errorf("racing sign-in: %v", err)
		}
	}
	require.Equal(t, 1, ok)
	require.Equal(t, 1, countAccounts(t, st))
}

// Admission rules refuse at every sign-in, the first and later ones, and
// leave the account's sessions alone.
func TestAdmissionAtEverySignIn(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	in := providers.Identity{Subject: "1", Username: "ann", Groups: []string{"acme"}, Raw: []byte(`{}`)}
	a, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: in})
	require.NoError(t, err)
	require.NoError(t, st.CreateSession(ctx, &store.Session{ID: "s1", AccountID: a.ID, CreatedAt: svc.Now(), ExpiresAt: svc.Now().Add(time.Hour)}))

	svc.Admission = map[string]providers.Admission{"github": {Orgs: []string{"acme"}}}
	in.Groups = []string{"elsewhere"}
	_, _, err = svc.Resolve(ctx, signin.Request{Provider: "github", Identity: in})
	if !errors.Is(err, providers.ErrNotAdmitted) {
		t.Fatalf("left the org: err %v, want ErrNotAdmitted", err)
	}
	_, _, err = svc.Resolve(ctx, signin.Request{Provider: "github", Identity: providers.Identity{Subject: "2", Username: "eve", Raw: []byte(`{}`)}})
	if !errors.Is(err, providers.ErrNotAdmitted) {
		t.Fatalf("first sign-in outside the org: err %v, want ErrNotAdmitted", err)
	}
	require.Equal(t, 1, countAccounts(t, st))
	if _, err := st.GetSession(ctx, "s1", svc.Now()); err != nil {
		t.Errorf("a refused sign-in touched the account's session: %v", err)
	}
	groups, err := st.ListAccountGroups(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"acme"}, names(groups), "a refused sign-in changed the upstream groups")
	events := auditOf(t, st, signin.EventSigninRefused)
	require.Len(t, events, 2)
	require.ElementsMatch(t, []string{"", a.ID}, []string{events[0].AccountID, events[1].AccountID}, "eve has no account, ann's is named")
}

// auditOf returns the audit events of type typ, newest first.
func auditOf(t *testing.T, st store.Store, typ string) []store.AuditEvent {
	all, err := st.ListAudit(context.Background(), "", 1000)
	require.NoError(t, err)
	var out []store.AuditEvent
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func names(gs []store.AccountGroup) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Group)
	}
	return out
}

// Upstream groups are replaced at each sign-in, for that provider only.
func TestUpstreamGroupsReplaced(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	in := providers.Identity{Subject: "1", Username: "ann", Groups: []string{"a", "b"}, Raw: []byte(`{}`)}
	a, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: in})
	require.NoError(t, err)
	_, _, err = svc.Resolve(ctx, signin.Request{Provider: "corp", Identity: providers.Identity{Subject: "c", Groups: []string{"c"}, Raw: []byte(`{}`)}, LinkTo: a.ID})
	require.NoError(t, err)
	in.Groups = []string{"b"}
	_, _, err = svc.Resolve(ctx, signin.Request{Provider: "github", Identity: in})
	require.NoError(t, err)
	groups, err := st.ListAccountGroups(ctx, a.ID)
	require.NoError(t, err)
	var got []string
	for _, g := range groups {
		got = append(got, g.Group+"@"+g.Source)
	}
	require.Equal(t, []string{"b@provider:github", "c@provider:corp"}, got)
}

// An existing account that signs in with an invite gets its groups and
// admin flag; an unusable invite does not stop its sign-in.
func TestInviteForExistingAccount(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	a, _, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "ann", "", false)})
	require.NoError(t, err)
	svc.Signup = signin.SignupClosed
	hash := invite(t, st, true, svc.Now().Add(time.Hour), "staff")
	for range 2 { // the second time the invite is spent
		b, out, err := svc.Resolve(ctx, signin.Request{Provider: "github", Identity: ident("1", "ann", "", false), InviteHash: hash})
		require.NoError(t, err)
		require.Equal(t, signin.Existing, out)
		require.Equal(t, a.ID, b.ID)
		require.True(t, b.IsAdmin)
	}
	groups, err := st.ListAccountGroups(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"staff"}, names(groups))
	require.Len(t, auditOf(t, st, signin.EventInviteRedeemed), 1)
}
