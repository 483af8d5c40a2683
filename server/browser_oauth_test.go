package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/store"
)

// browserSignIn signs the browser in with the mock provider.
func browserSignIn(t *testing.T, s context.Context, ts *testServer) {
	t.Helper()
	if err := chromedp.Do(s, chromedp.Navigate(ts.URL+"/login/mock")); err != nil {
		t.Fatal(err)
	}
}

// appRedirectSeen reads where the browser was sent for the app: the app's
// redirect URI is not served, so Chromium shows an error page at it.
func location(t *testing.T, s context.Context) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(s, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	return u
}

func TestBrowserConsent(t *testing.T) {
	ts := startServer(t, mockOnly)
	// The app's callback is a real server, so the browser lands somewhere.
	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("app callback")) }))
	t.Cleanup(appSrv.Close)
	conf := newApp(t, ts, apps.Spec{Name: "Team Wiki", Scopes: []string{"openid", "profile", "email"}, RedirectURIs: []string{appSrv.URL + "/cb"}})
	conf.RedirectURL = appSrv.URL + "/cb"
	appHost := strings.TrimPrefix(appSrv.URL, "http://")
	s := step(t, newBrowser(t))
	browserSignIn(t, s, ts)

	// Deny first, with decision=approve smuggled into the request: the
	// click decides.
	auth := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	u, _ := url.Parse(auth)
	q := u.Query()
	q.Set("scope", "openid email")
	q.Set("decision", "approve")
	u.RawQuery = q.Encode()
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(u.String())))
	text, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`main`)))
	require.NoError(t, err)
	if !strings.Contains(text, "Team Wiki") || !strings.Contains(text, "See your e-mail address") {
		t.Fatalf("consent page does not name the app and scopes:\n%s", text)
	}
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`button[value=deny]`))); err != nil {
		t.Fatal(err)
	}
	if got := location(t, s).Query().Get("error"); got != "access_denied" {
		t.Errorf("after deny at %s", location(t, s))
	}

	// Approve.
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(u.String())))
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`button[value=approve]`))); err != nil {
		t.Fatal(err)
	}
	if got := location(t, s); got.Query().Get("code") == "" {
		t.Errorf("after approve at %s", got)
	}
	// Remembered: the same request goes straight back to the app.
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(u.String())))
	if got := location(t, s); got.Query().Get("code") == "" || got.Host != appHost {
		t.Errorf("remembered consent showed the page again: %s", got)
	}
	// The account page lists the app and revokes it.
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/account")))
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`ul.authorized button`))); err != nil {
		t.Fatal(err)
	}
	consents, err := ts.Store.ListConsents(context.Background(), accountID(t, ts, "carol"))
	require.NoError(t, err)
	if len(consents) != 0 {
		t.Errorf("consent not revoked: %+v", consents)
	}
}

func accountID(t *testing.T, ts *testServer, username string) string {
	a, err := ts.Store.GetAccountByUsername(context.Background(), username)
	require.NoError(t, err)
	return a.ID
}

func TestBrowserAppPages(t *testing.T) {
	ts := startServer(t, mockOnly)
	s := step(t, newBrowser(t))
	browserSignIn(t, s, ts)
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/apps")))
	require.NoError(t, chromedp.Do(s,
		chromedp.SendKeys(chromedp.CSS(`#name`), "Grafana"),
		chromedp.SendKeys(chromedp.CSS(`#redirect_uris`), "https://grafana.example/login/generic_oauth"),
	))
	if _, err := chromedp.RunResponse(s, chromedp.Submit(chromedp.CSS(`#name`))); err != nil {
		t.Fatalf("register: %v", err)
	}
	secret, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#client-secret`)))
	require.NoError(t, err)
	clientID, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#client-id`)))
	require.NoError(t, err)
	cl, err := ts.Store.GetClient(context.Background(), clientID)
	require.NoError(t, err)
	if len(secret) != 43 || cl.SecretHash == secret || cl.Name != "Grafana" {
		t.Fatalf("secret %q / stored %+v", secret, cl)
	}
	// Shown once: the app page does not show it again.
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/apps/"+clientID)))
	body, _ := chromedp.Run(s, chromedp.Text(chromedp.CSS(`main`)))
	if strings.Contains(body, secret) {
		t.Errorf("the secret is shown again")
	}
	// Rotate.
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`#rotate`))); err != nil {
		t.Fatal(err)
	}
	secret2, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#client-secret`)))
	require.NoError(t, err)
	if secret2 == secret || len(secret2) != 43 {
		t.Errorf("rotated secret %q", secret2)
	}
	// Delete.
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`#delete`))); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.GetClient(context.Background(), clientID); err != store.ErrNotFound {
		t.Errorf("app still there after delete: %v", err)
	}
	msg, _ := chromedp.Run(s, chromedp.Text(chromedp.CSS(`[role=status]`)))
	if !strings.Contains(msg, "deleted") {
		t.Errorf("after delete: %q", msg)
	}
}
