package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/providertest"
	"gatehouse/server/signin"
	"gatehouse/server/teams"
	"gatehouse/store"
)

// twoMocks are two mock providers with different people, and the signup
// policy.
func twoMocks(policy string) string {
	return "signup: " + policy + `
providers:
  - name: mock
    type: mock
    options:
      username: carol
      email: carol@example.test
      groups: acme, acme/ops
  - name: other
    type: mock
    options:
      subject: other-1
      username: dave
      email: dave@corp.test
`
}

// makeInvite stores an invite to group (created here) and returns its link.
func makeInvite(t *testing.T, ts *testServer, ttl time.Duration, admin bool, group string) string {
	ctx := context.Background()
	if _, err := ts.Store.GetGroup(ctx, group); err != nil {
		require.NoError(t, ts.Store.CreateGroup(ctx, &store.Group{ID: store.NewID(), Name: group, CreatedAt: ts.Clock.Now()}))
	}
	inv, link, err := teams.New(ctx, ts.Store, ts.URL, teams.Request{TTL: ttl, Admin: admin, Groups: []string{group}}, ts.Clock.Now())
	require.NoError(t, err)
	require.NoError(t, ts.Store.CreateInvite(ctx, &inv))
	return link
}

func auditCount(t *testing.T, ts *testServer, typ string) int {
	n := 0
	for _, e := range ts.audit(t, "") {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func countAccounts(t *testing.T, ts *testServer) int {
	n, err := ts.Store.CountAccounts(context.Background())
	require.NoError(t, err)
	return n
}

// closed and invite refuse a new account with a clear page and create
// nothing (no account, identity or session); open lets it in. An account
// that exists signs in under every policy.
func TestSignupPolicyOverHTTP(t *testing.T) {
	for _, tc := range []struct{ policy, page string }{
		{"closed", "does not accept new accounts"},
		{"invite", "invite-only; ask an administrator for an invite link"},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			ts := startServer(t, twoMocks(tc.policy))
			b := browser(t)
			resp, body := get(t, b, ts.URL+"/login/mock")
			expectPage(t, resp, body, http.StatusForbidden, tc.page)
			require.Equal(t, 0, countAccounts(t, ts))
			if _, err := ts.Store.GetIdentity(context.Background(), "mock", "mock-user-1"); err == nil {
				t.Error("a refused sign-up stored its identity")
			}
			resp, _ = get(t, b, ts.URL+"/account")
			require.Equal(t, "/login", resp.Request.URL.Path, "a refused sign-up got a session")
			require.Equal(t, 1, auditCount(t, ts, signin.EventSignupRefused))

			// An operator-made account with this identity signs in.
			ctx := context.Background()
			now := ts.Clock.Now()
			acct := &store.Account{ID: store.NewID(), Username: "carol", CreatedAt: now, UpdatedAt: now}
			require.NoError(t, ts.Store.CreateAccount(ctx, acct))
			require.NoError(t, ts.Store.CreateIdentity(ctx, &store.Identity{ID: store.NewID(), AccountID: acct.ID, Provider: "mock", Subject: "mock-user-1", CreatedAt: now}))
			resp, body = get(t, b, ts.URL+"/login/mock")
			require.Equal(t, "/account", resp.Request.URL.Path, body)
		})
	}
	ts := startServer(t, twoMocks("open"))
	resp, body := get(t, browser(t), ts.URL+"/login/mock")
	require.Equal(t, "/account", resp.Request.URL.Path, body)
	require.Equal(t, 1, countAccounts(t, ts))
}

// An invite link shows the sign-in page; the sign-in through it makes the
// account, in the invited group, once. The link then answers 410, as an
// expired one does, and a browser that opened it before it was spent is
// refused.
func TestInviteLinkOverHTTP(t *testing.T) {
	ts := startServer(t, twoMocks("invite"))
	link := makeInvite(t, ts, time.Hour, false, "staff")
	first, second := browser(t), browser(t)
	resp, body := get(t, first, link)
	expectPage(t, resp, body, http.StatusOK, "You are invited")
	require.Contains(t, body, `href="/login/mock"`)
	get(t, second, link) // opened, not yet used

	resp, body = get(t, first, ts.URL+"/login/mock")
	require.Equal(t, "/account", resp.Request.URL.Path, body)
	require.Contains(t, body, "<td>staff</td><td>local</td>", "the invited group on /account")
	require.Contains(t, body, "<td>acme/ops</td><td>mock</td>", "the upstream groups on /account")

	resp, body = get(t, second, ts.URL+"/login/other")
	expectPage(t, resp, body, http.StatusForbidden, "invite-only")
	resp, body = get(t, browser(t), link)
	expectPage(t, resp, body, http.StatusGone, "not valid")
	require.Equal(t, 1, countAccounts(t, ts))

	expired := makeInvite(t, ts, 10*time.Minute, false, "staff")
	ts.Clock.Add(11 * time.Minute)
	resp, body = get(t, browser(t), expired)
	expectPage(t, resp, body, http.StatusGone, "not valid")
	resp, body = get(t, browser(t), ts.URL+"/invite/unknown-token")
	expectPage(t, resp, body, http.StatusGone, "not valid")
}

// Two browsers signing in at once with one invite: exactly one account.
func TestInviteParallelOverHTTP(t *testing.T) {
	ts := startServer(t, twoMocks("invite"))
	link := makeInvite(t, ts, time.Hour, true, "staff")
	bs := []*http.Client{browser(t), browser(t)}
	for _, b := range bs {
		get(t, b, link)
	}
	var wg sync.WaitGroup
	paths := make([]string, 2)
	for i, p := range []string{"mock", "other"} {
		wg.Go(func() {
			resp, err := bs[i].Get(ts.URL + "/login/" + p)
			if err == nil {
				resp.Body.Close()
				paths[i] = resp.Request.URL.Path
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, countAccounts(t, ts), "paths %v", paths)
	signedIn := 0
	for _, p := range paths {
		if p == "/account" {
			signedIn++
		}
	}
	require.Equal(t, 1, signedIn, "paths %v", paths)
}

// The provider's admission rules refuse at the sign-in page and at the
// login API, before anything is created or changed.
func TestAdmissionOverHTTP(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, twoMocks("open")+fmt.Sprintf(`  - name: github
    type: github
    client_id: %[1]s
    client_secret: %[2]s
    auth_url: %[3]s/login/oauth/authorize
    token_url: %[3]s/login/oauth/access_token
    profile_url: %[3]s/user
    emails_url: %[3]s/user/emails
    check_token_url: %[3]s/applications/{client_id}/token
`, up.gh.ClientID, up.gh.ClientSecret, up.gh.URL))
	ts.gh.SetAdmission("mock", providers.Admission{Groups: []string{"acme/dev"}})
	ts.gh.SetAdmission("other", providers.Admission{EmailDomains: []string{"corp.test"}})
	ts.gh.SetAdmission("github", providers.Admission{EmailDomains: []string{"corp.test"}})

	resp, body := get(t, browser(t), ts.URL+"/login/mock")
	expectPage(t, resp, body, http.StatusForbidden, "not a member of an allowed organisation, team or group")
	resp, body = get(t, browser(t), ts.URL+"/login/other")
	require.Equal(t, "/account", resp.Request.URL.Path, body)

	resp, m := exchangeCall(t, ts, "github", up.gh.IssueToken())
	msg, _ := m["error"].(string)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(msg, "no verified e-mail address in an allowed domain") || m["secret"] != nil {
		t.Errorf("login API exchange outside the domain: %d %v", resp.StatusCode, m)
	}
	require.Equal(t, 1, countAccounts(t, ts))
	require.Equal(t, 2, auditCount(t, ts, signin.EventSigninRefused))
}

// The login API's web flow answers a refused sign-in with a page, and
// under signup: invite it never creates an account (it carries no invite).
func TestLoginAPIWebFlowRefusals(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, "signup: invite\n"+up.config())
	c := loginClient(ts)
	authURL, _, err := c.StartWeb(context.Background(), "github", "")
	require.NoError(t, err)
	resp, body := get(t, browser(t), ts.URL+"/v1/login/oauth2/web/callback/github?"+providertest.Authorize(t, authURL).Encode())
	expectPage(t, resp, body, http.StatusForbidden, "invite-only")
	require.Equal(t, 0, countAccounts(t, ts))

	ts.gh.SetAdmission("github", providers.Admission{EmailDomains: []string{"corp.test"}})
	authURL, _, err = c.StartWeb(context.Background(), "github", "")
	require.NoError(t, err)
	resp, body = get(t, browser(t), ts.URL+"/v1/login/oauth2/web/callback/github?"+providertest.Authorize(t, authURL).Encode())
	expectPage(t, resp, body, http.StatusForbidden, "no verified e-mail address in an allowed domain")
	require.Equal(t, 1, auditCount(t, ts, signin.EventSigninRefused))
}
