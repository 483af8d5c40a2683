package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/server/oauth"
	"gatehouse/store"
)

// narrowing is a user's token from one app (front), an app allowed to
// exchange (orders) and the app the new token is for (billing).
type narrowing struct {
	*testServer
	front, orders, billing *oauth2.Config
	subject                string // alice's access token from front
}

func newNarrowing(t *testing.T) *narrowing {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "alice password")
	n := &narrowing{testServer: ts, front: passwordApp(t, ts, "Front", "openid", "profile", "email"),
		orders:  exchangeApp(t, ts, "Orders"),
		billing: newApp(t, ts, apps.Spec{Name: "Billing", GrantTypes: []string{"client_credentials"}, RedirectURIs: []string{}})}
	n.subject = n.userToken(t, "openid profile email")
	return n
}

// userToken is a fresh access token of alice's from front.
func (n *narrowing) userToken(t *testing.T, scope string) string {
	t.Helper()
	resp, m := tokenCall(t, n.testServer, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice password"},
		"scope": {scope}}, n.front.ClientID, n.front.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	return m["access_token"].(string)
}

// exchange asks, as conf, for subject narrowed with the extra parameters.
func (n *narrowing) exchange(t *testing.T, conf *oauth2.Config, subject string, extra ...string) (*http.Response, map[string]any) {
	t.Helper()
	return tokenCall(t, n.testServer, exchangeForm(subject, extra...), conf.ClientID, conf.ClientSecret)
}

// Form (b): a user's token from one app becomes a narrower token for
// another app, with act naming the app that exchanged it.
func TestOAuthTokenExchangeNarrowing(t *testing.T) {
	n := newNarrowing(t)
	resp, m := n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID, "scope", "profile")
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	if m["issued_token_type"] != oauth.TokenTypeAccessToken || m["token_type"] != "Bearer" || m["scope"] != "profile" || m["refresh_token"] != nil {
		t.Errorf("answer = %v", m)
	}
	claims, sub := verifiedClaims(t, n.testServer, m["access_token"].(string)), jwtClaims(t, n.subject)
	if aud, _ := claims["aud"].([]any); !slices.Equal(aud, []any{n.billing.ClientID}) {
		t.Errorf("aud = %v, want billing", claims["aud"])
	}
	act, _ := claims["act"].(map[string]any)
	if claims["sub"] != sub["sub"] || claims["client_id"] != n.orders.ClientID || act["sub"] != n.orders.ClientID || claims["scope"] != "profile" {
		t.Errorf("claims = %v", claims)
	}
	if claims["email"] != nil {
		t.Errorf("email claim without the email scope: %v", claims["email"])
	}
	// Without scope: the subject's scope; without audience: refused.
	resp, m = n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	if !sameScope(m["scope"], "openid profile email") || jwtClaims(t, m["access_token"].(string))["email"] != "alice@example.test" {
		t.Errorf("no scope asked: %v", m)
	}
	resp, m = n.exchange(t, n.orders, n.subject)
	wantOAuthErr(t, "no audience", resp, m, http.StatusBadRequest, "invalid_request")
}

// The new token never outlives the subject token.
func TestOAuthTokenExchangeLifetime(t *testing.T) {
	n := newNarrowing(t)
	n.Clock.Add(10 * time.Minute) // of the subject's 15
	resp, m := n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	got, sub := jwtClaims(t, m["access_token"].(string)), jwtClaims(t, n.subject)
	if got["exp"].(float64) > sub["exp"].(float64) {
		t.Errorf("exp %v after the subject's %v", got["exp"], sub["exp"])
	}
	if e, _ := m["expires_in"].(float64); e > 5*60 {
		t.Errorf("expires_in = %v, want at most the subject's remaining 300 s", e)
	}
	n.Clock.Add(6 * time.Minute)
	resp, m = n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID)
	wantOAuthErr(t, "an expired subject", resp, m, http.StatusBadRequest, "invalid_grant")
}

func TestOAuthTokenExchangeNarrowingRefusals(t *testing.T) {
	n := newNarrowing(t)
	ctx := context.Background()
	_, exchanged := n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID, "scope", "profile")
	cc, ccm := tokenCall(t, n.testServer, url.Values{"grant_type": {"client_credentials"}}, n.billing.ClientID, n.billing.ClientSecret)
	require.Equal(t, http.StatusOK, cc.StatusCode, ccm)
	_, idm := tokenCall(t, n.testServer, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice password"},
		"scope": {"openid"}}, n.front.ClientID, n.front.ClientSecret)
	for _, tc := range []struct {
		what, subject string
		extra         []string
		code          string
	}{
		{"a scope wider than the subject's", n.subject, []string{"audience", n.billing.ClientID, "scope", "profile groups"}, "invalid_scope"},
		{"an unknown audience", n.subject, []string{"audience", "app_nobody"}, "invalid_target"},
		{"an unregistered resource", n.subject, []string{"resource", "https://api.example"}, "invalid_target"},
		{"an exchanged token again", exchanged["access_token"].(string), []string{"audience", n.billing.ClientID}, "invalid_grant"},
		{"a client_credentials token", ccm["access_token"].(string), []string{"audience", n.billing.ClientID}, "invalid_grant"},
		{"an id_token as access token", idm["id_token"].(string), []string{"audience", n.billing.ClientID}, "invalid_grant"},
		{"an id_token type", idm["id_token"].(string), []string{"audience", n.billing.ClientID, "subject_token_type", oauth.TokenTypeIDToken}, "invalid_request"},
		{"a forged token", n.subject[:len(n.subject)-4] + "AAAA", []string{"audience", n.billing.ClientID}, "invalid_grant"},
		{"an actor token", n.subject, []string{"audience", n.billing.ClientID, "actor_token", n.subject, "actor_token_type", oauth.TokenTypeAccessToken}, "invalid_request"},
	} {
		resp, m := n.exchange(t, n.orders, tc.subject, tc.extra...)
		wantOAuthErr(t, tc.what, resp, m, http.StatusBadRequest, tc.code)
	}
	// A revoked subject: front revokes it, and it can no longer be exchanged.
	revoked := n.userToken(t, "openid profile")
	resp, m := n.exchange(t, n.orders, revoked, "audience", n.billing.ClientID)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	r, err := http.PostForm(n.URL+"/oauth2/revoke", url.Values{"token": {revoked}, "client_id": {n.front.ClientID}, "client_secret": {n.front.ClientSecret}})
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusOK, r.StatusCode)
	resp, m = n.exchange(t, n.orders, revoked, "audience", n.billing.ClientID)
	wantOAuthErr(t, "a revoked subject", resp, m, http.StatusBadRequest, "invalid_grant")

	// An app without the grant, and a public app (a legacy row: apps
	// refuses to make one) cannot exchange.
	resp, m = n.exchange(t, n.front, n.subject, "audience", n.billing.ClientID)
	wantOAuthErr(t, "an app without the grant", resp, m, http.StatusBadRequest, "unauthorized_client")
	cl := store.Client{ID: "legacy-public", Name: "Legacy", Public: true, Scopes: []string{"profile"},
		GrantTypes: []string{oauth.GrantTokenExchange}, CreatedAt: n.Clock.Now(), UpdatedAt: n.Clock.Now()}
	require.NoError(t, n.Store.CreateClient(ctx, &cl))
	resp, m = tokenCall(t, n.testServer, exchangeForm(n.subject, "audience", n.billing.ClientID, "client_id", cl.ID), "", "")
	wantOAuthErr(t, "a public app", resp, m, http.StatusBadRequest, "unauthorized_client")
}

// The app an exchanged token is for can introspect it (RFC 7662 §4: the
// token's audience); an app it is not for learns nothing; once the
// account is disabled the token is inactive.
func TestOAuthTokenExchangeIntrospection(t *testing.T) {
	n := newNarrowing(t)
	_, m := n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID, "scope", "profile")
	tok := m["access_token"].(string)
	introspect := func(conf *oauth2.Config) map[string]any {
		resp, m := call(t, http.MethodPost, n.URL+"/oauth2/introspect", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"token": {tok}, "client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}.Encode()), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, m)
		return m
	}
	for _, conf := range []*oauth2.Config{n.billing, n.orders} {
		if got := introspect(conf); got["active"] != true || got["sub"] != jwtClaims(t, n.subject)["sub"] || got["scope"] != "profile" {
			t.Errorf("introspection by %s = %v", conf.ClientID, got)
		}
	}
	if got := introspect(n.front); got["active"] != false {
		t.Errorf("introspection by an app the token is not for = %v", got)
	}
	disabled := true
	require.NoError(t, n.Store.SetAccountFlags(context.Background(), accountID(t, n.testServer, "alice"), store.AccountFlags{Disabled: &disabled}, n.Clock.Now()))
	if got := introspect(n.billing); got["active"] != false {
		t.Errorf("introspection after the account was disabled = %v", got)
	}
}

// A token for an app restricted to groups is refused to a user outside
// them, as every grant for a user is; so is a token asked for by an app
// restricted to groups the user is not in.
func TestOAuthTokenExchangeAudienceAllowedGroups(t *testing.T) {
	n := newNarrowing(t)
	ctx := context.Background()
	cl, err := n.Store.GetClient(ctx, n.billing.ClientID)
	require.NoError(t, err)
	cl.AllowedGroups = []string{"finance"}
	require.NoError(t, n.Store.UpdateClient(ctx, &cl))
	resp, m := n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID)
	wantOAuthErr(t, "a user outside the audience's allowed groups", resp, m, http.StatusBadRequest, "invalid_grant")
	groupsOf(t, n.testServer, accountID(t, n.testServer, "alice"), []string{"finance"}, nil)
	resp, m = n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	// The acting app's own restriction applies too.
	cl, err = n.Store.GetClient(ctx, n.orders.ClientID)
	require.NoError(t, err)
	cl.AllowedGroups = []string{"ops"}
	require.NoError(t, n.Store.UpdateClient(ctx, &cl))
	n.Clock.Add(11 * time.Second) // past the server's client cache
	resp, m = n.exchange(t, n.orders, n.subject, "audience", n.billing.ClientID)
	wantOAuthErr(t, "a user outside the acting app's allowed groups", resp, m, http.StatusBadRequest, "invalid_grant")
}
