package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Behind a TLS-terminating proxy the server sees plain http, but the
// issuer is https: HSTS is sent and the session and CSRF cookies carry the
// __Host- prefix (Secure, Path=/, no Domain), so a sibling subdomain
// cannot plant or overwrite them.
func TestHTTPSIssuerHardening(t *testing.T) {
	ts := startServerAt(t, "https://login.example.test", mockOnly)
	resp, _ := get(t, noRedirects(browser(t)), ts.URL+"/login")
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("no HSTS for an https issuer behind a proxy: %q", got)
	}
	csrf := cookieNamed(resp, "__Host-gatehouse_csrf")
	if csrf == nil || !csrf.Secure || csrf.Path != "/" || csrf.Domain != "" {
		t.Fatalf("CSRF cookie = %+v (all: %v)", csrf, resp.Header.Values("Set-Cookie"))
	}
	// A password sign-in sets the session cookie (sent by hand: a cookie
	// jar keeps Secure cookies away from this test's http URL).
	addUser(t, ts, "hank", "a long password 1")
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/login", strings.NewReader(url.Values{
		"username": {"hank"}, "password": {"a long password 1"}, "_csrf": {csrf.Value}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	resp, err := noRedirects(browser(t)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sess := cookieNamed(resp, "__Host-gatehouse_session")
	if sess == nil || !sess.Secure || sess.Path != "/" || sess.Domain != "" || !sess.HttpOnly {
		t.Errorf("session cookie = %+v (%d, all: %v)", sess, resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}

	plain := startServer(t, mockOnly)
	resp, _ = get(t, browser(t), plain.URL+"/login")
	if resp.Header.Get("Strict-Transport-Security") != "" || cookieNamed(resp, "gatehouse_csrf") == nil {
		t.Errorf("http issuer: HSTS %q, cookies %v", resp.Header.Get("Strict-Transport-Security"), resp.Header.Values("Set-Cookie"))
	}
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
