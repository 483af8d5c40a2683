package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"gatehouse/server/apps"
	"gatehouse/store"
)

// tokenCall posts a form to the token endpoint and decodes the answer.
func tokenCall(t *testing.T, ts *testServer, form url.Values, basicID, basicSecret string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp, m
}

func wantOAuthErr(t *testing.T, what string, resp *http.Response, m map[string]any, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || m["error"] != code {
		t.Errorf("%s: %d %v, want %d %s", what, resp.StatusCode, m, status, code)
	}
	// RFC 6749 §5.1: answers of the token endpoint, errors too, are not cached.
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
	}
}

// codeFor runs the browser part of the code flow and returns a code.
func codeFor(t *testing.T, ts *testServer, b *http.Client, conf *oauth2.Config, opts ...oauth2.AuthCodeOption) string {
	back := authorize(t, b, conf.AuthCodeURL("s", opts...), "approve")
	code := back.Query().Get("code")
	require.NotEmpty(t, code, "redirect %s", back)
	return code
}

func TestCodeGrantNegatives(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "offline_access"}})
	other := newApp(t, ts, apps.Spec{Name: "Other"})
	b := signedInAgent(t, ts)
	ctx := context.Background()
	v := oauth2.GenerateVerifier()
	pkce := oauth2.S256ChallengeOption(v)

	code := codeFor(t, ts, b, conf, pkce)
	// Wrong verifier, missing verifier: refused (and the code is spent).
	_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantRetrieve(t, "wrong verifier", err, "invalid_grant")
	code = codeFor(t, ts, b, conf, pkce)
	_, err = conf.Exchange(ctx, code)
	wantRetrieve(t, "missing verifier", err, "invalid_grant")
	// A code of another client.
	code = codeFor(t, ts, b, conf, pkce)
	_, err = other.Exchange(ctx, code, oauth2.VerifierOption(v))
	wantRetrieve(t, "code from another client", err, "invalid_grant")
	// Expired code.
	code = codeFor(t, ts, b, conf, pkce)
	ts.Clock.Add(2 * time.Minute)
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(v))
	wantRetrieve(t, "expired code", err, "invalid_grant")
	// Replay revokes what the code issued.
	code = codeFor(t, ts, b, conf, pkce)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(v))
	require.NoError(t, err)
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(v))
	wantRetrieve(t, "replayed code", err, "invalid_grant")
	resp, m := tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "refresh after code replay", resp, m, http.StatusBadRequest, "invalid_grant")
	// PKCE downgrade: a verifier for a code issued without a challenge.
	code = codeFor(t, ts, b, conf)
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(v))
	wantRetrieve(t, "PKCE downgrade", err, "invalid_grant")
	// Wrong secret and unknown client: 401, with WWW-Authenticate for Basic.
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, conf.ClientID, "wrong")
	wantOAuthErr(t, "wrong secret (basic)", resp, m, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("invalid_client with Basic lacks WWW-Authenticate")
	}
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"nope"}, "client_secret": {"x"}}, "", "")
	wantOAuthErr(t, "unknown client (post)", resp, m, http.StatusUnauthorized, "invalid_client")
	resp, m = tokenCall(t, ts, url.Values{"code": {"x"}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "no grant_type", resp, m, http.StatusBadRequest, "invalid_request")
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"magic"}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "unknown grant", resp, m, http.StatusBadRequest, "unsupported_grant_type")
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"client_credentials"}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "grant not allowed", resp, m, http.StatusBadRequest, "unauthorized_client")
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("error Cache-Control = %q", cc)
	}
}

func wantRetrieve(t *testing.T, what string, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

func TestAuthorizeNegatives(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}})
	public := newApp(t, ts, apps.Spec{Name: "CLI", Public: true, Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	base := func(mod func(url.Values)) string {
		q := url.Values{"client_id": {conf.ClientID}, "redirect_uri": {appRedirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
		mod(q)
		return ts.URL + "/oauth2/authorize?" + q.Encode()
	}
	// Errors before the client and redirect URI are known are pages, never redirects.
	for name, u := range map[string]string{
		"unknown client":        base(func(q url.Values) { q.Set("client_id", "nope") }),
		"unregistered redirect": base(func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }),
		"repeated parameter":    base(func(q url.Values) { q.Add("client_id", conf.ClientID) }),
		"loopback other path":   base(func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/other") }),
		"missing client":        base(func(q url.Values) { q.Del("client_id") }),
	} {
		resp, body := get(t, b, u)
		expectPage(t, resp, body, http.StatusBadRequest, "")
		if resp.Request.URL.Host != strings.TrimPrefix(ts.URL, "http://") {
			t.Errorf("%s: redirected away to %s", name, resp.Request.URL)
		}
	}
	// RFC 8252: a loopback redirect may change its port.
	back := authorize(t, b, base(func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/callback"); q.Set("scope", "openid") }), "approve")
	if back.Query().Get("code") == "" {
		t.Errorf("loopback redirect: %s", back)
	}
	// Errors after that are redirects with error, state and iss.
	for _, tc := range []struct {
		name string
		mod  func(url.Values)
		code string
	}{
		{"only scopes not allowed", func(q url.Values) { q.Set("scope", "email") }, "invalid_scope"},
		{"unknown response_type", func(q url.Values) { q.Set("response_type", "id_token") }, "unsupported_response_type"},
		{"implicit not allowed", func(q url.Values) { q.Set("response_type", "token") }, "unauthorized_client"},
		{"plain PKCE", func(q url.Values) {
			q.Set("code_challenge", strings.Repeat("a", 43))
			q.Set("code_challenge_method", "plain")
		}, "invalid_request"},
		{"PKCE missing method means plain", func(q url.Values) { q.Set("code_challenge", strings.Repeat("a", 43)) }, "invalid_request"},
		{"bad prompt", func(q url.Values) { q.Set("prompt", "none login") }, "invalid_request"},
	} {
		back := authorize(t, b, base(tc.mod), "approve")
		q := back.Query()
		if back.Fragment != "" {
			q, _ = url.ParseQuery(back.Fragment)
		}
		if q.Get("error") != tc.code || q.Get("state") != "s" || q.Get("iss") != ts.URL {
			t.Errorf("%s: redirect %s, want error %s", tc.name, back, tc.code)
		}
	}
	// A public client must use PKCE.
	pq := url.Values{"client_id": {public.ClientID}, "redirect_uri": {appRedirect}, "response_type": {"code"}, "state": {"s"}}
	back = authorize(t, b, ts.URL+"/oauth2/authorize?"+pq.Encode(), "approve")
	if back.Query().Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: %s", back)
	}
	// prompt=none without a session.
	back = authorize(t, agent(t), base(func(q url.Values) { q.Set("prompt", "none") }), "approve")
	if back.Query().Get("error") != "login_required" {
		t.Errorf("prompt=none signed out: %s", back)
	}
	// prompt=none signed in but without consent.
	back = authorize(t, b, base(func(q url.Values) { q.Set("prompt", "none"); q.Set("scope", "openid profile") }), "approve")
	if back.Query().Get("error") != "consent_required" {
		t.Errorf("prompt=none without consent: %s", back)
	}
	// Consent denied.
	back = authorize(t, b, base(func(q url.Values) { q.Set("scope", "profile") }), "deny")
	if back.Query().Get("error") != "access_denied" {
		t.Errorf("denied: %s", back)
	}
}

func TestConsentNeedsCSRF(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	resp, body := get(t, b, conf.AuthCodeURL("s"))
	require.Equal(t, "/consent", resp.Request.URL.Path, body)
	form := url.Values{"decision": {"approve"}}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		if m[1] != "_csrf" {
			form.Set(m[1], htmlUnescape(m[2]))
		}
	}
	resp, body = postForm(t, b, ts.URL+"/consent", form)
	expectPage(t, resp, body, http.StatusBadRequest, "Request refused")
	if _, err := ts.Store.ListConsents(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
}

func TestLoginRoundTrip(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := agent(t)
	// Signed out: the authorize request goes to /login with a return path
	// to the pending request.
	resp, body := get(t, b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.Equal(t, "/login", resp.Request.URL.Path, body)
	rt := resp.Request.URL.Query().Get("return_to")
	if !strings.HasPrefix(rt, "/consent?request=") {
		t.Fatalf("return_to = %q", rt)
	}
	// Signing in with the mock provider comes back to the authorization.
	resp, body = get(t, b, ts.URL+"/login/mock?return_to="+url.QueryEscape(rt))
	if resp.Request.URL.Path != "/consent" {
		t.Fatalf("after sign-in at %s:\n%s", resp.Request.URL, body)
	}
	// prompt=login forces a fresh sign-in even with a session, without looping.
	back := authorize(t, b, conf.AuthCodeURL("s"), "approve")
	require.NotEmpty(t, back.Query().Get("code"))
	ts.Clock.Add(time.Minute)
	resp, _ = get(t, b, conf.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "login")))
	if resp.Request.URL.Path != "/login" {
		t.Fatalf("prompt=login did not ask to sign in: %s", resp.Request.URL)
	}
	rt = resp.Request.URL.Query().Get("return_to")
	u := ts.URL + "/login/mock?return_to=" + url.QueryEscape(rt)
	back = authorize(t, b, u, "approve")
	if back.Query().Get("code") == "" {
		t.Errorf("after re-login: %s", back)
	}
}

func TestOtherGrants(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := context.Background()
	addUser(t, ts, "alice", "correct horse")

	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	cc := clientcredentials.Config{ClientID: svc.ClientID, ClientSecret: svc.ClientSecret, TokenURL: svc.Endpoint.TokenURL, Scopes: []string{"profile"}}
	tok, err := cc.Token(ctx)
	require.NoError(t, err)
	if tok.AccessToken == "" || tok.RefreshToken != "" {
		t.Errorf("client credentials token = %+v", tok)
	}
	// client_secret_post works too, and token_type=JWT is honoured (seed 003).
	resp, m := tokenCall(t, ts, url.Values{"grant_type": {"client_credentials"}, "client_id": {svc.ClientID},
		"client_secret": {svc.ClientSecret}, "token_type": {"jwt"}}, "", "")
	if resp.StatusCode != http.StatusOK || m["token_type"] != "JWT" {
		t.Errorf("client_secret_post + token_type=jwt: %d %v", resp.StatusCode, m)
	}
	cc.Scopes = []string{"openid"}
	_, err = cc.Token(ctx)
	wantRetrieve(t, "client credentials with openid", err, "invalid_scope")

	pw := newApp(t, ts, apps.Spec{Name: "edX", GrantTypes: []string{"password", "refresh_token"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	ptok, err := pw.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	if ptok.RefreshToken == "" {
		t.Errorf("password grant gave no refresh token")
	}
	_, err = pw.PasswordCredentialsToken(ctx, "alice", "wrong")
	wantRetrieve(t, "wrong password", err, "invalid_grant")
	notOptedIn := newApp(t, ts, apps.Spec{Name: "Web"})
	_, err = notOptedIn.PasswordCredentialsToken(ctx, "alice", "correct horse")
	wantRetrieve(t, "password grant not opted in", err, "unauthorized_client")

	// Refresh: narrowing allowed, widening refused, revoked family refused.
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ptok.RefreshToken}, "scope": {"profile email"}}, pw.ClientID, pw.ClientSecret)
	wantOAuthErr(t, "widening", resp, m, http.StatusBadRequest, "invalid_scope")
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ptok.RefreshToken}}, pw.ClientID, pw.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	rt2 := m["refresh_token"].(string)
	ts.Clock.Add(11 * time.Second) // past the default grace window
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ptok.RefreshToken}}, pw.ClientID, pw.ClientSecret)
	wantOAuthErr(t, "reuse", resp, m, http.StatusBadRequest, "invalid_grant")
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}}, pw.ClientID, pw.ClientSecret)
	wantOAuthErr(t, "refresh of a revoked family", resp, m, http.StatusBadRequest, "invalid_grant")
}

func TestRevokeAndIntrospect(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	ctx := context.Background()
	app := newApp(t, ts, apps.Spec{GrantTypes: []string{"password", "refresh_token"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	tok, err := app.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	post := func(path string, form url.Values) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(app.ClientID, app.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	_, m := post("/oauth2/introspect", url.Values{"token": {tok.AccessToken}})
	if m["active"] != true || m["client_id"] != app.ClientID || m["scope"] != "profile" {
		t.Errorf("introspect access token = %v", m)
	}
	_, m = post("/oauth2/introspect", url.Values{"token": {tok.RefreshToken}})
	if m["active"] != true {
		t.Errorf("introspect refresh token = %v", m)
	}
	resp, _ := post("/oauth2/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, m = post("/oauth2/introspect", url.Values{"token": {tok.RefreshToken}})
	if m["active"] != false {
		t.Errorf("revoked refresh token still active: %v", m)
	}
	resp, _ = post("/oauth2/revoke", url.Values{"token": {"unknown"}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("revoking an unknown token: %d, want 200 (RFC 7009 §2.2)", resp.StatusCode)
	}
	_, m = post("/oauth2/introspect", url.Values{"token": {"garbage"}})
	if m["active"] != false {
		t.Errorf("garbage active: %v", m)
	}

	// A valid JWT outlives its account and its client; introspection does not.
	tok, err = app.PasswordCredentialsToken(ctx, "alice", "correct horse")
	require.NoError(t, err)
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	cc := clientcredentials.Config{ClientID: svc.ClientID, ClientSecret: svc.ClientSecret, TokenURL: svc.Endpoint.TokenURL}
	svcTok, err := cc.Token(ctx)
	require.NoError(t, err)
	for _, tk := range []string{tok.AccessToken, tok.RefreshToken} {
		if _, m := post("/oauth2/introspect", url.Values{"token": {tk}}); m["active"] != true {
			t.Fatalf("fresh token inactive: %v", m)
		}
	}
	if m := introspect(t, ts, &oauth2.Config{ClientID: svc.ClientID, ClientSecret: svc.ClientSecret}, svcTok.AccessToken); m["active"] != true {
		t.Fatalf("fresh client-credentials token inactive for its client: %v", m)
	}
	alice, err := ts.Store.GetAccountByUsername(ctx, "alice")
	require.NoError(t, err)
	yes := true
	require.NoError(t, ts.Store.SetAccountFlags(ctx, alice.ID, store.AccountFlags{Disabled: &yes}, ts.Clock.Now()))
	// Deleted behind the server's back, as by another instance: seen once
	// the client cache (10 s) lets go.
	require.NoError(t, ts.Store.DeleteClient(ctx, svc.ClientID, ts.Clock.Now()))
	ts.Clock.Add(11 * time.Second)
	for what, tk := range map[string]string{"access token of a disabled account": tok.AccessToken,
		"refresh token of a disabled account": tok.RefreshToken} {
		if _, m := post("/oauth2/introspect", url.Values{"token": {tk}}); m["active"] != false {
			t.Errorf("%s: %v", what, m)
		}
	}
	// (A deleted client can no longer authenticate to introspect its own
	// tokens, and no other app may introspect them.)
}
