package lego_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/lego"
	"gatehouse/providers/providertest"
)

// fakeLego serves Lego's paths from seed 000.
func fakeLego(t *testing.T) *providertest.Fake {
	f := providertest.New(t)
	setupLego(f)
	return f
}

func setupLego(f *providertest.Fake) {
	f.AuthorizePath, f.TokenPath, f.ProfilePath = "/authorization/oauth2/authorize/", "/authorization/oauth2/token/", "/api/v1/users/me/"
	f.Profile = map[string]any{"id": 1234, "username": "webkom", "email": "webkom@abakus.test",
		"fullName": "Web Kom", "firstName": "Web", "lastName": "Kom"}
}

func newLego(t *testing.T, f *providertest.Fake, timeout time.Duration) providers.Provider {
	p, err := lego.New(providers.Config{Name: "lego", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
		APIURL: f.URL, Scopes: []string{"user", "all"}, HTTPClient: &http.Client{Timeout: timeout}})
	require.NoError(t, err)
	return p
}

// The behaviour every provider shares. Lego does not say whether an
// e-mail is verified, so none is.
func TestProviderSuite(t *testing.T) {
	providertest.Run(t, func(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
		p, err := lego.New(providers.Config{Name: "lego", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
			APIURL: f.URL, Scopes: []string{"user", "all"}, HTTPClient: c})
		require.NoError(t, err)
		return p
	}, providertest.Options{
		Setup: setupLego,
		Want: providers.Identity{Subject: "1234", Username: "webkom", Email: "webkom@abakus.test", Name: "Web Kom",
			FirstName: "Web", LastName: "Kom"},
		PKCE: true,
	})
}

// Lego's specifics: comma-joined scopes, its paths under api_url, the
// client secret in the body, the name from first and last name.
func TestSignIn(t *testing.T) {
	f := fakeLego(t)
	start, _, err := providertest.SignIn(t, newLego(t, f, 2*time.Second), "state-abcdef")
	require.NoError(t, err)
	au, _ := url.Parse(start.URL)
	if got := au.Query().Get("scope"); got != "user,all" {
		t.Errorf("scope = %q, want comma-separated", got)
	}
	if !strings.HasPrefix(start.URL, f.URL+"/authorization/oauth2/authorize/?") {
		t.Errorf("authorize URL = %s", start.URL)
	}
	tr := f.Requests(f.TokenPath)
	require.Len(t, tr, 1)
	if tr[0].Method != http.MethodPost || tr[0].Form.Get("client_secret") != f.ClientSecret || tr[0].Form.Get("code") == "" {
		t.Errorf("token request = %+v", tr[0])
	}
	pr := f.Requests(f.ProfilePath)
	require.Len(t, pr, 1)
	if pr[0].Header.Get("Accept") != "application/json" || !strings.HasPrefix(pr[0].Header.Get("Authorization"), "Bearer ") {
		t.Errorf("profile headers = %v", pr[0].Header)
	}
	f.Profile = map[string]any{"id": 1, "firstName": "Web", "lastName": "Kom"}
	_, id, err := providertest.SignIn(t, newLego(t, f, 2*time.Second), "state-abcdef")
	require.NoError(t, err)
	if id.Name != "Web Kom" {
		t.Errorf("name from first and last name = %q", id.Name)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *providertest.Fake)
	}{
		{"token invalid_grant", func(f *providertest.Fake) { f.Faults[f.TokenPath] = providertest.ErrorBody400 }},
		{"profile hangs", func(f *providertest.Fake) { f.Faults[f.ProfilePath] = providertest.Hang }},
		{"profile without id", func(f *providertest.Fake) { f.Profile = map[string]any{"username": "x"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeLego(t)
			tt.setup(f)
			_, _, err := providertest.SignIn(t, newLego(t, f, 300*time.Millisecond), "state-abcdef")
			if !errors.Is(err, providers.ErrUpstream) {
				t.Errorf("err = %v, want ErrUpstream", err)
			}
		})
	}
}

// A Lego token proves its audience only through RFC 7662 introspection:
// without introspection_url the provider offers no exchange.
func TestTokenVerifierNeedsIntrospection(t *testing.T) {
	f := fakeLego(t)
	if _, ok := providers.As[providers.TokenVerifier](newLego(t, f, 2*time.Second)); ok {
		t.Fatalf("lego without introspection_url is a TokenVerifier")
	}
	p, err := lego.New(providers.Config{Name: "lego", ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL,
		IntrospectionURL: f.At(f.IntrospectPath), HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	require.NoError(t, err)
	if id := providertest.ProvesAudience(t, p, f); id.Subject != "1234" {
		t.Errorf("verified identity = %+v", id)
	}
	tv, _ := providers.As[providers.TokenVerifier](p)
	revoked := f.IssueToken()
	f.Revoke(revoked)
	if _, err := tv.VerifyAccessToken(context.Background(), revoked); !errors.Is(err, providers.ErrTokenRejected) || errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("inactive token: %v", err)
	}
	if _, err := lego.New(providers.Config{Name: "lego", ClientID: "a", ClientSecret: "b", APIURL: f.URL, CheckTokenURL: f.URL}); err == nil {
		t.Errorf("check_token_url accepted for lego")
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := lego.New(providers.Config{Name: "lego"})
	require.Error(t, err)
	for _, want := range []string{"client_id: required", "api_url: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = lego.New(providers.Config{Name: "lego", ClientID: "a", ClientSecret: "b", APIURL: "ftp://x"})
	if err == nil || !strings.Contains(err.Error(), "api_url: must be an absolute") {
		t.Errorf("bad api_url: %v", err)
	}
}
