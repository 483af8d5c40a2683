package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/server/oauth"
)

// Only administrators name the providers an app may exchange tokens of on
// /apps: an owner's form has no field, a posted one is ignored, and an
// owner's edit keeps what an administrator set.
func TestAppPagesExchangeProviders(t *testing.T) {
	s := newAdminSetup(t)
	ctx := context.Background()
	alice, aliceCSRF := signIn(t, s.testServer, "alice", "alice password")
	root, rootCSRF := signIn(t, s.testServer, "root", "root password")
	if _, page := get(t, alice, s.URL+"/apps"); strings.Contains(page, `name="exchange_providers"`) {
		t.Errorf("an owner's form offers exchange providers")
	}
	form := func(grants []string, providers string) url.Values {
		return url.Values{"name": {"Gateway"}, "redirect_uris": {"https://gw.example/cb"}, "grant": grants,
			"scope": {"openid"}, "exchange_providers": {providers}}
	}
	status, id := createAppOnPage(t, s.testServer, alice, aliceCSRF, form([]string{"authorization_code"}, "mock"))
	require.Equal(t, http.StatusOK, status)
	exchange := func() []string {
		cl, err := s.Store.GetClient(ctx, id)
		require.NoError(t, err)
		return cl.ExchangeProviders
	}
	if p := exchange(); len(p) != 0 {
		t.Errorf("an owner set exchange providers %q", p)
	}
	both := []string{"authorization_code", oauth.GrantTokenExchange}
	resp, body := postForm(t, root, s.URL+"/apps/"+id, withCSRF(form(both, "mock\n"), rootCSRF))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if p := exchange(); !slices.Equal(p, []string{"mock"}) {
		t.Errorf("after the administrator's edit: %q", p)
	}
	if !strings.Contains(body, `name="exchange_providers"`) {
		t.Errorf("the administrator's form has no exchange providers field")
	}
	resp, body = postForm(t, alice, s.URL+"/apps/"+id, withCSRF(form(both, ""), aliceCSRF))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if p := exchange(); !slices.Equal(p, []string{"mock"}) {
		t.Errorf("an owner's edit changed the exchange providers to %q", p)
	}
	resp, body = postForm(t, root, s.URL+"/apps/"+id, withCSRF(form([]string{"authorization_code"}, "mock"), rootCSRF))
	expectPage(t, resp, body, http.StatusBadRequest, "exchange-provider")
}
