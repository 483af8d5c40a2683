package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
)

const postLogoutURI = "http://127.0.0.1:9/bye"

// signInApp signs b in to conf's app through the code flow (x/oauth2 with
// PKCE) and returns the verified id_token's raw form and its sid.
func signInApp(t *testing.T, ts *testServer, b *http.Client, conf *oauth2.Config) (raw, sid string) {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	provider, err := oidc.NewProvider(ctx, ts.URL)
	require.NoError(t, err)
	verifier := oauth2.GenerateVerifier()
	back := authorize(t, b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "approve")
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ = tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID, Now: ts.Clock.Now}).Verify(ctx, raw)
	require.NoError(t, err)
	var c struct {
		SID string `json:"sid"`
	}
	require.NoError(t, idt.Claims(&c))
	return raw, c.SID
}

func logoutApp(t *testing.T, ts *testServer) *oauth2.Config {
	return newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}, PostLogoutRedirectURIs: []string{postLogoutURI}})
}

// signedIn reports whether b still has a Gatehouse session.
func signedIn(t *testing.T, ts *testServer, b *http.Client) bool {
	t.Helper()
	resp, _ := get(t, b, ts.URL+"/account")
	return resp.Request.URL.Path == "/account"
}

// The id_token's sid names the session without revealing its cookie or
// its row ID; end_session with that hint and a registered URI signs the
// browser out and sends it back with state; the next authorization asks
// to sign in again.
func TestEndSessionWithHint(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := logoutApp(t, ts)
	b := signedInAgent(t, ts)
	raw, sid := signInApp(t, ts, b, conf)
	u, _ := url.Parse(ts.URL)
	var cookie string
	for _, ck := range b.Jar.Cookies(u) {
		if ck.Name == "gatehouse_session" {
			cookie = ck.Value
		}
	}
	require.NotEmpty(t, cookie)
	if sid == "" || strings.Contains(cookie, sid) || strings.Contains(sid, cookie) {
		t.Fatalf("sid %q: empty or tied to the cookie", sid)
	}

	q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"st&te"}}
	resp, body := get(t, b, ts.URL+"/oauth2/logout?"+q.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode, body)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	if loc.Scheme+"://"+loc.Host+loc.Path != postLogoutURI || loc.Query().Get("state") != "st&te" {
		t.Errorf("redirect = %s", loc)
	}
	if signedIn(t, ts, b) {
		t.Error("still signed in after end_session")
	}
	resp, _ = get(t, b, conf.AuthCodeURL("again", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if resp.Request.URL.Path != "/login" {
		t.Errorf("the next authorization went to %s, want the sign-in page", resp.Request.URL)
	}
}

// Hostile or unregistered input never redirects and never signs out
// without confirmation.
func TestEndSessionRefusals(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := logoutApp(t, ts)
	other := logoutApp(t, ts)
	for _, tc := range []struct {
		name string
		// q builds the request from the browser's own valid id_token.
		q      func(raw string) url.Values
		status int
	}{
		{"unregistered post_logout_redirect_uri", func(raw string) url.Values {
			return url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"http://127.0.0.1:9/evil"}, "state": {"x"}}
		}, http.StatusOK},
		{"garbage hint", func(string) url.Values {
			return url.Values{"id_token_hint": {"garbage.x.y"}, "post_logout_redirect_uri": {postLogoutURI}}
		}, http.StatusBadRequest},
		{"hint signed by someone else", func(raw string) url.Values {
			return url.Values{"id_token_hint": {forgeIDToken(t, raw)}, "post_logout_redirect_uri": {postLogoutURI}}
		}, http.StatusBadRequest},
		{"hint for another client", func(raw string) url.Values {
			return url.Values{"id_token_hint": {raw}, "client_id": {other.ClientID}, "post_logout_redirect_uri": {postLogoutURI}}
		}, http.StatusBadRequest},
		{"uri without a client", func(string) url.Values {
			return url.Values{"post_logout_redirect_uri": {postLogoutURI}}
		}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := signedInAgent(t, ts)
			raw, _ := signInApp(t, ts, b, conf)
			resp, body := get(t, b, ts.URL+"/oauth2/logout?"+tc.q(raw).Encode())
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != "" || strings.Contains(body, "127.0.0.1:9") {
				t.Fatalf("status %d, Location %q, want %d and no redirect or link to the URI:\n%s", resp.StatusCode, resp.Header.Get("Location"), tc.status, body)
			}
			if tc.status == http.StatusBadRequest && !signedIn(t, ts, b) {
				t.Error("a refused request signed the browser out")
			}
		})
	}
}

// forgeIDToken re-signs the claims of raw with another key under the same
// kid: our signature check must refuse it.
func forgeIDToken(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	var hdr map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, json.Unmarshal(b, &hdr))
	var claims jwt.MapClaims
	b, _ = base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, json.Unmarshal(b, &claims))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"], tok.Header["typ"] = hdr["kid"], hdr["typ"]
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// Without a hint the user confirms on a page (CSRF-protected); "Sign out"
// ends the session and goes back to the app with state.
func TestEndSessionConfirmation(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := logoutApp(t, ts)
	b := signedInAgent(t, ts)
	q := url.Values{"client_id": {conf.ClientID}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"abc"}}
	resp, body := get(t, b, ts.URL+"/oauth2/logout?"+q.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Sign out of Gatehouse?")
	if !signedIn(t, ts, b) {
		t.Fatal("the confirmation page signed out")
	}
	form := url.Values{"decision": {"logout"}}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	noCSRF := url.Values{"decision": {"logout"}, "client_id": {conf.ClientID}}
	resp, _ = postForm(t, b, ts.URL+"/oauth2/logout/confirm", noCSRF)
	if resp.StatusCode == http.StatusFound || !signedIn(t, ts, b) {
		t.Fatalf("confirmation without CSRF token: status %d, signed in %v", resp.StatusCode, signedIn(t, ts, b))
	}
	resp, body = postForm(t, b, ts.URL+"/oauth2/logout/confirm", form)
	require.Equal(t, http.StatusFound, resp.StatusCode, body)
	if loc := resp.Header.Get("Location"); loc != postLogoutURI+"?state=abc" {
		t.Errorf("Location = %q", loc)
	}
	if signedIn(t, ts, b) {
		t.Error("still signed in after confirming")
	}
}

// Discovery advertises the logout endpoints.
func TestDiscoveryLogout(t *testing.T) {
	ts := startServer(t, mockOnly)
	var m map[string]any
	resp, body := get(t, browser(t), ts.URL+"/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	if m["end_session_endpoint"] != ts.URL+"/oauth2/logout" || m["backchannel_logout_supported"] != true || m["backchannel_logout_session_supported"] != true {
		t.Errorf("discovery = %v", m)
	}
}

// RFC 7591 registration takes the logout metadata and refuses unusable
// logout URIs.
func TestRegistrationLogoutMetadata(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	h := http.Header{"Authorization": {"Bearer " + token}}
	for name, body := range map[string]string{
		"javascript post-logout URI":  `{"redirect_uris":["https://a.example/cb"],"post_logout_redirect_uris":["javascript:alert(1)"]}`,
		"fragment post-logout URI":    `{"redirect_uris":["https://a.example/cb"],"post_logout_redirect_uris":["https://a.example/bye#x"]}`,
		"http back-channel URI":       `{"redirect_uris":["https://a.example/cb"],"backchannel_logout_uri":"http://a.example/bc"}`,
		"private-scheme back-channel": `{"redirect_uris":["https://a.example/cb"],"backchannel_logout_uri":"com.example.app:/bc"}`,
	} {
		resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(body), h)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d %v", name, resp.StatusCode, m)
		}
	}
	if n := appCount(t, ts); n != 0 {
		t.Errorf("%d apps registered", n)
	}
	resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(
		`{"redirect_uris":["https://a.example/cb"],"post_logout_redirect_uris":["https://a.example/bye"],"backchannel_logout_uri":"https://a.example/bc","backchannel_logout_session_required":true}`), h)
	require.Equal(t, http.StatusCreated, resp.StatusCode, m)
	cl, err := ts.Store.GetClient(context.Background(), m["client_id"].(string))
	require.NoError(t, err)
	if len(cl.PostLogoutRedirectURIs) != 1 || cl.PostLogoutRedirectURIs[0] != "https://a.example/bye" || cl.BackchannelLogoutURI != "https://a.example/bc" ||
		!cl.BackchannelLogoutSessionRequired || m["backchannel_logout_uri"] != "https://a.example/bc" {
		t.Errorf("registered %+v, answer %v", cl, m)
	}
}

// The app form takes post-logout redirect URIs and a back-channel URI,
// and refuses a back-channel URI Gatehouse should not post to.
func TestAppFormLogoutFields(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	form := func(bc string) url.Values {
		return url.Values{"name": {"App"}, "redirect_uris": {"https://app.example/cb"}, "grant": {"authorization_code"}, "scope": {"openid"},
			"post_logout_redirect_uris": {"https://app.example/bye\n https://app.example/bye2 "}, "backchannel_logout_uri": {bc}}
	}
	status, id := createAppOnPage(t, s.testServer, alice, csrf, form("http://app.example/bc"))
	if status != http.StatusBadRequest || id != "" {
		t.Errorf("plain-http back-channel URI: %d, app %q", status, id)
	}
	status, id = createAppOnPage(t, s.testServer, alice, csrf, form("https://app.example/bc"))
	require.Equal(t, http.StatusOK, status)
	cl, err := s.Store.GetClient(context.Background(), id)
	require.NoError(t, err)
	if strings.Join(cl.PostLogoutRedirectURIs, " ") != "https://app.example/bye https://app.example/bye2" || cl.BackchannelLogoutURI != "https://app.example/bc" {
		t.Errorf("stored %+v", cl)
	}
	_, page := get(t, alice, s.URL+"/apps/"+id)
	require.Contains(t, page, "https://app.example/bye2")
}
