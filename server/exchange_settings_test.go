package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gatehouse/server/oauth"
)

// Token exchange mints tokens for users who never consented to the app,
// so only an operator enables it: the /apps form neither offers it to a
// non-admin nor accepts it when posted anyway, and RFC 7591 registration
// refuses it. An administrator may enable it for a confidential app.
func TestTokenExchangeIsOperatorOnly(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	if _, page := get(t, alice, s.URL+"/apps"); strings.Contains(page, oauth.GrantTokenExchange) {
		t.Errorf("the form offers token exchange to a non-admin")
	}
	form := func() url.Values {
		return url.Values{"name": {"App"}, "redirect_uris": {"https://app.example/cb"}, "scope": {"openid"},
			"grant": {"authorization_code", oauth.GrantTokenExchange}}
	}
	if status, id := createAppOnPage(t, s.testServer, alice, csrf, form()); status != http.StatusBadRequest || id != "" {
		t.Errorf("non-admin enabling token exchange: %d, app %q", status, id)
	}
	root, rootCSRF := signIn(t, s.testServer, "root", "root password")
	if status, id := createAppOnPage(t, s.testServer, root, rootCSRF, form()); status != http.StatusOK || id == "" {
		t.Errorf("an administrator may enable token exchange: %d", status)
	}
	pub := form()
	pub.Set("public", "1")
	if status, id := createAppOnPage(t, s.testServer, root, rootCSRF, pub); status != http.StatusBadRequest || id != "" {
		t.Errorf("token exchange for a public app, by an administrator: %d %q", status, id)
	}
}

func TestRegistrationRefusesTokenExchange(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	body := `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","` + oauth.GrantTokenExchange + `"]}`
	resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(body),
		http.Header{"Authorization": {"Bearer " + token}})
	wantOAuthErr(t, "token exchange grant", resp, m, http.StatusBadRequest, "invalid_client_metadata")
	if list, _ := ts.Store.ListClients(context.Background(), ""); len(list) != 0 {
		t.Errorf("%d apps registered", len(list))
	}
}

// Discovery advertises the token-exchange grant.
func TestDiscoveryAdvertisesTokenExchange(t *testing.T) {
	ts := startServer(t, mockOnly)
	resp, m := call(t, http.MethodGet, ts.URL+"/.well-known/openid-configuration", "", nil, nil)
	if grants, _ := m["grant_types_supported"].([]any); resp.StatusCode != http.StatusOK || !slices.Contains(grants, any(oauth.GrantTokenExchange)) {
		t.Errorf("grant_types_supported = %v", m["grant_types_supported"])
	}
}
