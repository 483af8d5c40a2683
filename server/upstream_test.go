package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers/providertest"
)

// upstreams are fake GitHub, Lego and LaMetric servers.
type upstreams struct{ gh, lego, lm *providertest.Fake }

func startUpstreams(t *testing.T) upstreams {
	gh := providertest.New(t)
	gh.Profile = map[string]any{"id": 101, "login": "octo", "name": "Octo Cat"}
	gh.Emails = []map[string]any{{"email": "octo@example.test", "primary": true, "verified": true}}
	lego := providertest.New(t)
	lego.AuthorizePath, lego.TokenPath, lego.ProfilePath = "/authorization/oauth2/authorize/", "/authorization/oauth2/token/", "/api/v1/users/me/"
	lego.Profile = map[string]any{"id": 202, "username": "webkom", "email": "webkom@example.test", "fullName": "Web Kom"}
	lm := providertest.New(t)
	lm.AuthorizePath, lm.TokenPath, lm.ProfilePath = "/api/v2/oauth2/authorize/", "/api/v2/oauth2/token", "/api/v2/users/me"
	lm.Profile = map[string]any{"id": 303, "email": "lm@example.test", "name": "La Metric"}
	return upstreams{gh, lego, lm}
}

func (u upstreams) config() string {
	return fmt.Sprintf(`http:
  upstream_timeout: 500ms
providers:
  - name: github
    type: github
    client_id: %[1]s
    client_secret: %[2]s
    auth_url: %[3]s/login/oauth/authorize
    token_url: %[3]s/login/oauth/access_token
    profile_url: %[3]s/user
    emails_url: %[3]s/user/emails
    device_url: %[3]s/login/device/code
    check_token_url: %[3]s/applications/{client_id}/token
  - name: lego
    type: lego
    client_id: %[1]s
    client_secret: %[2]s
    api_url: %[4]s
  - name: lametric
    type: lametric
    client_id: %[1]s
    client_secret: %[2]s
    api_url: %[5]s
    scopes: [basic, devices_read]
  - name: mock
    type: mock
`, u.gh.ClientID, u.gh.ClientSecret, u.gh.URL, u.lego.URL, u.lm.URL)
}

func accountCount(t *testing.T, ts *testServer) int {
	evs := ts.audit(t, "")
	n := 0
	for _, e := range evs {
		if e.Type == "account_created" {
			n++
		}
	}
	return n
}

func TestUpstreamSignIns(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	for _, tc := range []struct{ provider, username string }{{"github", "octo"}, {"lego", "webkom"}, {"lametric", "lm"}} {
		t.Run(tc.provider, func(t *testing.T) {
			b := browser(t)
			resp, body := get(t, b, ts.URL+"/login/"+tc.provider)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			if resp.Request.URL.Path != "/account" || !strings.Contains(body, tc.username) {
				t.Fatalf("landed on %s:\n%s", resp.Request.URL, body)
			}
			// Signing in again reuses the account.
			get(t, browser(t), ts.URL+"/login/"+tc.provider)
		})
	}
	if n := accountCount(t, ts); n != 3 {
		t.Errorf("%d accounts created, want 3 (one per provider)", n)
	}
	acct, err := ts.Store.GetAccountByUsername(context.Background(), "octo")
	require.NoError(t, err)
	if acct.Email != "octo@example.test" || !acct.EmailVerified {
		t.Errorf("github account = %+v", acct)
	}
}

func TestLinkAndUnlink(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	b := browser(t)
	_, body := get(t, b, ts.URL+"/login/github")
	if !strings.Contains(body, `action="/account/link/lego"`) {
		t.Fatalf("account page offers no link to lego:\n%s", body)
	}
	resp, body := postForm(t, b, ts.URL+"/account/link/lego", url.Values{"_csrf": {csrfFrom(t, body)}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if !strings.Contains(body, "now linked") {
		t.Errorf("no link notice:\n%s", body)
	}
	acct, err := ts.Store.GetAccountByUsername(context.Background(), "octo")
	require.NoError(t, err)
	ids, err := ts.Store.ListIdentities(context.Background(), acct.ID)
	require.NoError(t, err)
	require.Len(t, ids, 2)
	// Signing in with Lego now lands in the same account.
	_, body2 := get(t, browser(t), ts.URL+"/login/lego")
	if !strings.Contains(body2, acct.ID) {
		t.Errorf("lego sign-in did not reach the linked account")
	}
	// Unlink lego; then github is the last way in and cannot go.
	resp, body = postForm(t, b, ts.URL+"/account/identities/"+ids[1].ID+"/unlink", url.Values{"_csrf": {csrfFrom(t, body)}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = postForm(t, b, ts.URL+"/account/identities/"+ids[0].ID+"/unlink", url.Values{"_csrf": {csrfFrom(t, body)}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "last way in") {
		t.Errorf("unlinking the last way in: %d\n%s", resp.StatusCode, body)
	}
	evs := ts.audit(t, acct.ID)
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if all := strings.Join(types, ","); !strings.Contains(all, "identity_linked") || !strings.Contains(all, "identity_unlinked") {
		t.Errorf("audit lacks link/unlink: %s", all)
	}
}

// noFollow shares b's cookies but stops at the first redirect.
func noFollow(b *http.Client) *http.Client {
	return &http.Client{Jar: b.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// beginGitHub starts a GitHub sign-in and returns the upstream authorize URL.
func beginGitHub(t *testing.T, ts *testServer, b *http.Client) *url.URL {
	resp, err := noFollow(b).Get(ts.URL + "/login/github")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

func TestCallbackFailures(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())

	t.Run("state mismatch", func(t *testing.T) {
		b := browser(t)
		au := beginGitHub(t, ts, b)
		params := providertest.Authorize(t, au.String())
		params.Set("state", "forged-state")
		resp, body := get(t, b, ts.URL+"/login/github/callback?"+params.Encode())
		expectPage(t, resp, body, http.StatusBadRequest, "could not be verified")
	})
	t.Run("callback from another browser", func(t *testing.T) {
		au := beginGitHub(t, ts, browser(t))
		params := providertest.Authorize(t, au.String())
		resp, body := get(t, browser(t), ts.URL+"/login/github/callback?"+params.Encode())
		expectPage(t, resp, body, http.StatusBadRequest, "could not be verified")
	})
	t.Run("replayed callback", func(t *testing.T) {
		b := browser(t)
		au := beginGitHub(t, ts, b)
		params := providertest.Authorize(t, au.String())
		cb := ts.URL + "/login/github/callback?" + params.Encode()
		// Keep the state cookie to replay it (a stolen callback URL + cookie).
		cookies := b.Jar.Cookies(mustURL(t, ts.URL+"/login/github/callback"))
		resp, _ := get(t, b, cb)
		require.Equal(t, "/account", resp.Request.URL.Path)
		b2 := browser(t)
		b2.Jar.SetCookies(mustURL(t, ts.URL+"/login/"), cookies)
		resp, body := get(t, b2, cb)
		expectPage(t, resp, body, http.StatusBadRequest, "already used")
	})
	t.Run("user denied", func(t *testing.T) {
		b := browser(t)
		au := beginGitHub(t, ts, b)
		q := url.Values{"error": {"access_denied"}, "state": {au.Query().Get("state")}}
		resp, body := get(t, b, ts.URL+"/login/github/callback?"+q.Encode())
		expectPage(t, resp, body, http.StatusForbidden, "You declined")
	})
	faults := []struct {
		name  string
		apply func()
		clear func()
	}{
		{"upstream 500", func() { up.gh.SetFault(up.gh.TokenPath, providertest.Status500) }, func() { up.gh.SetFault(up.gh.TokenPath, providertest.OK) }},
		{"upstream timeout", func() { up.gh.SetFault(up.gh.ProfilePath, providertest.Hang) }, func() { up.gh.SetFault(up.gh.ProfilePath, providertest.OK) }},
		{"malformed profile", func() { up.gh.SetFault(up.gh.ProfilePath, providertest.Garbage) }, func() { up.gh.SetFault(up.gh.ProfilePath, providertest.OK) }},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			f.apply()
			defer f.clear()
			resp, body := get(t, browser(t), ts.URL+"/login/github")
			expectPage(t, resp, body, http.StatusBadGateway, "did not complete the sign-in")
		})
	}
	t.Run("unknown provider", func(t *testing.T) {
		resp, body := get(t, browser(t), ts.URL+"/login/nope")
		expectPage(t, resp, body, http.StatusNotFound, "no sign-in provider")
	})
	evs := ts.audit(t, "")
	failed := 0
	for _, e := range evs {
		if e.Type == "login_failed" {
			failed++
		}
	}
	if failed < 7 {
		t.Errorf("%d login_failed audit events, want one per failure", failed)
	}
}

func TestReturnToStaysOnSite(t *testing.T) {
	ts := startServer(t, mockOnly)
	for _, rt := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
		resp, _ := get(t, browser(t), ts.URL+"/login/mock?return_to="+url.QueryEscape(rt))
		if resp.Request.URL.Host != strings.TrimPrefix(ts.URL, "http://") || resp.Request.URL.Path != "/account" {
			t.Errorf("return_to %q led to %s", rt, resp.Request.URL)
		}
	}
	resp, _ := get(t, browser(t), ts.URL+"/login/mock?return_to="+url.QueryEscape("/account?x=1"))
	if resp.Request.URL.RequestURI() != "/account?x=1" {
		t.Errorf("same-site return_to not honoured: %s", resp.Request.URL)
	}
}

func expectPage(t *testing.T, resp *http.Response, body string, status int, text string) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(body, text) || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("got %d %s, want %d page with %q:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), status, text, body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// The sign-in page says what each provider that describes its upstream
// scopes asks for, under its own button only.
func TestLoginPageShowsUpstreamScopes(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	resp, body := get(t, browser(t), ts.URL+"/login")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	want := "asks for: Read your LaMetric profile (name, e-mail, etc.); See the devices connected to your LaMetric account"
	if !strings.Contains(body, want) {
		t.Fatalf("/login lacks %q:\n%s", want, body)
	}
	if strings.Count(body, "asks for:") != 1 {
		t.Errorf("scope notes on providers that do not describe scopes:\n%s", body)
	}
	if strings.Contains(body, "Update your LaMetric devices") {
		t.Errorf("/login describes a scope the instance does not request:\n%s", body)
	}
}
