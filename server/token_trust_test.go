package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/server/tokens"
)

const devicesScope = "scopes:\n  - name: devices_read\n    description: See your devices\n"

// jwtClaims decodes a JWT's payload without verifying it (the test reads
// what the server wrote).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// passwordApp registers a confidential app with the password grant.
func passwordApp(t *testing.T, ts *testServer, name string, scopes ...string) *oauth2.Config {
	conf := newApp(t, ts, apps.Spec{Name: name, GrantTypes: []string{"password", "refresh_token"}, Scopes: scopes, RedirectURIs: []string{}})
	conf.Scopes = scopes
	return conf
}

// An app's access token is for that app (aud = its client_id), not for
// Gatehouse's own API: without the profile scope it cannot read the
// first-party profile.
func TestThirdPartyTokenAudience(t *testing.T) {
	ts := startServer(t, mockOnly+devicesScope)
	addUser(t, ts, "alice", "correct horse")
	ctx := context.Background()

	devices := passwordApp(t, ts, "Devices", "devices_read")
	tok, err := devices.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	aud, _ := jwtClaims(t, tok.AccessToken)["aud"].([]any)
	if len(aud) != 1 || aud[0] != devices.ClientID {
		t.Errorf("third-party aud = %v, want [%s] only", aud, devices.ClientID)
	}
	resp, m := me(t, ts, "Bearer "+tok.AccessToken)
	if (resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden) ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="gatehouse"`) {
		t.Errorf("devices_read-only app token at /api/v1/users/me/: %d %v %q", resp.StatusCode, m, resp.Header.Get("WWW-Authenticate"))
	}

	profile := passwordApp(t, ts, "Profile", "profile")
	tok, err = profile.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	if resp, m := me(t, ts, "Bearer "+tok.AccessToken); resp.StatusCode != http.StatusOK || m["username"] != "alice" {
		t.Errorf("profile app token at /api/v1/users/me/: %d %v", resp.StatusCode, m)
	}

	// First-party tokens keep aud = the issuer and work as before.
	first, _ := login(t, ts, "alice", "correct horse")
	if aud, _ := jwtClaims(t, first)["aud"].([]any); len(aud) != 1 || aud[0] != ts.URL {
		t.Errorf("first-party aud = %v, want [%s]", aud, ts.URL)
	}
	if resp, m := me(t, ts, "Bearer "+first); resp.StatusCode != http.StatusOK {
		t.Errorf("first-party token at /api/v1/users/me/: %d %v", resp.StatusCode, m)
	}
}

// introspect posts token to /oauth2/introspect as the app conf.
func introspect(t *testing.T, ts *testServer, conf *oauth2.Config, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(conf.ClientID, conf.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

// Introspection answers only the token's own client (or a resource named
// in its aud): any other app learns nothing.
func TestIntrospectionOtherApps(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	owner := passwordApp(t, ts, "Owner", "profile")
	snoop := passwordApp(t, ts, "Snoop", "profile")
	tok, err := owner.PasswordCredentialsToken(context.Background(), "alice", "correct horse")
	require.NoError(t, err)
	for what, tk := range map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken} {
		if m := introspect(t, ts, snoop, tk); m["active"] != false || len(m) != 1 {
			t.Errorf("another app introspecting the %s: %v, want only active=false", what, m)
		}
		if m := introspect(t, ts, owner, tk); m["active"] != true {
			t.Errorf("the owner introspecting its %s: %v", what, m)
		}
	}
}

// rawPost posts body (form-encoded text, parameters may repeat) to path
// with an optional query and Basic credentials.
func rawPost(t *testing.T, ts *testServer, path, query, body, basicID, basicSecret string) (*http.Response, map[string]any) {
	t.Helper()
	u := ts.URL + path
	if query != "" {
		u += "?" + query
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(basicID, basicSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

// OAuth POST endpoints read the form body only (RFC 6749 §3.2: never a
// client_secret in the URL) and refuse a parameter sent twice (§3.1).
func TestOAuthParamsFromBodyOnly(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	ctx := context.Background()
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	app := passwordApp(t, ts, "App", "openid", "profile", "offline_access")
	tok, err := app.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	q := url.QueryEscape
	cases := []struct {
		name, path, query, body, basicID, basicSecret string
		status                                        int
		codes                                         []string
	}{
		{"client_secret in the URL", "/oauth2/token", "client_secret=" + q(svc.ClientSecret),
			"grant_type=client_credentials&client_id=" + q(svc.ClientID), "", "", http.StatusUnauthorized, []string{"invalid_client"}},
		{"grant_type in the URL", "/oauth2/token", "grant_type=client_credentials",
			"", svc.ClientID, svc.ClientSecret, http.StatusBadRequest, []string{"invalid_request"}},
		{"repeated scope", "/oauth2/token", "", "grant_type=client_credentials&scope=profile&scope=profile",
			svc.ClientID, svc.ClientSecret, http.StatusBadRequest, []string{"invalid_request"}},
		{"repeated grant_type", "/oauth2/token", "", "grant_type=client_credentials&grant_type=password",
			svc.ClientID, svc.ClientSecret, http.StatusBadRequest, []string{"invalid_request"}},
		{"token to revoke in the URL", "/oauth2/revoke", "token=" + q(tok.RefreshToken), "",
			app.ClientID, app.ClientSecret, http.StatusBadRequest, []string{"invalid_request"}},
		{"token to introspect in the URL", "/oauth2/introspect", "token=" + q(tok.AccessToken), "",
			app.ClientID, app.ClientSecret, http.StatusBadRequest, []string{"invalid_request"}},
		{"repeated token at introspection", "/oauth2/introspect", "", "token=" + q(tok.AccessToken) + "&token=x",
			app.ClientID, app.ClientSecret, http.StatusBadRequest, []string{"invalid_request"}},
		{"access_token in the userinfo URL", "/oauth2/userinfo", "access_token=" + q(tok.AccessToken), "",
			"", "", http.StatusUnauthorized, []string{"unauthorized", "invalid_request"}},
		{"repeated access_token at userinfo", "/oauth2/userinfo", "", "access_token=" + q(tok.AccessToken) + "&access_token=x",
			"", "", http.StatusBadRequest, []string{"invalid_request"}},
	}
	for _, tc := range cases {
		resp, m := rawPost(t, ts, tc.path, tc.query, tc.body, tc.basicID, tc.basicSecret)
		code, _ := m["error"].(string)
		if resp.StatusCode != tc.status || !containsStr(tc.codes, code) {
			t.Errorf("%s: %d %v, want %d %v", tc.name, resp.StatusCode, m, tc.status, tc.codes)
		}
	}
	// The refresh token survived the revocation attempt in the URL.
	if m := introspect(t, ts, app, tok.RefreshToken); m["active"] != true {
		t.Errorf("a token named in the revocation URL was revoked: %v", m)
	}
	// A JSON body is not an OAuth request.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/oauth2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(svc.ClientID, svc.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("JSON body at the token endpoint: %d, want 400", resp.StatusCode)
	}

	// A second redirect_uri in a code exchange is refused, not ignored.
	web := newApp(t, ts, apps.Spec{Name: "Web", Scopes: []string{"profile"}})
	code := codeFor(t, ts, signedInAgent(t, ts), web)
	resp, m := rawPost(t, ts, "/oauth2/token", "", "grant_type=authorization_code&code="+q(code)+"&redirect_uri="+q(appRedirect)+
		"&redirect_uri="+q("https://evil.example/cb"), web.ClientID, web.ClientSecret)
	wantOAuthErr(t, "repeated redirect_uri", resp, m, http.StatusBadRequest, "invalid_request")
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// A client_credentials token stands for no sign-in: no auth_time.
func TestClientCredentialsNoAuthTime(t *testing.T) {
	ts := startServer(t, mockOnly)
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	resp, m := tokenCall(t, ts, url.Values{"grant_type": {"client_credentials"}}, svc.ClientID, svc.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	if c := jwtClaims(t, m["access_token"].(string)); c["auth_time"] != nil {
		t.Errorf("client_credentials token has auth_time %v", c["auth_time"])
	}
}

// The picture claim carries only https URLs: an avatar URL such as
// javascript: or plain http must not reach apps that render it.
func TestPictureHTTPSOnly(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := context.Background()
	app := passwordApp(t, ts, "App", "openid", "profile")
	for avatar, want := range map[string]any{"javascript:alert(1)": nil, "http://cdn.example/a.png": nil,
		"https://cdn.example/a.png": "https://cdn.example/a.png"} {
		a := addUser(t, ts, "u"+tokensafe(avatar), "correct horse")
		a.AvatarURL = avatar
		require.NoError(t, ts.Store.UpdateAccount(ctx, &a))
		tok, err := app.PasswordCredentialsToken(ctx, a.Username, "correct horse")
		require.NoError(t, err)
		_, m := call(t, http.MethodGet, ts.URL+"/oauth2/userinfo", "", nil, http.Header{"Authorization": {"Bearer " + tok.AccessToken}})
		if m["picture"] != want {
			t.Errorf("avatar %q: userinfo picture = %v, want %v", avatar, m["picture"], want)
		}
		idt, _ := tok.Extra("id_token").(string)
		if got := jwtClaims(t, idt)["picture"]; got != want {
			t.Errorf("avatar %q: id_token picture = %v, want %v", avatar, got, want)
		}
	}
}

func tokensafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, s)
}

// Replayed codes and reused refresh tokens leave audit events naming the
// account and the client (and no token).
func TestReplayAuditEvents(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := context.Background()
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"profile", "offline_access"}})
	b := signedInAgent(t, ts)
	code := codeFor(t, ts, b, conf)
	tok, err := conf.Exchange(ctx, code)
	require.NoError(t, err)
	_, err = conf.Exchange(ctx, code)
	wantRetrieve(t, "replayed code", err, "invalid_grant")

	tok2, err := conf.Exchange(ctx, codeFor(t, ts, b, conf))
	require.NoError(t, err)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}}
	resp, m := tokenCall(t, ts, form, conf.ClientID, conf.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	ts.Clock.Add(time.Minute)
	resp, m = tokenCall(t, ts, form, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "reused refresh token", resp, m, http.StatusBadRequest, "invalid_grant")

	rec, err := ts.Store.GetRefreshToken(ctx, tokens.HashToken(tok.RefreshToken))
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, ev := range ts.audit(t, rec.AccountID) {
		seen[ev.Type] = true
		if ev.Type == "oauth.code_replayed" || ev.Type == "oauth.refresh_reused" {
			if !strings.Contains(ev.Detail, conf.ClientID) || strings.Contains(ev.Detail, tok.RefreshToken) || strings.Contains(ev.Detail, tok2.RefreshToken) {
				t.Errorf("%s detail = %s", ev.Type, ev.Detail)
			}
		}
	}
	for _, typ := range []string{"oauth.code_replayed", "oauth.refresh_reused"} {
		if !seen[typ] {
			t.Errorf("no %s audit event (have %v)", typ, seen)
		}
	}
}

// accessAlive reports what introspection (by the token's client), userinfo
// and the first-party API say about an access token.
func accessAlive(t *testing.T, ts *testServer, conf *oauth2.Config, at string) (introspected, userinfo, firstParty bool) {
	t.Helper()
	introspected = introspect(t, ts, conf, at)["active"] == true
	resp, _ := call(t, http.MethodGet, ts.URL+"/oauth2/userinfo", "", nil, http.Header{"Authorization": {"Bearer " + at}})
	userinfo = resp.StatusCode == http.StatusOK
	resp, _ = me(t, ts, "Bearer "+at)
	firstParty = resp.StatusCode == http.StatusOK
	return
}

// Revoking an access token (RFC 7009) takes effect at introspection,
// userinfo and the first-party API until the token would have expired.
func TestRevokeAccessToken(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	ctx := context.Background()
	app := passwordApp(t, ts, "App", "openid", "profile")
	other := passwordApp(t, ts, "Other", "openid", "profile")
	tok, err := app.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	if i, u, f := accessAlive(t, ts, app, tok.AccessToken); !i || !u || !f {
		t.Fatalf("fresh token: introspection %v, userinfo %v, first-party API %v", i, u, f)
	}
	// Another app cannot revoke it (RFC 7009 §2.1: only the token's client).
	resp, _ := rawPost(t, ts, "/oauth2/revoke", "", "token="+url.QueryEscape(tok.AccessToken), other.ClientID, other.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if i, u, f := accessAlive(t, ts, app, tok.AccessToken); !i || !u || !f {
		t.Errorf("revoked by another app: introspection %v, userinfo %v, first-party API %v; want all alive", i, u, f)
	}
	resp, _ = rawPost(t, ts, "/oauth2/revoke", "", "token="+url.QueryEscape(tok.AccessToken)+"&token_type_hint=access_token", app.ClientID, app.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if i, u, f := accessAlive(t, ts, app, tok.AccessToken); i || u || f {
		t.Errorf("revoked access token: introspection %v, userinfo %v, first-party API %v; want none", i, u, f)
	}
	// The record is swept only after the token's own expiry.
	ts.Clock.Add(10 * time.Minute)
	_, err = ts.Store.DeleteExpired(ctx, ts.Clock.Now())
	require.NoError(t, err)
	if i, _, _ := accessAlive(t, ts, app, tok.AccessToken); i {
		t.Errorf("revoked access token alive again after a sweep before its expiry")
	}
}

// A replayed code revokes the access token it issued too, not only the
// refresh family.
func TestCodeReplayRevokesAccessToken(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := context.Background()
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile", "offline_access"}})
	conf.Scopes = []string{"openid", "profile"}
	code := codeFor(t, ts, signedInAgent(t, ts), conf)
	tok, err := conf.Exchange(ctx, code)
	require.NoError(t, err)
	_, err = conf.Exchange(ctx, code)
	wantRetrieve(t, "replayed code", err, "invalid_grant")
	if i, u, f := accessAlive(t, ts, conf, tok.AccessToken); i || u || f {
		t.Errorf("access token of a replayed code: introspection %v, userinfo %v, first-party API %v; want none", i, u, f)
	}
}
