package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// reportsAPI defines read:things too (its own copy of the name) and
// read:reports; its tokens live two minutes.
const reportsAPI = "https://reports.example/api"

// apiNarrowing is alice's token for thingsAPI (read:things write:things)
// from an app, and an app allowed to exchange it.
type apiNarrowing struct {
	*testServer
	orders        *oauth2.Config
	subject       string
	reportsSecret string
}

func newAPINarrowing(t *testing.T) *apiNarrowing {
	ts, conf, b := resourceApp(t)
	n := &apiNarrowing{testServer: ts, orders: exchangeApp(t, ts, "Orders"),
		reportsSecret: addAPI(t, ts, reportsAPI, apiScope("read:things"), apiScope("read:reports"))}
	api, err := ts.Store.GetAPI(context.Background(), reportsAPI)
	require.NoError(t, err)
	api.AccessTTL = 2 * time.Minute
	require.NoError(t, ts.Store.UpdateAPI(context.Background(), &api))
	conf.Scopes = []string{"openid", "read:things", "write:things"}
	code := codeFor(t, ts, b, conf, oauth2.SetAuthURLParam("resource", thingsAPI))
	resp, m := exchangeCode(t, ts, conf, code, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	n.subject = m["access_token"].(string)
	require.True(t, sameScope(jwtClaims(t, n.subject)["scope"], "read:things write:things"), jwtClaims(t, n.subject))
	return n
}

func (n *apiNarrowing) exchange(t *testing.T, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	return tokenCall(t, n.testServer, form, n.orders.ClientID, n.orders.ClientSecret)
}

// Form (b) with resource: a user's token narrowed for a registered API,
// aud = its identifier, act = the exchanging app, no longer than the
// API's lifetime; the API can introspect it, another cannot.
func TestOAuthTokenExchangeForAPI(t *testing.T) {
	n := newAPINarrowing(t)
	resp, m := n.exchange(t, exchangeForm(n.subject, "resource", reportsAPI, "scope", "read:things"))
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.Equal(t, "read:things", m["scope"])
	if e, _ := m["expires_in"].(float64); e > 120 {
		t.Errorf("expires_in = %v, want at most the API's 120 s", e)
	}
	tok := m["access_token"].(string)
	claims, sub := verifiedClaims(t, n.testServer, tok), jwtClaims(t, n.subject)
	act, _ := claims["act"].(map[string]any)
	require.Equal(t, []any{reportsAPI}, claims["aud"])
	if claims["sub"] != sub["sub"] || claims["client_id"] != n.orders.ClientID || act["sub"] != n.orders.ClientID || claims["scope"] != "read:things" {
		t.Errorf("claims = %v", claims)
	}
	if claims["exp"].(float64) > sub["exp"].(float64) {
		t.Errorf("exp %v after the subject's %v", claims["exp"], sub["exp"])
	}
	status, got := introspectAs(t, n.testServer, reportsAPI, n.reportsSecret, tok)
	require.Equal(t, http.StatusOK, status)
	if got["active"] != true || got["scope"] != "read:things" || got["sub"] != sub["sub"] {
		t.Errorf("introspection by the API = %v", got)
	}

	// No scope asked: the subject's scopes the API defines.
	resp, m = n.exchange(t, exchangeForm(n.subject, "resource", reportsAPI))
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.Equal(t, "read:things", m["scope"])
}

func TestOAuthTokenExchangeForAPIRefusals(t *testing.T) {
	n := newAPINarrowing(t)
	several := exchangeForm(n.subject, "resource", reportsAPI)
	several.Add("resource", thingsAPI)
	for _, tc := range []struct {
		what string
		form url.Values
		code string
	}{
		{"a scope the subject lacks", exchangeForm(n.subject, "resource", reportsAPI, "scope", "read:reports"), "invalid_scope"},
		{"a scope the API does not define", exchangeForm(n.subject, "resource", reportsAPI, "scope", "read:things write:things"), "invalid_scope"},
		{"an unknown resource", exchangeForm(n.subject, "resource", "https://nobody.example/api"), "invalid_target"},
		{"several resources", several, "invalid_target"},
		{"audience and resource", exchangeForm(n.subject, "resource", reportsAPI, "audience", n.orders.ClientID), "invalid_request"},
	} {
		resp, m := n.exchange(t, tc.form)
		wantOAuthErr(t, tc.what, resp, m, http.StatusBadRequest, tc.code)
	}
	// Nothing the subject has is the API's: refused, not an empty token.
	resp, m := n.exchange(t, exchangeForm(n.subject, "resource", otherAPI))
	wantOAuthErr(t, "no scope in common", resp, m, http.StatusBadRequest, "invalid_scope")
}

// The acting app's allowed groups apply to a token for an API too.
func TestOAuthTokenExchangeForAPIAllowedGroups(t *testing.T) {
	n := newAPINarrowing(t)
	cl, err := n.Store.GetClient(context.Background(), n.orders.ClientID)
	require.NoError(t, err)
	cl.AllowedGroups = []string{"ops"}
	require.NoError(t, n.Store.UpdateClient(context.Background(), &cl))
	n.Clock.Add(11 * time.Second) // past the server's client cache
	resp, m := n.exchange(t, exchangeForm(n.subject, "resource", reportsAPI))
	wantOAuthErr(t, "a user outside the acting app's allowed groups", resp, m, http.StatusBadRequest, "invalid_grant")
}
