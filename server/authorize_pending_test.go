package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
)

// A 1,500-character authorization request survives sign-in, with the mock
// provider and with a password.
func TestLongAuthorizeURLSurvivesSignIn(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "alice password")
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}})
	state := strings.Repeat("s", 1400)
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("scope", "openid profile"))
	require.Greater(t, len(authURL), 1500)

	for _, how := range []string{"mock", "password"} {
		b := agent(t)
		resp, body := get(t, b, authURL)
		require.Equal(t, "/login", resp.Request.URL.Path, body)
		switch how {
		case "mock":
			m := mockLinkRe.FindStringSubmatch(body)
			require.NotNil(t, m, body)
			resp, body = get(t, b, ts.URL+htmlUnescape(m[1]))
		case "password":
			form := consentForm(body)
			form.Set("username", "alice")
			form.Set("password", "alice password")
			resp, body = postForm(t, b, ts.URL+"/login", form)
		}
		require.Equal(t, "/consent", resp.Request.URL.Path, "%s: after sign-in at %s:\n%s", how, resp.Request.URL, body)
		form := consentForm(body)
		form.Set("decision", "approve")
		back := postConsent(t, b, ts, form)
		if back.Query().Get("code") == "" || back.Query().Get("state") != state {
			t.Errorf("%s: the app got %.200s", how, back)
		}
	}
}

// prompt=login demands a sign-in after the request; neither a made-up
// auth_after nor a direct post to /consent skips it.
func TestPromptLoginCannotBeSkipped(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	ts.Clock.Add(time.Hour)
	pkce := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())

	for _, opts := range [][]oauth2.AuthCodeOption{
		{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("auth_after", "1")},
		{oauth2.SetAuthURLParam("max_age", "60"), oauth2.SetAuthURLParam("auth_after", "1")},
	} {
		resp, body := get(t, b, conf.AuthCodeURL("s", append(opts, pkce)...))
		if resp.Request.URL.Path != "/login" {
			t.Errorf("auth_after skipped the forced sign-in: at %s:\n%.300s", resp.Request.URL, body)
		}
	}

	// Posting the consent form directly, with the request's parameters.
	_, page := get(t, b, ts.URL+"/login")
	form := url.Values{"_csrf": {csrfFrom(t, page)}, "client_id": {conf.ClientID}, "redirect_uri": {appRedirect}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "prompt": {"login"}, "decision": {"approve"}}
	resp, body := postFormNoFollow(t, b, ts.URL+"/consent", form)
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") {
		t.Errorf("a direct consent post skipped prompt=login: %d %s\n%.300s", resp.StatusCode, loc, body)
	}

	// The pending request itself: continuing it without signing in again
	// leads back to the sign-in page, and deciding it is refused.
	resp, body = get(t, b, conf.AuthCodeURL("s", pkce, oauth2.SetAuthURLParam("prompt", "login")))
	require.Equal(t, "/login", resp.Request.URL.Path, body)
	rt := resp.Request.URL.Query().Get("return_to")
	resp, body = get(t, b, ts.URL+rt)
	if resp.Request.URL.Path != "/login" {
		t.Errorf("continuing without a fresh sign-in reached %s:\n%.300s", resp.Request.URL, body)
	}
	cont := mustURL(t, rt)
	form = url.Values{"_csrf": {csrfFrom(t, body)}, "decision": {"approve"}}
	for k, v := range cont.Query() {
		form[k] = v
	}
	resp, _ = postFormNoFollow(t, b, ts.URL+"/consent", form)
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") || strings.HasPrefix(loc, appRedirect) {
		t.Errorf("deciding without a fresh sign-in answered %d %s", resp.StatusCode, loc)
	}
	// Signing in again completes it.
	ts.Clock.Add(time.Second)
	resp, body = get(t, b, ts.URL+"/login/mock?return_to="+url.QueryEscape(rt))
	require.Equal(t, "/consent", resp.Request.URL.Path, body)
	f := consentForm(body)
	f.Set("decision", "approve")
	back := postConsent(t, b, ts, f)
	require.NotEmpty(t, back.Query().Get("code"), back.String())
}

func postFormNoFollow(t *testing.T, b *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	return postForm(t, noRedirects(b), u, form)
}

func getNoFollow(t *testing.T, b *http.Client, u string) (*http.Response, string) {
	t.Helper()
	return get(t, noRedirects(b), u)
}

// postConsent posts a consent form and returns the app's redirect.
func postConsent(t *testing.T, b *http.Client, ts *testServer, form url.Values) *url.URL {
	t.Helper()
	resp, body := postFormNoFollow(t, b, ts.URL+"/consent", form)
	return appRedirectOf(t, resp, body)
}

// A pending request belongs to the browser that made it: its ID (which
// travels in URLs) is useless in another browser, and it expires.
func TestPendingRequestBoundToBrowser(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	victim := agent(t)
	resp, body := get(t, victim, conf.AuthCodeURL("victim", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.Equal(t, "/login", resp.Request.URL.Path, body)
	rt := resp.Request.URL.Query().Get("return_to")
	id := mustURL(t, rt).Query().Get("request")
	require.NotEmpty(t, id)

	other := signedInAgent(t, ts)
	resp, body = get(t, other, ts.URL+rt)
	expectPage(t, resp, body, http.StatusBadRequest, "")
	_, page := get(t, other, ts.URL+"/login")
	resp, body = postFormNoFollow(t, other, ts.URL+"/consent", url.Values{"_csrf": {csrfFrom(t, page)}, "request": {id}, "decision": {"approve"}})
	expectPage(t, resp, body, http.StatusBadRequest, "")
	if n := consentCount(t, ts); n != 0 {
		t.Errorf("%d consents stored from another browser", n)
	}

	// The victim's own browser can go on, until the request expires.
	ts.Clock.Add(11 * time.Minute)
	resp, body = get(t, victim, ts.URL+"/login/mock?return_to="+url.QueryEscape(rt))
	expectPage(t, resp, body, http.StatusBadRequest, "")
	resp, body = get(t, victim, conf.AuthCodeURL("victim", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.Equal(t, "/consent", resp.Request.URL.Path, body)
	form := consentForm(body)
	form.Set("decision", "approve")
	if back := postConsent(t, victim, ts, form); back.Query().Get("code") == "" || back.Query().Get("state") != "victim" {
		t.Errorf("the victim's own request: %s", back)
	}
}

// Requests answered at once (a code, an error) leave no pending row: the
// only rows they make are the codes.
func TestNoPendingRowForImmediateAnswers(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := context.Background()
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	pkce := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	authorize(t, b, conf.AuthCodeURL("s", pkce), "approve") // consent once
	sweep := func() int64 {
		n, err := ts.Store.DeleteExpired(ctx, ts.Clock.Now().Add(11*time.Minute)) // codes and pending rows, not the session
		require.NoError(t, err)
		return n
	}
	sweep()
	for i := 0; i < 3; i++ {
		require.NotEmpty(t, authorize(t, b, conf.AuthCodeURL("s", pkce), "approve").Query().Get("code"))
	}
	for _, opt := range []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("scope", "groups"), oauth2.SetAuthURLParam("request_uri", "urn:x"), oauth2.SetAuthURLParam("response_mode", "bogus"),
	} {
		require.NotEmpty(t, authorize(t, b, conf.AuthCodeURL("s", pkce, opt), "approve").Query().Get("error"))
	}
	require.Equal(t, "login_required", authorize(t, agent(t), conf.AuthCodeURL("s", pkce, oauth2.SetAuthURLParam("prompt", "none")), "approve").Query().Get("error"))
	if n := sweep(); n != 3 {
		t.Errorf("swept %d rows, want the 3 codes only", n)
	}
	// A request that waits does make one.
	consentPage(t, b, conf.AuthCodeURL("s", pkce, oauth2.SetAuthURLParam("prompt", "consent")))
	if n := sweep(); n != 1 {
		t.Errorf("swept %d rows, want the one pending request", n)
	}
}
