package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

var sessionRowRe = regexp.MustCompile(`<tr data-sid="([^"]+)">\s*<td>([^<]*)(?: <strong>\(this browser\)</strong>)?</td>`)

// sids lists the sessions /account shows to b.
func sids(t *testing.T, ts *testServer, b *http.Client) (all []string, page string) {
	t.Helper()
	_, page = get(t, b, ts.URL+"/account")
	for _, m := range sessionRowRe.FindAllStringSubmatch(page, -1) {
		all = append(all, m[1])
	}
	return all, page
}

// A session id of another account is not found and that session lives on.
func TestAccountSignOutOthersSessionRefused(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := context.Background()
	now := ts.Clock.Now()
	other := &store.Account{ID: store.NewID(), Username: "mallory-victim", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, ts.Store.CreateAccount(ctx, other))
	require.NoError(t, ts.Store.CreateSession(ctx, &store.Session{ID: "victim-session", AccountID: other.ID, AMR: "pwd",
		AuthTime: now, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}))

	b := signedInAgent(t, ts)
	_, page := sids(t, ts, b)
	resp, _ := postForm(t, b, ts.URL+"/account/sessions/"+tokens.SID("victim-session")+"/signout", url.Values{"_csrf": {csrfFrom(t, page)}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	if _, err := ts.Store.GetSession(ctx, "victim-session", now); err != nil {
		t.Errorf("another account's session was signed out: %v", err)
	}
}

// /account lists the user's sessions with this browser marked; signing
// one out ends it (and only it); "sign out everywhere" ends all, this
// one too, and tells the apps they signed into.
func TestAccountSessions(t *testing.T) {
	ts := startServer(t, mockOnly)
	app := newBCApp(t, 0)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}, BackchannelLogoutURI: app.URL + "/bc"})
	a, b, c := signedInAgent(t, ts), signedInAgent(t, ts), signedInAgent(t, ts)
	_, sidC := signInApp(t, ts, c, conf)

	list, page := sids(t, ts, a)
	require.Len(t, list, 3)
	require.Regexp(t, `\(this browser\)`, page)
	// a signs b out: b is signed out, a and c are not.
	_, pageB := sids(t, ts, b)
	mine := sessionRowRe.FindAllStringSubmatch(pageB, -1)
	var sidB string
	for _, m := range mine {
		if regexp.MustCompile(`data-sid="` + regexp.QuoteMeta(m[1]) + `">\s*<td>[^<]*<strong>\(this browser\)`).MatchString(pageB) {
			sidB = m[1]
		}
	}
	require.NotEmpty(t, sidB)
	resp, _ := postForm(t, a, ts.URL+"/account/sessions/"+sidB+"/signout", url.Values{"_csrf": {csrfFrom(t, page)}})
	require.Equal(t, "/account", resp.Request.URL.Path)
	if signedIn(t, ts, b) || !signedIn(t, ts, a) || !signedIn(t, ts, c) {
		t.Fatalf("after signing b out: a %v b %v c %v", signedIn(t, ts, a), signedIn(t, ts, b), signedIn(t, ts, c))
	}

	_, page = sids(t, ts, a)
	resp, _ = postForm(t, a, ts.URL+"/account/sessions/signout-all", url.Values{"_csrf": {csrfFrom(t, page)}})
	require.Equal(t, "/login", resp.Request.URL.Path)
	if signedIn(t, ts, a) || signedIn(t, ts, c) {
		t.Error("sign out everywhere left a session")
	}
	checkLogoutToken(t, ts, app.next(t), conf.ClientID, sidC)
}
