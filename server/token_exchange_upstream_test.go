package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/providers"
	"gatehouse/server/apps"
	"gatehouse/server/oauth"
	"gatehouse/server/signin"
)

// exchangeApp registers a confidential app that may exchange tokens of
// the given provider instances.
func exchangeApp(t *testing.T, ts *testServer, name string, providers ...string) *oauth2.Config {
	t.Helper()
	return newApp(t, ts, apps.Spec{Name: name, GrantTypes: []string{oauth.GrantTokenExchange}, RedirectURIs: []string{},
		Scopes: []string{"openid", "profile", "email"}, ExchangeProviders: providers})
}

// exchangeForm is a token-exchange request for an access token.
func exchangeForm(subject string, extra ...string) url.Values {
	f := url.Values{"grant_type": {oauth.GrantTokenExchange}, "subject_token": {subject},
		"subject_token_type": {oauth.TokenTypeAccessToken}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// verifiedClaims checks tok's signature against our JWKS with go-oidc's
// key set (as a resource server would) and returns its claims.
func verifiedClaims(t *testing.T, ts *testServer, tok string) map[string]any {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	payload, err := oidc.NewRemoteKeySet(ctx, ts.URL+"/oauth2/jwks").VerifySignature(ctx, tok)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	return m
}

// Form (a): an upstream token issued to Gatehouse's own GitHub app becomes
// the calling app's access token; another app's token, a provider the app
// may not exchange and an app without the grant are refused, and nothing
// is created for a refused token.
func TestOAuthTokenExchangeUpstreamRefusals(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	app := exchangeApp(t, ts, "Gateway", "github", "lego")
	other := exchangeApp(t, ts, "Lego only", "lego")
	noGrant := newApp(t, ts, apps.Spec{Name: "CC", GrantTypes: []string{"client_credentials"}, RedirectURIs: []string{}})
	try := func(conf *oauth2.Config, form url.Values) (*http.Response, map[string]any) {
		return tokenCall(t, ts, form, conf.ClientID, conf.ClientSecret)
	}
	resp, m := try(app, exchangeForm(up.gh.IssueTokenFor("another-oauth-app"), "provider", "github"))
	wantOAuthErr(t, "another app's GitHub token", resp, m, http.StatusBadRequest, "invalid_grant")
	resp, m = try(app, exchangeForm(up.gh.IssueTokenFor(""), "provider", "github")) // a personal access token
	wantOAuthErr(t, "personal access token", resp, m, http.StatusBadRequest, "invalid_grant")
	resp, m = try(other, exchangeForm(up.gh.IssueToken(), "provider", "github"))
	wantOAuthErr(t, "a provider the app may not exchange", resp, m, http.StatusBadRequest, "unauthorized_client")
	resp, m = try(noGrant, exchangeForm(up.gh.IssueToken(), "provider", "github"))
	wantOAuthErr(t, "an app without the grant", resp, m, http.StatusBadRequest, "unauthorized_client")
	resp, m = try(app, exchangeForm(up.lego.IssueToken(), "provider", "lego"))
	wantOAuthErr(t, "a provider that cannot prove the audience", resp, m, http.StatusBadRequest, "invalid_request")
	resp, m = try(app, exchangeForm(up.gh.IssueToken(), "provider", "github", "scope", "openid groups"))
	wantOAuthErr(t, "a scope the app does not have", resp, m, http.StatusBadRequest, "invalid_scope")
	resp, m = try(app, exchangeForm(up.gh.IssueToken(), "provider", "github", "subject_token_type", oauth.TokenTypeIDToken))
	wantOAuthErr(t, "an id_token as subject", resp, m, http.StatusBadRequest, "invalid_request")
	resp, m = try(app, exchangeForm(up.gh.IssueToken(), "provider", "github", "actor_token", "x", "actor_token_type", oauth.TokenTypeAccessToken))
	wantOAuthErr(t, "an actor token", resp, m, http.StatusBadRequest, "invalid_request")
	if n := accountCount(t, ts); n != 0 {
		t.Fatalf("%d accounts created from refused exchanges", n)
	}
}

func TestOAuthTokenExchangeUpstream(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	app := exchangeApp(t, ts, "Gateway", "github")
	resp, m := tokenCall(t, ts, exchangeForm(up.gh.IssueToken(), "provider", "github", "scope", "openid email"), app.ClientID, app.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	if m["issued_token_type"] != oauth.TokenTypeAccessToken || m["token_type"] != "Bearer" || !sameScope(m["scope"], "openid email") {
		t.Errorf("answer = %v", m)
	}
	if m["refresh_token"] != nil || m["id_token"] != nil {
		t.Errorf("an exchange answers an access token only: %v", m)
	}
	if exp, _ := m["expires_in"].(float64); exp <= 0 || exp > 15*60 {
		t.Errorf("expires_in = %v", m["expires_in"])
	}
	claims := verifiedClaims(t, ts, m["access_token"].(string))
	if claims["sub"] != accountID(t, ts, "octo") || claims["client_id"] != app.ClientID || claims["email"] != "octo@example.test" {
		t.Errorf("claims = %v", claims)
	}
	if aud, _ := claims["aud"].([]any); !slices.Equal(aud, []any{app.ClientID}) {
		t.Errorf("aud = %v, want the app", claims["aud"])
	}
	if claims["act"] != nil {
		t.Errorf("a token for the app itself names no actor: %v", claims["act"])
	}
	if got := userinfoOf(t, ts, m["access_token"].(string)); got["sub"] != claims["sub"] {
		t.Errorf("userinfo with the exchanged token = %v", got)
	}
	checks := up.gh.Requests(up.gh.CheckTokenPath)
	if id, _, ok := basicAuth(checks[len(checks)-1].Header); !ok || id != up.gh.ClientID {
		t.Errorf("the token check did not authenticate as our GitHub app")
	}
}

// sameScope compares a scope answer with want, in any order.
func sameScope(got any, want string) bool {
	s, _ := got.(string)
	a, b := oauth.ParseScope(s), oauth.ParseScope(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The identity behind an exchanged upstream token meets the rules of a
// browser sign-in: the sign-up policy (no account without an invite) and
// the provider's admission rules, each refusal audited.
func TestOAuthTokenExchangeUpstreamSignInRules(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, "signup: invite\n"+up.config())
	app := exchangeApp(t, ts, "Gateway", "github")
	resp, m := tokenCall(t, ts, exchangeForm(up.gh.IssueToken(), "provider", "github"), app.ClientID, app.ClientSecret)
	wantOAuthErr(t, "a new account under signup: invite", resp, m, http.StatusBadRequest, "invalid_grant")
	if d, _ := m["error_description"].(string); !strings.Contains(d, "invite-only") {
		t.Errorf("description = %q", d)
	}
	require.Equal(t, 0, countAccounts(t, ts))

	ts.gh.SetAdmission("github", providers.Admission{EmailDomains: []string{"corp.test"}})
	resp, m = tokenCall(t, ts, exchangeForm(up.gh.IssueToken(), "provider", "github"), app.ClientID, app.ClientSecret)
	wantOAuthErr(t, "refused by the admission rules", resp, m, http.StatusBadRequest, "invalid_grant")
	require.Equal(t, 1, auditCount(t, ts, signin.EventSigninRefused))
}
