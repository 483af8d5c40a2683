package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

const (
	thingsAPI = "https://things.example/api"
	otherAPI  = "https://other.example/api"
)

// addAPI registers an API as `gatehouse apis create` would; it returns
// the API's introspection secret.
func addAPI(t *testing.T, ts *testServer, identifier string, scopes ...store.APIScope) string {
	t.Helper()
	secret := tokens.RandomToken()
	api := store.API{ID: store.NewID(), Identifier: identifier, Name: "Things", Scopes: scopes,
		SecretHash: tokens.HashToken(secret), CreatedAt: ts.Clock.Now()}
	require.NoError(t, ts.Store.CreateAPI(context.Background(), &api))
	return secret
}

// resourceApp is an app with a user and an API, signed in with the mock.
func resourceApp(t *testing.T) (*testServer, *oauth2.Config, *http.Client) {
	ts := startServer(t, mockOnly)
	addAPI(t, ts, thingsAPI, store.APIScope{Name: "read:things", Description: "Read your things"}, store.APIScope{Name: "write:things"})
	addAPI(t, ts, otherAPI, store.APIScope{Name: "read:other"})
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile", "offline_access"}})
	return ts, conf, signedInAgent(t, ts)
}

// exchangeCode trades a code for tokens, with extra form values.
func exchangeCode(t *testing.T, ts *testServer, conf *oauth2.Config, code string, extra url.Values) (*http.Response, map[string]any) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {conf.RedirectURL}}
	for k, v := range extra {
		form[k] = v
	}
	return tokenCall(t, ts, form, conf.ClientID, conf.ClientSecret)
}

func TestResourceTokenIsForTheAPI(t *testing.T) {
	ts, conf, b := resourceApp(t)
	conf.Scopes = []string{"openid", "offline_access", "read:things", "read:other", "delete:things"}
	resp, body := get(t, b, conf.AuthCodeURL("s", oauth2.SetAuthURLParam("resource", thingsAPI)))
	require.Equal(t, "/consent", resp.Request.URL.Path)
	require.Contains(t, body, "Things: Read your things", "consent shows the API's scope description")
	require.NotContains(t, body, "read:other", "another API's scope is not asked for")
	code := codeFor(t, ts, b, conf, oauth2.SetAuthURLParam("resource", thingsAPI))
	resp, m := exchangeCode(t, ts, conf, code, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	at := jwtClaims(t, m["access_token"].(string))
	require.Equal(t, []any{thingsAPI}, at["aud"], "aud is exactly the API")
	require.Equal(t, "read:things", at["scope"], "only the API's own scopes go into its token")
	require.NotEmpty(t, m["id_token"], "openid still gives an id_token")

	// A refresh keeps the resource, named or not; another one is refused
	// without spending the token.
	rt := m["refresh_token"].(string)
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": {otherAPI}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "refresh for another API", resp, m, http.StatusBadRequest, "invalid_target")
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, conf.ClientID, conf.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.Equal(t, []any{thingsAPI}, jwtClaims(t, m["access_token"].(string))["aud"])
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m["refresh_token"].(string)}, "resource": {thingsAPI}}, conf.ClientID, conf.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.Equal(t, []any{thingsAPI}, jwtClaims(t, m["access_token"].(string))["aud"])
}

func TestNoResourceTokenIsForTheClient(t *testing.T) {
	ts, conf, b := resourceApp(t)
	conf.Scopes = []string{"openid", "offline_access"}
	resp, m := exchangeCode(t, ts, conf, codeFor(t, ts, b, conf), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.Equal(t, []any{conf.ClientID}, jwtClaims(t, m["access_token"].(string))["aud"])
	// A refresh of a grant made without resource cannot turn into an API token.
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m["refresh_token"].(string)}, "resource": {thingsAPI}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "refresh naming a resource not granted", resp, m, http.StatusBadRequest, "invalid_target")
}

func TestResourceRefusedAtAuthorize(t *testing.T) {
	ts, conf, b := resourceApp(t)
	conf.Scopes = []string{"openid", "read:things"}
	for what, res := range map[string][]string{"unknown": {"https://nope.example/api"}, "two": {thingsAPI, otherAPI}} {
		u := conf.AuthCodeURL("s") + "&resource=" + strings.Join(urlEscapeAll(res), "&resource=")
		back := authorize(t, b, u, "approve")
		require.Equal(t, "invalid_target", back.Query().Get("error"), "%s resource: %s", what, back)
	}
	// The code is bound to its resource: the token request may not name another.
	code := codeFor(t, ts, b, conf, oauth2.SetAuthURLParam("resource", thingsAPI))
	resp, m := exchangeCode(t, ts, conf, code, url.Values{"resource": {otherAPI}})
	wantOAuthErr(t, "code for another resource", resp, m, http.StatusBadRequest, "invalid_target")
	code = codeFor(t, ts, b, conf)
	resp, m = exchangeCode(t, ts, conf, code, url.Values{"resource": {thingsAPI}})
	wantOAuthErr(t, "code without resource, token with one", resp, m, http.StatusBadRequest, "invalid_target")
}

func urlEscapeAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = url.QueryEscape(v)
	}
	return out
}

func TestResourceClientCredentials(t *testing.T) {
	ts, _, _ := resourceApp(t)
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	call := func(form url.Values) (*http.Response, map[string]any) {
		form.Set("grant_type", "client_credentials")
		return tokenCall(t, ts, form, svc.ClientID, svc.ClientSecret)
	}
	resp, m := call(url.Values{"resource": {thingsAPI}, "scope": {"read:things"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	at := jwtClaims(t, m["access_token"].(string))
	require.Equal(t, []any{thingsAPI}, at["aud"])
	require.Equal(t, "read:things", at["scope"])
	resp, m = call(url.Values{"resource": {"https://nope.example/api"}})
	wantOAuthErr(t, "unknown resource", resp, m, http.StatusBadRequest, "invalid_target")
	resp, m = call(url.Values{"resource": {thingsAPI}, "scope": {"read:other"}})
	wantOAuthErr(t, "a scope the API does not define", resp, m, http.StatusBadRequest, "invalid_scope")
	resp, m = call(url.Values{"resource": {thingsAPI}, "scope": {"profile"}})
	wantOAuthErr(t, "a server scope in an API token", resp, m, http.StatusBadRequest, "invalid_scope")

	// A user's own app gets no machine token for an API: nobody consented.
	owner := addUser(t, ts, "dave", "correct horse")
	cl, secret, err := apps.Create(context.Background(), ts.Store, apps.Spec{Name: "Mine", OwnerID: owner.ID,
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}}, nil, ts.Clock.Now())
	require.NoError(t, err)
	resp, m = tokenCall(t, ts, url.Values{"grant_type": {"client_credentials"}, "resource": {thingsAPI}, "scope": {"read:things"}}, cl.ID, secret)
	wantOAuthErr(t, "a user's app", resp, m, http.StatusBadRequest, "invalid_target")
}

func TestResourceRefusedByOtherGrants(t *testing.T) {
	ts, _, _ := resourceApp(t)
	addUser(t, ts, "alice", "correct horse")
	pw := newApp(t, ts, apps.Spec{Name: "edX", GrantTypes: []string{"password"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	resp, m := tokenCall(t, ts, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"correct horse"},
		"resource": {thingsAPI}}, pw.ClientID, pw.ClientSecret)
	wantOAuthErr(t, "password grant with a resource", resp, m, http.StatusBadRequest, "invalid_target")

}

// Tokens for an API expire with the API's lifetime when it sets one.
func TestResourceAccessTTL(t *testing.T) {
	ts, _, _ := resourceApp(t)
	api := store.API{ID: store.NewID(), Identifier: "https://short.example", Scopes: []store.APIScope{{Name: "x"}},
		AccessTTL: 2 * time.Minute, CreatedAt: ts.Clock.Now()}
	require.NoError(t, ts.Store.CreateAPI(context.Background(), &api))
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, RedirectURIs: []string{}})
	resp, m := tokenCall(t, ts, url.Values{"grant_type": {"client_credentials"}, "resource": {api.Identifier}, "scope": {"x"}}, svc.ClientID, svc.ClientSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.EqualValues(t, 120, m["expires_in"])
}

func apiScope(name string) store.APIScope { return store.APIScope{Name: name} }

// A token for an API is for that API alone: Gatehouse's own endpoints
// (userinfo, the users/me API) refuse it.
func TestAPITokenRefusedByGatehouse(t *testing.T) {
	ts, conf, b := resourceApp(t)
	conf.Scopes = []string{"openid", "profile", "read:things"}
	code := codeFor(t, ts, b, conf, oauth2.SetAuthURLParam("resource", thingsAPI))
	resp, m := exchangeCode(t, ts, conf, code, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	tok := m["access_token"].(string)
	for _, path := range []string{"/oauth2/userinfo", "/api/v1/users/me/"} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
}

// The implicit flow (operator-only) honours resource too.
func TestResourceImplicit(t *testing.T) {
	ts := startServer(t, mockOnly)
	addAPI(t, ts, thingsAPI, apiScope("read:things"))
	conf := newApp(t, ts, apps.Spec{GrantTypes: []string{"implicit"}, Scopes: []string{"profile"}})
	b := signedInAgent(t, ts)
	q := url.Values{"client_id": {conf.ClientID}, "redirect_uri": {conf.RedirectURL}, "response_type": {"token"},
		"scope": {"profile read:things"}, "state": {"s"}, "resource": {thingsAPI}}
	back := authorize(t, b, ts.URL+"/oauth2/authorize?"+q.Encode(), "approve")
	frag, err := url.ParseQuery(back.Fragment)
	require.NoError(t, err)
	require.NotEmpty(t, frag.Get("access_token"), back)
	at := jwtClaims(t, frag.Get("access_token"))
	require.Equal(t, []any{thingsAPI}, at["aud"])
	require.Equal(t, "read:things", at["scope"])
}

// A token for an API carries only what the API defines: the groups and
// the e-mail address the user gave the app must not reach the API.
func TestResourceTokenCarriesNoAppProfile(t *testing.T) {
	ts := startServer(t, mockOnly)
	addAPI(t, ts, thingsAPI, store.APIScope{Name: "read:things"})
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "email", "groups", "read:things"}})
	b := signedInAgent(t, ts)
	groupsOf(t, ts, carol(t, ts).ID, []string{"staff"}, nil)
	conf.Scopes = []string{"openid", "email", "groups", "read:things"}
	code := codeFor(t, ts, b, conf, oauth2.SetAuthURLParam("resource", thingsAPI))
	resp, m := exchangeCode(t, ts, conf, code, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	at := jwtClaims(t, m["access_token"].(string))
	for _, claim := range []string{"groups", "email", "email_verified"} {
		if v, ok := at[claim]; ok {
			t.Errorf("the API's token carries %s = %v", claim, v)
		}
	}
}
