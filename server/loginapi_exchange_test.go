package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/providers/providertest"
	"gatehouse/server/apps"
	"gatehouse/store"
)

// exchangeCall is POST /v1/oauth2?provider=&access-token=.
func exchangeCall(t *testing.T, ts *testServer, provider, token string) (*http.Response, map[string]any) {
	t.Helper()
	q := url.Values{"provider": {provider}, "access-token": {token}}
	return call(t, http.MethodPost, ts.URL+"/v1/oauth2?"+q.Encode(), "", nil, nil)
}

// wantNotIssued expects the 401 for a token issued to another client, in
// the seed's {"error": …} shape.
func wantNotIssued(t *testing.T, what string, resp *http.Response, m map[string]any) {
	t.Helper()
	msg, _ := m["error"].(string)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(msg, "not issued to this server") || m["secret"] != nil {
		t.Errorf("%s: %d %v, want 401 not issued to this server", what, resp.StatusCode, m)
	}
}

// A GitHub token the user gave another OAuth app (or a personal access
// token) proves who the user is but not that it was issued to us: it must
// not become a Gatehouse API token.
func TestExchangeRefusesGitHubTokensOfOtherApps(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	resp, m := exchangeCall(t, ts, "github", up.gh.IssueTokenFor("another-oauth-app"))
	wantNotIssued(t, "token of another app", resp, m)
	resp, m = exchangeCall(t, ts, "github", up.gh.IssueTokenFor("")) // a PAT: the check answers 404
	wantNotIssued(t, "personal access token", resp, m)
	up.gh.SetFault(up.gh.CheckTokenPath, providertest.Status422)
	resp, m = exchangeCall(t, ts, "github", up.gh.IssueToken())
	wantNotIssued(t, "check answers 422", resp, m)
	up.gh.SetFault(up.gh.CheckTokenPath, providertest.OK)
	if n := accountCount(t, ts); n != 0 {
		t.Fatalf("%d accounts created from refused tokens", n)
	}
	resp, m = exchangeCall(t, ts, "github", up.gh.IssueToken())
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	// Once the account exists, another app's token still yields nothing.
	resp, m = exchangeCall(t, ts, "github", up.gh.IssueTokenFor("another-oauth-app"))
	wantNotIssued(t, "token of another app, known user", resp, m)
	list, err := ts.Store.ListAPITokens(context.Background(), accountID(t, ts, "octo"))
	require.NoError(t, err)
	if len(list) != 1 {
		t.Errorf("%d API tokens, want 1 (from our app's token only)", len(list))
	}
	checks := up.gh.Requests(up.gh.CheckTokenPath)
	if id, secret, ok := basicAuth(checks[len(checks)-1].Header); !ok || id != up.gh.ClientID || secret != up.gh.ClientSecret {
		t.Errorf("the token check did not authenticate as our app")
	}
}

func basicAuth(h http.Header) (string, string, bool) {
	r := &http.Request{Header: h}
	return r.BasicAuth()
}

// Plain OAuth2 providers prove a token's audience only by RFC 7662
// introspection; without an introspection_url they offer no exchange.
func TestExchangeWithoutIntrospectionRefused(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config()+oauth2Provider(up.lego, ""))
	for _, name := range []string{"lego", "lametric", "generic"} {
		var tok string
		switch name {
		case "lametric":
			tok = up.lm.IssueToken()
		default:
			tok = up.lego.IssueToken()
		}
		resp, m := exchangeCall(t, ts, name, tok)
		errs, _ := m["errors"].([]any)
		if resp.StatusCode != http.StatusBadRequest || len(errs) != 1 || !strings.Contains(errs[0].(string), "cannot prove a token was issued to this server") {
			t.Errorf("%s without introspection_url: %d %v", name, resp.StatusCode, m)
		}
	}
	if n := accountCount(t, ts); n != 0 {
		t.Errorf("%d accounts created", n)
	}
}

// oauth2Provider is a type oauth2 provider "generic" on fake f; introspect
// (if set) goes into options.introspection_url, the key the issue names.
func oauth2Provider(f *providertest.Fake, introspect string) string {
	s := fmt.Sprintf(`  - name: generic
    type: oauth2
    client_id: %s
    client_secret: %s
    auth_url: %s
    token_url: %s
    profile_url: %s
    options:
      id_field: id
      username_field: username
`, f.ClientID, f.ClientSecret, f.At(f.AuthorizePath), f.At(f.TokenPath), f.At(f.ProfilePath))
	if introspect != "" {
		s += "      introspection_url: " + introspect + "\n"
	}
	return s
}

func TestExchangeWithIntrospection(t *testing.T) {
	up := startUpstreams(t)
	cfg := strings.Replace(up.config(), "    api_url: "+up.lego.URL+"\n",
		"    api_url: "+up.lego.URL+"\n    introspection_url: "+up.lego.At(up.lego.IntrospectPath)+"\n", 1)
	cfg = strings.Replace(cfg, "    api_url: "+up.lm.URL+"\n",
		"    api_url: "+up.lm.URL+"\n    introspection_url: "+up.lm.At(up.lm.IntrospectPath)+"\n", 1)
	ts := startServer(t, cfg+oauth2Provider(up.lego, up.lego.At(up.lego.IntrospectPath)))
	for _, tc := range []struct {
		name string
		f    *providertest.Fake
	}{{"lego", up.lego}, {"lametric", up.lm}, {"generic", up.lego}} {
		t.Run(tc.name, func(t *testing.T) {
			resp, m := exchangeCall(t, ts, tc.name, tc.f.IssueTokenFor("another-client"))
			wantNotIssued(t, "token of another client", resp, m)
			revoked := tc.f.IssueToken()
			tc.f.Revoke(revoked)
			resp, m = exchangeCall(t, ts, tc.name, revoked)
			if resp.StatusCode != http.StatusUnauthorized || m["error"] == nil || m["secret"] != nil {
				t.Errorf("inactive token: %d %v", resp.StatusCode, m)
			}
			resp, m = exchangeCall(t, ts, tc.name, tc.f.IssueToken())
			require.Equal(t, http.StatusOK, resp.StatusCode, m)
		})
	}
}

// oidcExchangePair is oidcPair for the exchange: the downstream's app at
// the upstream (ours) and another app there, both able to get tokens
// through a browser at appRedirect.
func oidcExchangePair(t *testing.T) (up, down *testServer, ours, other *oauth2.Config) {
	up = startServer(t, mockOnly)
	up.Clock.Add(time.Since(up.Clock.Now())) // the downstream checks id_tokens against the real clock
	ours = newApp(t, up, apps.Spec{Name: "Downstream", Scopes: []string{"openid", "profile", "email"}})
	other = newApp(t, up, apps.Spec{Name: "Other", Scopes: []string{"openid", "profile", "email"}})
	down = startServer(t, "providers:\n  - name: up\n    type: oidc\n    api_url: "+up.URL+
		"\n    client_id: "+ours.ClientID+"\n    client_secret: "+ours.ClientSecret+"\n")
	return up, down, ours, other
}

// upstreamTokens runs the code flow at up for conf and returns the tokens.
func upstreamTokens(t *testing.T, up *testServer, b *http.Client, conf *oauth2.Config) (accessToken, idToken string) {
	v := oauth2.GenerateVerifier()
	code := codeFor(t, up, b, conf, oauth2.S256ChallengeOption(v))
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(v))
	require.NoError(t, err)
	idt, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, idt)
	return tok.AccessToken, idt
}

// An OpenID Connect upstream proves the audience with an id_token (our
// client_id in aud, verified with go-oidc) presented as access-token, or
// by RFC 7662 introspection (advertised in discovery) for access tokens.
func TestExchangeOIDC(t *testing.T) {
	up, down, ours, other := oidcExchangePair(t)
	b := signedInAgent(t, up)
	_, otherID := upstreamTokens(t, up, b, other)
	otherAT, _ := upstreamTokens(t, up, b, other)
	resp, m := exchangeCall(t, down, "up", otherID)
	wantNotIssued(t, "id_token for another audience", resp, m)
	resp, m = exchangeCall(t, down, "up", otherAT)
	wantNotIssued(t, "access token of another client", resp, m)

	up.Clock.Add(-3 * time.Hour)
	_, expired := upstreamTokens(t, up, b, ours)
	up.Clock.Add(3 * time.Hour)
	resp, m = exchangeCall(t, down, "up", expired)
	if resp.StatusCode != http.StatusUnauthorized || m["error"] == nil {
		t.Errorf("expired id_token: %d %v", resp.StatusCode, m)
	}
	_, good := upstreamTokens(t, up, b, ours)
	dot := strings.LastIndex(good, ".")
	resp, m = exchangeCall(t, down, "up", good[:dot+1]+"AAAA"+good[dot+5:])
	if resp.StatusCode != http.StatusUnauthorized || m["error"] == nil {
		t.Errorf("id_token with a bad signature: %d %v", resp.StatusCode, m)
	}
	if n := accountCount(t, down); n != 0 {
		t.Fatalf("%d accounts created from refused tokens", n)
	}
	resp, m = exchangeCall(t, down, "up", good)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	at, _ := upstreamTokens(t, up, b, ours)
	resp, m = exchangeCall(t, down, "up", at)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
}

// Every login-API answer that carries a gha_ secret says no-store, and
// every API token it issues is audited (never with its secret).
func TestLoginAPISecretsNoStoreAndAudited(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	var secrets []string
	wantNoStore := func(what string, resp *http.Response, m map[string]any) {
		t.Helper()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %v", what, m)
		secret, _ := m["secret"].(map[string]any)["value"].(string)
		require.True(t, strings.HasPrefix(secret, "gha_"), "%s: %v", what, m)
		secrets = append(secrets, secret)
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
		}
	}
	resp, m := exchangeCall(t, ts, "github", up.gh.IssueToken())
	wantNoStore("exchange", resp, m)

	up.gh.SetDeviceNext("")
	start, err := loginClient(ts).StartDevice(context.Background())
	require.NoError(t, err)
	resp, m = call(t, http.MethodPost, ts.URL+"/v1/login/oauth2/device/complete", "application/json", strings.NewReader(`"`+start.EncodedSession+`"`), nil)
	wantNoStore("device complete", resp, m)

	authURL, state, err := loginClient(ts).StartWeb(context.Background(), "github", "")
	require.NoError(t, err)
	b := browser(t)
	_, body := get(t, b, ts.URL+"/v1/login/oauth2/web/callback/github?"+providertest.Authorize(t, authURL).Encode())
	form := hiddenFields(body)
	form.Set("decision", "approve")
	postForm(t, b, ts.URL+"/v1/login/oauth2/web/confirm", form)
	resp, m = call(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/poll?state="+url.QueryEscape(state), "", nil, nil)
	wantNoStore("web poll", resp, m)

	var issued []string
	for _, e := range ts.audit(t, "") {
		for _, s := range secrets {
			if strings.Contains(e.Detail, s) {
				t.Errorf("audit event %s holds a secret", e.Type)
			}
		}
		if e.Type == "login_api.token_issued" {
			if e.AccountID == "" || e.Provider != "github" || !strings.Contains(e.Detail, `"token_id"`) {
				t.Errorf("event = %+v", e)
			}
			issued = append(issued, e.Detail)
		}
	}
	if len(issued) != 3 {
		t.Errorf("%d login_api.token_issued events, want 3 (exchange, device, web)", len(issued))
	}
}

// A disabled account gets a clear refusal from the login API, not a 500,
// and no token.
func TestExchangeForDisabledAccount(t *testing.T) {
	gh := fakeGitHubUser(t)
	ts := startServer(t, githubOrgConfig(gh, "    check_token_url: "+gh.URL+"/applications/{client_id}/token\n"))
	resp, m := exchangeCall(t, ts, "github", gh.IssueToken())
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	acct, err := ts.Store.GetAccountByUsername(context.Background(), "octo")
	require.NoError(t, err)
	disabled := true
	require.NoError(t, ts.Store.SetAccountFlags(context.Background(), acct.ID, store.AccountFlags{Disabled: &disabled}, ts.Clock.Now()))
	resp, m = exchangeCall(t, ts, "github", gh.IssueToken())
	if resp.StatusCode != http.StatusForbidden || m["secret"] != nil || !strings.Contains(fmt.Sprint(m["error"]), "disabled") {
		t.Errorf("exchange for a disabled account: %d %v, want 403 saying so", resp.StatusCode, m)
	}
}
