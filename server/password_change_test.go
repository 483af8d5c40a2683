package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apitokens"
)

// signedOut reports whether b's session is gone (/account sends it to sign in).
func signedOut(t *testing.T, ts *testServer, b *http.Client) bool {
	resp, _ := get(t, b, ts.URL+"/account")
	return resp.Request.URL.Path == "/login"
}

// A password change ends the account's other sign-ins: other browser
// sessions and refresh tokens at once, API tokens when the user asks.
func TestPasswordChangeEndsOtherAccess(t *testing.T) {
	ts := startServer(t, mockOnly)
	alice := addUser(t, ts, "alice", "correct horse")
	here, csrf := signIn(t, ts, "alice", "correct horse")
	there, _ := signIn(t, ts, "alice", "correct horse")
	_, rt := login(t, ts, "alice", "correct horse")
	_, apiSecret, err := apitokens.Issue(context.Background(), ts.Store, alice.ID, "ci", time.Hour, ts.Clock.Now())
	require.NoError(t, err)

	resp, body := postForm(t, here, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "current": {"correct horse"}, "new": {"battery staple"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if signedOut(t, ts, here) {
		t.Errorf("the browser that changed the password was signed out")
	}
	if !signedOut(t, ts, there) {
		t.Errorf("another browser stayed signed in after the password change")
	}
	if r, m := postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": rt}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("refresh token after the password change: %d %v", r.StatusCode, m)
	}
	if r, m := me(t, ts, "Bearer "+apiSecret); r.StatusCode != http.StatusOK {
		t.Errorf("API token revoked without being asked: %d %v", r.StatusCode, m)
	}
	resp, body = postForm(t, here, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "current": {"battery staple"}, "new": {"third password"},
		"revoke_api_tokens": {"1"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if r, m := me(t, ts, "Bearer "+apiSecret); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("API token after a change that asked to revoke them: %d %v", r.StatusCode, m)
	}
	var n int
	for _, e := range ts.audit(t, alice.ID) {
		if e.Type == "password.changed" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d password.changed events, want 2", n)
	}
}

// Setting a first password (no current one to check) needs a recent
// sign-in: a session left open on a shared computer must not be enough.
func TestFirstPasswordNeedsRecentSignIn(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login/mock")
	csrf := csrfFrom(t, page)
	ts.Clock.Add(11 * time.Minute)
	nb := noRedirects(b)
	resp, body := postForm(t, nb, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "new": {"a first password"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") || !strings.Contains(loc, "return_to=%2Faccount") {
		t.Errorf("stale sign-in setting a first password: %d %q %s", resp.StatusCode, loc, body)
	}
	acct, err := ts.Store.GetAccountByUsername(context.Background(), "carol")
	require.NoError(t, err)
	if acct.PasswordHash != "" {
		t.Fatalf("a first password was set on a sign-in 11 minutes old")
	}
	// Signed in again, it works.
	_, page = get(t, b, ts.URL+"/login/mock")
	resp, body = postForm(t, b, ts.URL+"/account/password", url.Values{"_csrf": {csrfFrom(t, page)}, "new": {"a first password"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if !strings.Contains(body, "password was saved") {
		t.Errorf("first password after a fresh sign-in: %s", body)
	}
}

// Guesses of the current password on /account count in the password
// rate limit that /login and the token API share.
func TestPasswordChangeGuessesRateLimited(t *testing.T) {
	ts := startServer(t, mockOnly+"login:\n  password_attempts: 3\n  password_window: 15m\n")
	addUser(t, ts, "alice", "correct horse")
	b, csrf := signIn(t, ts, "alice", "correct horse") // one attempt
	for i := 0; i < 2; i++ {
		resp, body := postForm(t, b, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "current": {"guess"}, "new": {"battery staple"}})
		expectPage(t, resp, body, http.StatusBadRequest, "current password was not right")
	}
	resp, body := postForm(t, b, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "current": {"correct horse"}, "new": {"battery staple"}})
	expectPage(t, resp, body, http.StatusTooManyRequests, "Too many")
	if r, m := postJSON(t, ts.URL+"/api/token-auth/", map[string]string{"username": "alice", "password": "correct horse"}); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("token API after guesses on /account: %d %v", r.StatusCode, m)
	}
}
