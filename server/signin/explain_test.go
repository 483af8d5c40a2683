package signin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/server/signin"
	"gatehouse/store"
)

// rows counts what a sign-in could write: accounts, identities, audit events.
func rows(t *testing.T, st store.Store) [3]int {
	t.Helper()
	ctx := context.Background()
	n, err := st.CountAccounts(ctx)
	require.NoError(t, err)
	accts, err := st.ListAccounts(ctx, "", 1000, "")
	require.NoError(t, err)
	ids := 0
	for _, a := range accts {
		l, err := st.ListIdentities(ctx, a.ID)
		require.NoError(t, err)
		ids += len(l)
	}
	ev, err := st.ListAudit(ctx, "", 1000)
	require.NoError(t, err)
	return [3]int{n, ids, len(ev)}
}

// Explain says what Resolve would do, writing nothing, and Resolve then
// does exactly that: the same outcome, account and username.
func TestExplainAgreesWithResolve(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		provider string
		up       providers.Identity
		want     signin.Outcome
		why      string
	}{
		{"known identity", "github", ident("1", "vic", "vic@corp.test", true), signin.Existing, "already linked"},
		{"trusted verified address", "corp", ident("x", "victor", "VIC@corp.test", true), signin.Linked, "verified e-mail address"},
		{"untrusted provider", "lego", ident("y", "vic", "vic@corp.test", true), signin.Created, "trust_email"},
		{"unverified upstream address", "corp", ident("z", "vic", "vic@corp.test", false), signin.Created, "does not say the address is verified"},
		{"no account has the address", "corp", ident("w", "wendy", "wendy@corp.test", true), signin.Created, "no account"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := newService(t)
			svc.TrustEmail = map[string]bool{"corp": true, "github": true}
			vic := mustResolve(t, svc, "github", ident("1", "vic", "vic@corp.test", true))
			before := rows(t, st)
			d, err := svc.Explain(ctx, signin.Request{Provider: c.provider, Identity: c.up})
			require.NoError(t, err)
			if after := rows(t, st); after != before {
				t.Fatalf("Explain wrote: accounts, identities, audit %v → %v", before, after)
			}
			if d.Outcome != c.want || !strings.Contains(d.Why, c.why) {
				t.Errorf("Explain: %q (%s), want %q with %q", d.Outcome, d.Why, c.want, c.why)
			}
			acct, out, err := svc.Resolve(ctx, signin.Request{Provider: c.provider, Identity: c.up})
			require.NoError(t, err)
			if out != d.Outcome || acct.Username != d.Username || (d.AccountID != "" && acct.ID != d.AccountID) {
				t.Errorf("Resolve did %q to %s (%s); Explain said %q to %s (%s)", out, acct.Username, acct.ID, d.Outcome, d.Username, d.AccountID)
			}
			if (d.Outcome == signin.Created) == (acct.ID == vic.ID) {
				t.Errorf("outcome %q but account %s (vic is %s)", out, acct.ID, vic.ID)
			}
		})
	}
}

// Explain must not promise a new account the sign-up policy would refuse.
func TestExplainHonoursSignup(t *testing.T) {
	for _, policy := range []signin.Signup{signin.SignupClosed, signin.SignupInvite} {
		svc, _ := newService(t)
		svc.Signup = policy
		r := signin.Request{Provider: "corp", Identity: ident("n", "newbie", "newbie@corp.test", true)}
		d, err := svc.Explain(context.Background(), r)
		require.NoError(t, err)
		_, _, rerr := svc.Resolve(context.Background(), r)
		if d.Refused == nil || !errors.Is(rerr, d.Refused) {
			t.Errorf("signup %s: Explain refusal %v, Resolve %v", policy, d.Refused, rerr)
		}
	}
	svc, _ := newService(t)
	d, err := svc.Explain(context.Background(), signin.Request{Provider: "corp", Identity: ident("n", "newbie", "", false)})
	require.NoError(t, err)
	require.NoError(t, d.Refused)
}
