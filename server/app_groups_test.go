package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/store"
)

// groupsOf makes the account a local member of each of local (creating
// the groups) and gives it upstream groups from provider "github".
func groupsOf(t *testing.T, ts *testServer, accountID string, local, upstream []string) {
	t.Helper()
	ctx := context.Background()
	for _, g := range local {
		err := ts.Store.CreateGroup(ctx, &store.Group{ID: store.NewID(), Name: g, CreatedAt: ts.Clock.Now()})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			require.NoError(t, err)
		}
		require.NoError(t, ts.Store.AddAccountToGroup(ctx, accountID, g, ts.Clock.Now()))
	}
	require.NoError(t, ts.Store.SetUpstreamGroups(ctx, accountID, "github", upstream, ts.Clock.Now()))
}

// carol is the mock provider's account, signed in by b.
func carol(t *testing.T, ts *testServer) store.Account {
	t.Helper()
	a, err := ts.Store.GetAccountByUsername(context.Background(), "carol")
	require.NoError(t, err)
	return a
}

// oidcSignIn runs the code flow for conf in b with real clients and
// returns the token and the verified id_token's claims.
func oidcSignIn(t *testing.T, ts *testServer, b *http.Client, conf *oauth2.Config) (*oauth2.Token, map[string]any) {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	provider, err := oidc.NewProvider(ctx, ts.URL)
	require.NoError(t, err)
	verifier := oauth2.GenerateVerifier()
	back := authorize(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "approve")
	require.NotEmpty(t, back.Query().Get("code"), "redirect = %s", back)
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID, Now: ts.Clock.Now}).Verify(ctx, raw)
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, idt.Claims(&claims))
	return tok, claims
}

// userinfoOf calls userinfo with the token and decodes the answer.
func userinfoOf(t *testing.T, ts *testServer, tok string) map[string]any {
	t.Helper()
	resp, m := call(t, http.MethodGet, ts.URL+"/oauth2/userinfo", "", nil, http.Header{"Authorization": {"Bearer " + tok}})
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	return m
}

// The groups claim appears in the id_token, userinfo, the access token
// and an app's /api/v1/users/me/ only with the groups scope; it holds the
// account's groups of every source, each once, sorted.
func TestGroupsClaimNeedsGroupsScope(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	groupsOf(t, ts, carol(t, ts).ID, []string{"staff", "acme"}, []string{"acme", "acme/ops"})
	want := []any{"acme", "acme/ops", "staff"}

	without := newApp(t, ts, apps.Spec{Name: "No groups", Scopes: []string{"openid", "profile", "groups"}})
	without.Scopes = []string{"openid", "profile"}
	with := newApp(t, ts, apps.Spec{Name: "Groups", Scopes: []string{"openid", "profile", "groups"}})
	for _, tc := range []struct {
		name string
		conf *oauth2.Config
		want []any // nil: no claim
	}{{"without the scope", without, nil}, {"with the scope", with, want}} {
		t.Run(tc.name, func(t *testing.T) {
			tok, idClaims := oidcSignIn(t, ts, b, tc.conf)
			_, meView := me(t, ts, "Bearer "+tok.AccessToken)
			for where, m := range map[string]map[string]any{"id_token": idClaims, "userinfo": userinfoOf(t, ts, tok.AccessToken),
				"access token": jwtClaims(t, tok.AccessToken), "users/me": meView} {
				got, present := m["groups"]
				if tc.want == nil && present {
					t.Errorf("%s carries groups %v without the groups scope", where, got)
				}
				if tc.want != nil && !slices.Equal(anys(got), tc.want) {
					t.Errorf("%s groups = %v, want %v", where, got, tc.want)
				}
			}
		})
	}
}

func anys(v any) []any { l, _ := v.([]any); return l }

// An account without groups gets no groups claim even with the scope (the
// claim is omitted, not an empty list); Gatehouse's own token shows
// groups on /api/v1/users/me/ always; discovery lists the scope.
func TestGroupsClaimOmittedWhenNone(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "groups"}})
	if page := consentPage(t, b, conf.AuthCodeURL("c")); !strings.Contains(page, "See your groups") {
		t.Errorf("the consent page does not describe the groups scope:\n%s", page)
	}
	tok, idClaims := oidcSignIn(t, ts, b, conf)
	if g, ok := idClaims["groups"]; ok {
		t.Errorf("id_token groups = %v for an account without groups", g)
	}
	if g, ok := userinfoOf(t, ts, tok.AccessToken)["groups"]; ok {
		t.Errorf("userinfo groups = %v for an account without groups", g)
	}

	alice := addUser(t, ts, "alice", "correct horse")
	first, _ := login(t, ts, "alice", "correct horse")
	_, m := me(t, ts, "Bearer "+first)
	if g, ok := m["groups"].([]any); !ok || len(g) != 0 {
		t.Errorf("first-party users/me groups = %#v, want []", m["groups"])
	}
	groupsOf(t, ts, alice.ID, []string{"staff"}, nil)
	if _, m = me(t, ts, "Bearer "+first); !slices.Equal(anys(m["groups"]), []any{"staff"}) {
		t.Errorf("first-party users/me groups = %v, want [staff]", m["groups"])
	}

	_, disc := call(t, http.MethodGet, ts.URL+"/.well-known/openid-configuration", "", nil, nil)
	if !slices.Contains(anys(disc["scopes_supported"]), any("groups")) {
		t.Errorf("scopes_supported = %v", disc["scopes_supported"])
	}
}

// oauth2-proxy's --allowed-group, done the way it does it: a real
// x/oauth2 + go-oidc client signs in with the groups scope and lets in
// only an id_token whose groups claim names the required group.
func TestOAuth2ProxyStyleAllowedGroup(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	conf := newApp(t, ts, apps.Spec{Name: "proxy", Scopes: []string{"openid", "email", "groups"}})
	proxyAllows := func() bool {
		_, claims := oidcSignIn(t, ts, b, conf)
		return slices.Contains(anys(claims["groups"]), any("staff"))
	}
	if proxyAllows() {
		t.Fatalf("the proxy let in an account outside staff")
	}
	groupsOf(t, ts, carol(t, ts).ID, []string{"staff"}, nil)
	if !proxyAllows() {
		t.Errorf("the proxy refused a member of staff")
	}
}

// restrictedApp registers a vetted app only members of staff may use.
func restrictedApp(t *testing.T, ts *testServer, grants ...string) *oauth2.Config {
	t.Helper()
	return newApp(t, ts, apps.Spec{Name: "Staff only", Scopes: []string{"openid", "profile", "offline_access"},
		GrantTypes: grants, AllowedGroups: []string{"staff"}})
}

// An app with allowed groups: an account outside them gets access_denied
// (with state) at /oauth2/authorize after sign-in, and no consent page; a
// member gets a code; a refresh after the member left the group is
// invalid_grant, and the family is revoked (rejoining does not revive it).
func TestAppAllowedGroups(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	conf := restrictedApp(t, ts, "authorization_code", "refresh_token")
	conf.Scopes = []string{"openid", "profile", "offline_access"}

	back := authorize(t, b, conf.AuthCodeURL("s<1>"), "approve")
	if q := back.Query(); q.Get("error") != "access_denied" || q.Get("state") != "s<1>" || q.Get("code") != "" {
		t.Fatalf("outsider: redirect = %s", back)
	}
	acct := carol(t, ts)
	if n := consentCount(t, ts); n != 0 {
		t.Errorf("an outsider was asked for (and gave) consent: %d consents", n)
	}

	groupsOf(t, ts, acct.ID, []string{"staff"}, nil)
	tok, _ := oidcSignIn(t, ts, b, conf)
	require.NotEmpty(t, tok.RefreshToken)
	ctx := context.Background()
	fresh, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.NoError(t, err, "a member's refresh")

	require.NoError(t, ts.Store.RemoveAccountFromGroup(ctx, acct.ID, "staff"))
	resp, m := refreshWith(t, ts, conf, fresh.RefreshToken)
	wantOAuthErr(t, "refresh after leaving the group", resp, m, http.StatusBadRequest, "invalid_grant")
	require.NoError(t, ts.Store.AddAccountToGroup(ctx, acct.ID, "staff", ts.Clock.Now()))
	resp, m = refreshWith(t, ts, conf, fresh.RefreshToken)
	wantOAuthErr(t, "refresh after rejoining (family revoked)", resp, m, http.StatusBadRequest, "invalid_grant")
}

// refreshWith posts a refresh grant for conf's client.
func refreshWith(t *testing.T, ts *testServer, conf *oauth2.Config, rt string) (*http.Response, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}
	return call(t, http.MethodPost, ts.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
}

// An unvetted app restricted to groups shows the refusal as a page, not a
// redirect (no open redirector).
func TestAppAllowedGroupsUnvettedIsPage(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	cl, _, err := apps.Create(context.Background(), ts.Store, apps.Spec{Name: "Unvetted", RedirectURIs: []string{appRedirect},
		Scopes: []string{"openid"}, AllowedGroups: []string{"staff"}}, nil, ts.Clock.Now())
	require.NoError(t, err)
	q := url.Values{"client_id": {cl.ID}, "redirect_uri": {appRedirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
	resp, body := get(t, b, ts.URL+"/oauth2/authorize?"+q.Encode())
	expectPage(t, resp, body, http.StatusBadRequest, "access_denied")
	if resp.Request.URL.Host != strings.TrimPrefix(ts.URL, "http://") {
		t.Errorf("redirected to %s", resp.Request.URL)
	}
}

// The password grant and device approval check the allowed groups too;
// client credentials (no user) are not affected.
func TestAppAllowedGroupsOtherGrants(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	conf := restrictedApp(t, ts, "password", "client_credentials")
	conf.Scopes = []string{"openid"}
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"correct horse"}, "scope": {"openid"},
		"client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}
	resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	wantOAuthErr(t, "password grant outside the group", resp, m, http.StatusBadRequest, "invalid_grant")
	form = url.Values{"grant_type": {"client_credentials"}, "client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}
	resp, m = call(t, http.MethodPost, ts.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "client credentials: %v", m)

	device := newApp(t, ts, apps.Spec{Name: "TV", Public: true, GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"},
		Scopes: []string{"openid"}, RedirectURIs: []string{}, AllowedGroups: []string{"staff"}})
	device.Endpoint.DeviceAuthURL = ts.URL + "/oauth2/device_authorization"
	device.Scopes = []string{"openid"}
	da, err := device.DeviceAuth(context.Background())
	require.NoError(t, err)
	// Refused as soon as the code is entered: no approval is offered.
	b := signedInAgent(t, ts)
	_, page := get(t, b, ts.URL+"/device?user_code="+url.QueryEscape(da.UserCode))
	resp, body := postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrfFrom(t, page)}, "user_code": {da.UserCode}})
	expectPage(t, resp, body, http.StatusForbidden, "not in a group that may use TV")
	resp, m = devicePoll(t, ts, device.ClientID, da.DeviceCode)
	wantOAuthErr(t, "device outside the group", resp, m, http.StatusBadRequest, "access_denied")
}

// RFC 7591 registration refuses allowed_groups: only operators restrict
// apps, and an app that asked must not believe it is restricted.
func TestRegistrationRefusesAllowedGroups(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	h := http.Header{"Authorization": {"Bearer " + token}}
	for _, v := range []string{`["staff"]`, `[]`, `"staff"`} {
		body := `{"redirect_uris":["https://a.example/cb"],"allowed_groups":` + v + `}`
		resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(body), h)
		wantOAuthErr(t, "allowed_groups "+v, resp, m, http.StatusBadRequest, "invalid_client_metadata")
	}
	if n := appCount(t, ts); n != 0 {
		t.Errorf("%d apps registered", n)
	}
}
