package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// renew trades a still-valid access token for a new one.
func renew(t *testing.T, ts *testServer, tok string) (int, string) {
	t.Helper()
	resp, m := postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"token": tok})
	next, _ := m["token"].(string)
	return resp.StatusCode, next
}

// sessionTokens trades b's session for first-party tokens (POST /account/token).
func sessionTokens(t *testing.T, ts *testServer, b *http.Client, csrf string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/account/token", nil)
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := b.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	return m["token"].(string)
}

// Renewing with an access token works only while the sign-in it came from
// is alive: its refresh family (token API) or its browser session.
func TestRenewEndsWithSignIn(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")

	t.Run("family revoked", func(t *testing.T) {
		tok, rt := login(t, ts, "alice", "correct horse")
		status, next := renew(t, ts, tok)
		require.Equal(t, http.StatusOK, status)
		if status, _ := renew(t, ts, next); status != http.StatusOK {
			t.Fatalf("renewing a renewed token: %d", status)
		}
		// Reuse of a rotated refresh token revokes the family.
		r, _ := postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": rt})
		require.Equal(t, http.StatusOK, r.StatusCode)
		ts.Clock.Add(11 * time.Second) // past the refresh grace window
		r, _ = postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": rt})
		require.Equal(t, http.StatusBadRequest, r.StatusCode)
		for _, tk := range []string{tok, next} {
			if status, _ := renew(t, ts, tk); status != http.StatusBadRequest {
				t.Errorf("renew after the family was revoked: %d", status)
			}
		}
	})
	t.Run("logout", func(t *testing.T) {
		b, csrf := signIn(t, ts, "alice", "correct horse")
		tok := sessionTokens(t, ts, b, csrf)
		status, next := renew(t, ts, tok)
		require.Equal(t, http.StatusOK, status)
		postForm(t, b, ts.URL+"/logout", url.Values{"_csrf": {csrf}})
		for _, tk := range []string{tok, next} {
			if status, _ := renew(t, ts, tk); status != http.StatusBadRequest {
				t.Errorf("renew after logout: %d", status)
			}
		}
	})
	t.Run("password change", func(t *testing.T) {
		tok, _ := login(t, ts, "alice", "correct horse")
		other, otherCSRF := signIn(t, ts, "alice", "correct horse")
		sessTok := sessionTokens(t, ts, other, otherCSRF)
		b, csrf := signIn(t, ts, "alice", "correct horse")
		resp, body := postForm(t, b, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "current": {"correct horse"}, "new": {"battery staple"}})
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		if status, _ := renew(t, ts, tok); status != http.StatusBadRequest {
			t.Errorf("renew of a token-API token after a password change: %d", status)
		}
		if status, _ := renew(t, ts, sessTok); status != http.StatusBadRequest {
			t.Errorf("renew of another session's token after a password change: %d", status)
		}
	})
}

// Renewing a token must not change how its sign-in authenticated: a token
// from an upstream sign-in renews with that provider in amr, not "pwd".
func TestRenewKeepsAMR(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login/mock")
	tok := sessionTokens(t, ts, b, csrfFrom(t, page))
	status, next := renew(t, ts, tok)
	require.Equal(t, http.StatusOK, status)
	want := jwtClaims(t, tok)["amr"]
	require.NotEqual(t, []any{"pwd"}, want)
	if got := jwtClaims(t, next)["amr"]; !reflect.DeepEqual(got, want) {
		t.Errorf("renewed token's amr = %v, want %v", got, want)
	}
}
