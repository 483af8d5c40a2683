package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers/providertest"
	"gatehouse/store"
)

// githubOrgConfig is a GitHub provider on the fake, restricted to an org.
func githubOrgConfig(gh *providertest.Fake, rules string) string {
	return fmt.Sprintf(`http:
  upstream_timeout: 2s
providers:
  - name: github
    type: github
    client_id: %[1]s
    client_secret: %[2]s
    auth_url: %[3]s/login/oauth/authorize
    token_url: %[3]s/login/oauth/access_token
    profile_url: %[3]s/user
    emails_url: %[3]s/user/emails
%[4]s`, gh.ClientID, gh.ClientSecret, gh.URL, rules)
}

func fakeGitHubUser(t *testing.T) *providertest.Fake {
	gh := providertest.New(t)
	gh.Profile = map[string]any{"id": 101, "login": "octo", "name": "Octo Cat"}
	gh.Emails = []map[string]any{{"email": "octo@acme.test", "primary": true, "verified": true}}
	gh.SetMemberships([]string{"acme"}, []string{"acme/ops"})
	return gh
}

// With an org rule, Gatehouse asks GitHub for read:org; a member signs in.
func TestGitHubOrgRuleAsksReadOrg(t *testing.T) {
	gh := fakeGitHubUser(t)
	ts := startServer(t, githubOrgConfig(gh, "    allowed_orgs: [acme]\n"))
	resp, body := get(t, browser(t), ts.URL+"/login/github")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "/account", resp.Request.URL.Path, body)
	az := gh.Requests(gh.AuthorizePath)
	require.Len(t, az, 1)
	if scope := az[0].Query.Get("scope"); !strings.Contains(scope, "read:org") {
		t.Errorf("authorize scope = %q, want read:org added", scope)
	}
	if len(gh.Requests(gh.OrgsPath)) == 0 || len(gh.Requests(gh.TeamsPath)) == 0 {
		t.Errorf("memberships not read")
	}
}

// A user who withholds read:org gets a page that says so and how to fix
// it, not a generic upstream failure; nothing is created.
func TestGitHubWithoutReadOrgSaysSo(t *testing.T) {
	gh := fakeGitHubUser(t)
	gh.DenyScopes = []string{"read:org"}
	ts := startServer(t, githubOrgConfig(gh, "    allowed_orgs: [acme]\n"))
	resp, body := get(t, browser(t), ts.URL+"/login/github")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
	want := "GitHub did not grant read:org, which this Gatehouse needs to check your organisation; sign in again and grant it"
	if !strings.Contains(body, want) {
		t.Errorf("page lacks %q:\n%s", want, body)
	}
	if n := accountCount(t, ts); n != 0 {
		t.Errorf("%d accounts created", n)
	}
	evs := ts.audit(t, "")
	if len(evs) == 0 || evs[len(evs)-1].Type != "login_failed" || !strings.Contains(evs[len(evs)-1].Detail, "missing_scope") {
		t.Errorf("audit = %+v, want login_failed with reason missing_scope", evs)
	}
}

// The login API's exchange of a GitHub token without read:org, where org
// rules are set, is a clear 403 naming the scope, not a 500.
func TestExchangeWithoutReadOrgSaysSo(t *testing.T) {
	gh := fakeGitHubUser(t)
	cfg := githubOrgConfig(gh, "    allowed_orgs: [acme]\n    check_token_url: "+gh.URL+"/applications/{client_id}/token\n")
	ts := startServer(t, cfg)
	resp, m := exchangeCall(t, ts, "github", gh.IssueTokenWithScopes("read:user user:email"))
	msg, _ := m["error"].(string)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(msg, "read:org") || m["secret"] != nil {
		t.Errorf("exchange without read:org: %d %v, want 403 naming read:org", resp.StatusCode, m)
	}
	resp, m = exchangeCall(t, ts, "github", gh.IssueTokenWithScopes("read:user user:email read:org"))
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
}

// A GitHub user outside the allowed org must not get in: refused, nothing
// created, an audit event says why.
func TestGitHubOutsideOrgRefused(t *testing.T) {
	gh := fakeGitHubUser(t)
	ts := startServer(t, githubOrgConfig(gh, "    allowed_orgs: [other]\n"))
	resp, _ := get(t, browser(t), ts.URL+"/login/github")
	if resp.StatusCode != http.StatusForbidden || resp.Request.URL.Path == "/account" {
		t.Fatalf("outsider signed in: %d %s", resp.StatusCode, resp.Request.URL.Path)
	}
	if n := accountCount(t, ts); n != 0 {
		t.Errorf("%d accounts created for a refused sign-in", n)
	}
	if !hasEvent(ts.audit(t, ""), "signin_refused") {
		t.Errorf("no signin_refused event")
	}
}

// Leaving the allowed team refuses the next sign-in; the team's groups are
// the account's upstream groups while they hold.
func TestGitHubLeavingTeamRefusesNextSignIn(t *testing.T) {
	gh := fakeGitHubUser(t)
	ts := startServer(t, githubOrgConfig(gh, "    allowed_teams: [acme/ops]\n"))
	resp, body := get(t, browser(t), ts.URL+"/login/github")
	require.Equal(t, "/account", resp.Request.URL.Path, body)
	acct, err := ts.Store.GetAccountByUsername(context.Background(), "octo")
	require.NoError(t, err)
	var names []string
	gs, err := ts.Store.ListAccountGroups(context.Background(), acct.ID)
	require.NoError(t, err)
	for _, g := range gs {
		names = append(names, g.Group+"@"+g.Source)
	}
	require.ElementsMatch(t, []string{"acme@provider:github", "acme/ops@provider:github"}, names)

	gh.SetMemberships([]string{"acme"}, nil) // left the team
	resp, _ = get(t, browser(t), ts.URL+"/login/github")
	if resp.StatusCode != http.StatusForbidden || resp.Request.URL.Path == "/account" {
		t.Errorf("sign-in after leaving the team: %d %s", resp.StatusCode, resp.Request.URL.Path)
	}
}

func hasEvent(evs []store.AuditEvent, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}
