package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// thisBrowserSID is the sid /account marks "this browser" for b.
func thisBrowserSID(t *testing.T, ts *testServer, b *http.Client) string {
	t.Helper()
	_, page := get(t, b, ts.URL+"/account")
	for _, m := range sessionRowRe.FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[0], "(this browser)") {
			return m[1]
		}
	}
	t.Fatal("no session marked this browser")
	return ""
}

// The session list in a real browser: it shows both sessions, marks this
// one, and "Sign out" on the other session ends that one only.
func TestBrowserSessionList(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := newBrowser(t)
	s := step(t, ctx)
	browserSignIn(t, s, ts)
	other := signedInAgent(t, ts)
	sid := thisBrowserSID(t, ts, other)

	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/account")))
	table, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#sessions`)))
	require.NoError(t, err)
	if strings.Count(table, "Sign out") != 2 || !strings.Contains(table, "(this browser)") || !strings.Contains(table, "Chrome on Linux") {
		t.Errorf("session table:\n%s", table)
	}
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`tr[data-sid="`+sid+`"] button`))); err != nil {
		t.Fatalf("sign the other session out: %v", err)
	}
	msg, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`p[role="status"]`)))
	require.NoError(t, err)
	if !strings.Contains(msg, "signed out") {
		t.Errorf("notice = %q", msg)
	}
	if signedIn(t, ts, other) {
		t.Error("the other session is still signed in")
	}
	if loc := location(t, s); loc.Path != "/account" {
		t.Errorf("the browser left its account page: %s", loc)
	}
}

// The logout confirmation page in a real browser: "Sign out" ends the
// session and lands on the app's registered post-logout URI with state.
func TestBrowserLogoutConfirmation(t *testing.T) {
	ts := startServer(t, mockOnly)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("bye")) }))
	t.Cleanup(app.Close)
	conf := newApp(t, ts, apps.Spec{Name: "Wiki", Scopes: []string{"openid"}, PostLogoutRedirectURIs: []string{app.URL + "/bye"}})
	ctx := newBrowser(t)
	s := step(t, ctx)
	browserSignIn(t, s, ts)

	q := url.Values{"client_id": {conf.ClientID}, "post_logout_redirect_uri": {app.URL + "/bye"}, "state": {"s1"}}
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/oauth2/logout?"+q.Encode())))
	h1, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`h1`)))
	require.NoError(t, err)
	require.Equal(t, "Sign out of Gatehouse?", strings.TrimSpace(h1))
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`button[value="logout"]`))); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if loc := location(t, s); loc.Host != strings.TrimPrefix(app.URL, "http://") || loc.Path != "/bye" || loc.Query().Get("state") != "s1" {
		t.Errorf("after confirming at %s", loc)
	}
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/account")))
	if loc := location(t, s); loc.Path != "/login" {
		t.Errorf("still signed in: /account is at %s", loc)
	}
}
