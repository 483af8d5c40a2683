package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPasswordPages(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login")
	csrf := csrfFrom(t, page)

	tests := []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"wrong password", url.Values{"username": {"alice"}, "password": {"nope"}}, http.StatusUnauthorized, "Unable to sign in"},
		{"unknown user", url.Values{"username": {"bob"}, "password": {"nope"}}, http.StatusUnauthorized, "Unable to sign in"},
		{"missing password", url.Values{"username": {"alice"}}, http.StatusBadRequest, "Enter your username and password"},
		{"huge username", url.Values{"username": {strings.Repeat("a", 300)}, "password": {"x"}}, http.StatusBadRequest, "Enter your username"},
	}
	for _, tt := range tests {
		tt.form.Set("_csrf", csrf)
		resp, body := postForm(t, b, ts.URL+"/login", tt.form)
		expectPage(t, resp, body, tt.status, tt.text)
		if strings.Contains(body, "nope") {
			t.Errorf("%s: the page echoes the password", tt.name)
		}
	}
	// No CSRF token: a readable refusal, not a 500.
	resp, body := postForm(t, browser(t), ts.URL+"/login", url.Values{"username": {"alice"}, "password": {"correct horse"}})
	expectPage(t, resp, body, http.StatusBadRequest, "Request refused")

	resp, body = postForm(t, b, ts.URL+"/login", url.Values{"_csrf": {csrf}, "username": {"alice"}, "password": {"correct horse"},
		"return_to": {"https://evil.example/"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if resp.Request.URL.Path != "/account" || !strings.Contains(body, "alice") {
		t.Errorf("password sign-in landed on %s", resp.Request.URL)
	}

	// Changing the password needs the current one, and a long enough new one.
	csrf = csrfFrom(t, body)
	for _, tt := range []struct {
		form url.Values
		text string
	}{
		{url.Values{"current": {"wrong"}, "new": {"a new long password"}}, "current password was not right"},
		{url.Values{"current": {"correct horse"}, "new": {"short"}}, "at least 8 characters"},
	} {
		tt.form.Set("_csrf", csrf)
		resp, body := postForm(t, b, ts.URL+"/account/password", tt.form)
		expectPage(t, resp, body, http.StatusBadRequest, tt.text)
	}
	resp, body = postForm(t, b, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "current": {"correct horse"}, "new": {"a new long password"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if !strings.Contains(body, "password was saved") {
		t.Errorf("no notice after password change")
	}
	resp, body = postForm(t, b, ts.URL+"/account/identities/nope/unlink", url.Values{"_csrf": {csrf}})
	expectPage(t, resp, body, http.StatusNotFound, "not linked")
}

func TestPasswordsDisabled(t *testing.T) {
	ts := startServer(t, mockOnly+"login:\n  passwords: false\n")
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login")
	if strings.Contains(page, `type="password"`) {
		t.Errorf("password form shown while passwords are disabled")
	}
	var csrf string
	for _, c := range b.Jar.Cookies(mustURL(t, ts.URL+"/")) {
		if c.Name == "gatehouse_csrf" {
			csrf = c.Value
		}
	}
	resp, body := postForm(t, b, ts.URL+"/login", url.Values{"_csrf": {csrf}, "username": {"a"}, "password": {"b"}})
	expectPage(t, resp, body, http.StatusNotFound, "not enabled")
	r, m := postJSON(t, ts.URL+"/api/token-auth/", map[string]string{"username": "a", "password": "b"})
	if r.StatusCode != http.StatusForbidden || m["error"] != "passwords_disabled" {
		t.Errorf("token-auth with passwords off: %d %v", r.StatusCode, m)
	}
}

func TestUnknownRoutes(t *testing.T) {
	ts := startServer(t, mockOnly)
	resp, body := get(t, browser(t), ts.URL+"/no/such/page")
	expectPage(t, resp, body, http.StatusNotFound, "Page not found")
	resp, m := call(t, http.MethodGet, ts.URL+"/api/nope", "", nil, nil)
	if resp.StatusCode != http.StatusNotFound || m["error"] != "not_found" {
		t.Errorf("unknown API route: %d %v", resp.StatusCode, m)
	}
	resp, m = call(t, http.MethodPost, ts.URL+"/api/token-auth/", "application/json", strings.NewReader(strings.Repeat("x", 2<<20)), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || m["error"] != "request_too_large" {
		t.Errorf("2 MiB body: %d %v", resp.StatusCode, m)
	}
}
