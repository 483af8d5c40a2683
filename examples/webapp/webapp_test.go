package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server"
	"gatehouse/server/apis"
	"gatehouse/server/apps"
	"gatehouse/server/config"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

// gatehouse starts a Gatehouse with the mock provider on 127.0.0.1.
func gatehouse(t *testing.T) (string, store.Store) {
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	dir := t.TempDir()
	yaml := "issuer: " + base + "\ndev: true\nmaster_key_file: " + filepath.Join(dir, "key") +
		"\ndatabase:\n  driver: sqlite\n  dsn: " + filepath.Join(dir, "gatehouse.db") +
		"\nproviders:\n  - name: mock\n    type: mock\n    options:\n      username: carol\n      email: carol@example.test\n"
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	st := sqlitetest.Open(t)
	s, err := server.NewWithOptions(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{Store: st})
	require.NoError(t, err)
	hs.Config.Handler = s.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	t.Cleanup(func() { s.Close() })
	return base, st
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// TestSignInAndCallTheAPI drives the example as a browser would: sign in
// with the mock provider, approve the consent page, come back signed in,
// and call the API with the token issued for it.
func TestSignInAndCallTheAPI(t *testing.T) {
	gh, st := gatehouse(t)
	ctx := context.Background()
	web := httptest.NewUnstartedServer(nil)
	base := "http://" + web.Listener.Addr().String()
	cl, secret, err := apps.Create(ctx, st, apps.Spec{Name: "webapp", RedirectURIs: []string{base + "/callback"},
		Scopes: []string{"openid", "profile"}, GrantTypes: []string{"authorization_code", "client_credentials"}, Operator: true}, nil, time.Now())
	require.NoError(t, err)
	_, _, err = apis.Create(ctx, st, apis.Spec{Identifier: base + "/api", Name: "Things",
		Scopes: []store.APIScope{{Name: "read:things", Description: "Read your things"}}}, "cli", time.Now())
	require.NoError(t, err)
	h, err := New(ctx, Config{Issuer: gh, ClientID: cl.ID, ClientSecret: secret, BaseURL: base})
	require.NoError(t, err)
	web.Config.Handler = h
	web.Start()
	t.Cleanup(web.Close)

	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	fetch(t, b, http.MethodGet, gh+"/login/mock", nil) // signed in at Gatehouse
	body := fetch(t, b, http.MethodGet, base+"/login", nil)
	require.Contains(t, body, "Things: Read your things", "the consent page")
	form := url.Values{"decision": {"approve"}}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	body = fetch(t, b, http.MethodPost, gh+"/consent", form)
	require.Contains(t, body, "Signed in as <strong>Dev User</strong>")
	body = fetch(t, b, http.MethodGet, base+"/things", nil)
	require.Contains(t, body, "a teapot", "the API answered the app")

	// The API refuses tokens that are not for it: the app's own token
	// (no resource) and a token for another API.
	_, _, err = apis.Create(ctx, st, apis.Spec{Identifier: "https://other.example", Scopes: []store.APIScope{{Name: "read:things"}}}, "cli", time.Now())
	require.NoError(t, err)
	for what, form := range map[string]url.Values{"no resource": {"scope": {"profile"}},
		"another API": {"resource": {"https://other.example"}, "scope": {"read:things"}}} {
		tok := machineToken(t, gh, cl.ID, secret, form)
		req, _ := http.NewRequest(http.MethodGet, base+"/api/things", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, what)
		require.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`, what)
	}
}

// fetch does a request, following redirects, and wants 200.
func fetch(t *testing.T, b *http.Client, method, u string, form url.Values) string {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.PostForm(u, form)
	} else {
		resp, err = b.Get(u)
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s → %s:\n%s", method, u, resp.Request.URL, body)
	return string(body)
}

// machineToken is a client_credentials token of the app.
func machineToken(t *testing.T, gh, id, secret string, form url.Values) string {
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest(http.MethodPost, gh+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	return m["access_token"].(string)
}
