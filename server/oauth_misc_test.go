package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
	"gatehouse/server/tokens"
)

func TestImplicitFlow(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Public: true, GrantTypes: []string{"implicit"}, Scopes: []string{"profile"}})
	b := signedInAgent(t, ts)
	q := url.Values{"client_id": {conf.ClientID}, "redirect_uri": {appRedirect}, "response_type": {"token"}, "scope": {"profile"}, "state": {"xyz"}}
	back := authorize(t, b, ts.URL+"/oauth2/authorize?"+q.Encode(), "approve")
	if back.RawQuery != "" {
		t.Errorf("implicit response leaked into the query: %s", back)
	}
	f, err := url.ParseQuery(back.Fragment)
	require.NoError(t, err)
	if f.Get("access_token") == "" || f.Get("token_type") != "Bearer" || f.Get("state") != "xyz" || f.Get("scope") != "profile" || f.Get("expires_in") != "900" {
		t.Errorf("fragment = %v", f)
	}
	r, who := me(t, ts, "Bearer "+f.Get("access_token"))
	if r.StatusCode != http.StatusOK || who["username"] != "carol" {
		t.Errorf("implicit token at users/me: %d %v", r.StatusCode, who)
	}
}

func TestDiscoveryJWKSAndCORS(t *testing.T) {
	ts := startServer(t, mockOnly+"cors:\n  allowed_origins: [\"https://app.example\"]\n")
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		resp, m := call(t, http.MethodGet, ts.URL+path, "", nil, http.Header{"Origin": {"https://app.example"}})
		if resp.StatusCode != http.StatusOK || m["issuer"] != ts.URL || m["jwks_uri"] != ts.URL+"/oauth2/jwks" {
			t.Errorf("%s = %d %v", path, resp.StatusCode, m)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
			t.Errorf("%s: allowed origin got no CORS header", path)
		}
	}
	resp, m := call(t, http.MethodGet, ts.URL+"/oauth2/jwks", "", nil, http.Header{"Origin": {"https://evil.example"}})
	keys, _ := m["keys"].([]any)
	if resp.StatusCode != http.StatusOK || len(keys) != 2 {
		t.Errorf("jwks = %d %v", resp.StatusCode, m)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin got CORS headers")
	}
	req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/oauth2/token", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	pre.Body.Close()
	if pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/login", nil)
	req.Header.Set("Origin", "https://app.example")
	page, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	page.Body.Close()
	if page.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a page got CORS headers")
	}
}

func TestDynamicRegistration(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	reg := func(auth, body string) (*http.Response, map[string]any) {
		h := http.Header{}
		if auth != "" {
			h.Set("Authorization", "Bearer "+auth)
		}
		return call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(body), h)
	}
	good := `{"client_name":"Grafana","redirect_uris":["https://grafana.example/cb"],"grant_types":["authorization_code","refresh_token"],"scope":"openid profile"}`
	resp, m := reg("", good)
	wantOAuthErr(t, "no initial token", resp, m, http.StatusUnauthorized, "invalid_token")
	resp, m = reg("wrong", good)
	wantOAuthErr(t, "wrong initial token", resp, m, http.StatusUnauthorized, "invalid_token")
	resp, m = reg(token, good)
	require.Equal(t, http.StatusCreated, resp.StatusCode, m)
	if m["client_id"] == "" || m["client_secret"] == nil || m["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Errorf("registered = %v", m)
	}
	for name, body := range map[string]string{
		"bad redirect":  `{"redirect_uris":["http://evil.example/cb"]}`,
		"no redirect":   `{"client_name":"x","grant_types":["authorization_code"]}`,
		"not json":      `redirect_uris=x`,
		"bad method":    `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`,
		"unknown scope": `{"redirect_uris":["https://a.example/cb"],"scope":"admin"}`,
	} {
		resp, m := reg(token, body)
		if resp.StatusCode != http.StatusBadRequest || (m["error"] != "invalid_client_metadata" && m["error"] != "invalid_redirect_uri") {
			t.Errorf("%s: %d %v", name, resp.StatusCode, m)
		}
	}
	resp, m = reg(token, `{"client_name":"CLI","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`)
	if resp.StatusCode != http.StatusCreated || m["client_secret"] != nil {
		t.Errorf("public registration: %d %v", resp.StatusCode, m)
	}
}

func TestPerAppSettings(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	ctx := context.Background()
	app := newApp(t, ts, apps.Spec{GrantTypes: []string{"password", "refresh_token"}, Scopes: []string{"openid", "offline_access"},
		RedirectURIs: []string{}, IDTokenAlg: "ES256", AccessTTL: time.Minute, RefreshGrace: 10 * time.Second, RefreshIdleTTL: 2 * time.Hour})
	app.Scopes = []string{"openid", "offline_access"}
	tok, err := app.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	if d := time.Until(tok.Expiry); d > 2*time.Minute {
		t.Errorf("per-app access TTL ignored: expires in %s", d)
	}
	rec, err := ts.Store.GetRefreshToken(ctx, tokens.HashToken(tok.RefreshToken))
	require.NoError(t, err)
	if rec.ExpiresAt.Sub(rec.CreatedAt) != 2*time.Hour {
		t.Errorf("per-app refresh idle TTL ignored: %s", rec.ExpiresAt.Sub(rec.CreatedAt))
	}
	idt, _ := tok.Extra("id_token").(string)
	if !strings.HasPrefix(idt, "eyJhbGciOiJFUzI1NiIs") {
		t.Errorf("id_token not ES256: %.30s", idt)
	}
	// Within the grace window the same refresh token may be presented twice.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {app.ClientID}}
	r1, m1 := tokenCall(t, ts, form, app.ClientID, app.ClientSecret)
	r2, m2 := tokenCall(t, ts, form, app.ClientID, app.ClientSecret)
	if r1.StatusCode != http.StatusOK || r2.StatusCode != http.StatusOK {
		t.Errorf("concurrent-style refreshes inside the grace window: %d %v / %d %v", r1.StatusCode, m1, r2.StatusCode, m2)
	}
	if m1["refresh_token"] != m2["refresh_token"] {
		t.Errorf("a refresh token presented twice in the grace window forked two branches")
	}
	ts.Clock.Add(11 * time.Second)
	r3, m3 := tokenCall(t, ts, form, app.ClientID, app.ClientSecret)
	wantOAuthErr(t, "after the grace window", r3, m3, http.StatusBadRequest, "invalid_grant")
}

// Racing exchanges of one code: one wins, and because the others are
// replays, what the winner got is revoked — every time, since spending the
// code and recording its refresh family are one transaction.
func TestConcurrentCodeExchange(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"profile", "offline_access"}})
	b := signedInAgent(t, ts)
	for round := range 3 {
		code := codeFor(t, ts, b, conf)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {conf.RedirectURL}}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []string
			refused int
		)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, m := tokenCall(t, ts, form, conf.ClientID, conf.ClientSecret)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case resp.StatusCode == http.StatusOK:
					rt, _ := m["refresh_token"].(string)
					winners = append(winners, rt)
				case m["error"] == "invalid_grant":
					refused++
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 || refused != 5 || winners[0] == "" {
			t.Fatalf("round %d: %d winners, %d refused, want 1 and 5", round, len(winners), refused)
		}
		resp, m := tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {winners[0]}}, conf.ClientID, conf.ClientSecret)
		wantOAuthErr(t, "the winner's refresh token after replays", resp, m, http.StatusBadRequest, "invalid_grant")
	}
}
