package lametric_test

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
	"gatehouse/providers/lametric"
	"gatehouse/providers/providertest"
)

func fakeLaMetric(t *testing.T) *providertest.Fake {
	f := providertest.New(t)
	setupLaMetric(f)
	return f
}

func setupLaMetric(f *providertest.Fake) {
	f.AuthorizePath, f.TokenPath, f.ProfilePath = "/api/v2/oauth2/authorize/", "/api/v2/oauth2/token", "/api/v2/users/me"
	f.Profile = map[string]any{"id": 77, "email": "lm@example.test", "name": "La Metric"}
}

func newLaMetric(t *testing.T, f *providertest.Fake, scopes ...string) providers.Provider {
	p, err := lametric.New(providers.Config{Name: "lametric", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
		APIURL: f.URL, Scopes: scopes, HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	require.NoError(t, err)
	return p
}

// The behaviour every provider shares. LaMetric does not say whether an
// e-mail is verified, so none is; the username falls back to the
// e-mail's local part.
func TestProviderSuite(t *testing.T) {
	providertest.Run(t, func(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
		p, err := lametric.New(providers.Config{Name: "lametric", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
			APIURL: f.URL, HTTPClient: c})
		require.NoError(t, err)
		return p
	}, providertest.Options{
		Setup: setupLaMetric,
		Want:  providers.Identity{Subject: "77", Email: "lm@example.test", Username: "lm", Name: "La Metric"},
		PKCE:  true,
	})
}

func TestScopeSeparator(t *testing.T) {
	f := fakeLaMetric(t)
	start, _, err := providertest.SignIn(t, newLaMetric(t, f, "basic", "devices_read"), "state-abcdef")
	require.NoError(t, err)
	au, _ := url.Parse(start.URL)
	if got := au.Query().Get("scope"); got != "basic devices_read" {
		t.Errorf("scope = %q, want space-separated", got)
	}
}

func TestScopes(t *testing.T) {
	f := fakeLaMetric(t)
	sd, ok := providers.As[providers.ScopeDescriber](newLaMetric(t, f, "basic", "devices_write"))
	require.True(t, ok)
	got := sd.Scopes()
	if len(got) != 2 || got[1].Name != "devices_write" || !strings.Contains(got[1].Description, "Update") {
		t.Errorf("scopes = %+v", got)
	}
	def, ok := providers.As[providers.ScopeDescriber](newLaMetric(t, f))
	require.True(t, ok)
	if s := def.Scopes(); len(s) != 1 || s[0].Name != "basic" {
		t.Errorf("default scopes = %+v", s)
	}
	_, err := lametric.New(providers.Config{Name: "lametric", ClientID: "a", ClientSecret: "b", Scopes: []string{"basic", "admin"}})
	if err == nil || !strings.Contains(err.Error(), `scopes: unknown scope "admin"`) {
		t.Errorf("unknown scope: %v", err)
	}
}

// Without introspection_url LaMetric offers no exchange; with it, the
// audience is checked, and LaMetric's 401 body
// {"errors":[{"message":"Unauthorized"}]} on the profile is an upstream error.
func TestTokenVerifier(t *testing.T) {
	f := fakeLaMetric(t)
	if _, ok := providers.As[providers.TokenVerifier](newLaMetric(t, f)); ok {
		t.Fatalf("lametric without introspection_url is a TokenVerifier")
	}
	p, err := lametric.New(providers.Config{Name: "lametric", ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL,
		IntrospectionURL: f.At(f.IntrospectPath), HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	require.NoError(t, err)
	if _, ok := providers.As[providers.ScopeDescriber](p); !ok {
		t.Errorf("the introspecting lametric lost ScopeDescriber")
	}
	providertest.ProvesAudience(t, p, f)
	tv, _ := providers.As[providers.TokenVerifier](p)
	f.SetFault(f.ProfilePath, providertest.Status500)
	if _, err := tv.VerifyAccessToken(context.Background(), f.IssueToken()); !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("profile failure: %v", err)
	}
}
