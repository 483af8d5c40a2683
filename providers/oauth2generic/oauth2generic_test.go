package oauth2generic_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/oauth2generic"
	"gatehouse/providers/providertest"
)

// A GitLab-like upstream whose profile nests the user.
func fake(t *testing.T) *providertest.Fake {
	f := providertest.New(t)
	setup(f)
	return f
}

func setup(f *providertest.Fake) {
	f.AuthorizePath, f.TokenPath, f.ProfilePath = "/oauth/authorize", "/oauth/token", "/api/v4/me"
	f.Profile = map[string]any{"data": map[string]any{"id": 77, "login": "ann", "mail": "ann@example.test", "confirmed": true,
		"display": "Ann Example", "avatar": "https://cdn.example/ann.png"}}
}

func config(f *providertest.Fake) providers.Config {
	return providers.Config{Name: "gitlab", ClientID: f.ClientID, ClientSecret: f.ClientSecret, Scopes: []string{"read_user", "email"},
		AuthURL: f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath),
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
		Options: map[string]string{"id_field": "data.id", "username_field": "data.login", "email_field": "data.mail",
			"email_verified_field": "data.confirmed", "name_field": "data.display", "avatar_field": "data.avatar"}}
}

// The behaviour every provider shares; the e-mail is verified when the
// configured email_verified_field is true.
func TestProviderSuite(t *testing.T) {
	providertest.Run(t, func(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
		cfg := config(f)
		cfg.HTTPClient = c
		p, err := oauth2generic.New(cfg)
		require.NoError(t, err)
		return p
	}, providertest.Options{
		Setup: setup,
		Want: providers.Identity{Subject: "77", Username: "ann", Email: "ann@example.test", EmailVerified: true,
			Name: "Ann Example", AvatarURL: "https://cdn.example/ann.png"},
		PKCE: true,
		Unverified: func(f *providertest.Fake) {
			f.Profile.(map[string]any)["data"].(map[string]any)["confirmed"] = false
		},
	})
}

// Scopes are joined as configured.
func TestScopes(t *testing.T) {
	f := fake(t)
	p, err := oauth2generic.New(config(f))
	require.NoError(t, err)
	start, _, err := providertest.SignIn(t, p, "state-abcdef")
	require.NoError(t, err)
	au, _ := url.Parse(start.URL)
	if au.Query().Get("scope") != "read_user email" {
		t.Errorf("authorize URL = %s", start.URL)
	}
}

// A profile without the configured id is an upstream error, never an
// identity keyed by nothing.
func TestProfileWithoutID(t *testing.T) {
	f := fake(t)
	f.Profile = map[string]any{"data": map[string]any{"login": "ann"}}
	p, err := oauth2generic.New(config(f))
	require.NoError(t, err)
	_, _, err = providertest.SignIn(t, p, "state-abcdef")
	if !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("err = %v, want ErrUpstream", err)
	}
}

func TestConfig(t *testing.T) {
	f := fake(t)
	for name, change := range map[string]func(*providers.Config){
		"no id_field":      func(c *providers.Config) { delete(c.Options, "id_field") },
		"unknown option":   func(c *providers.Config) { c.Options["id_feild"] = "id" },
		"no token_url":     func(c *providers.Config) { c.TokenURL = "" },
		"bad profile_url":  func(c *providers.Config) { c.ProfileURL = "ftp://x" },
		"no client secret": func(c *providers.Config) { c.ClientSecret = "" },
	} {
		cfg := config(f)
		change(&cfg)
		if _, err := oauth2generic.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "unknown option" && !strings.Contains(err.Error(), "options.id_feild: unknown") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// introspection_url (top-level or, as the issue names it, in options)
// makes the provider a TokenVerifier that checks the audience.
func TestIntrospection(t *testing.T) {
	f := fake(t)
	plain, err := oauth2generic.New(config(f))
	require.NoError(t, err)
	if _, ok := providers.As[providers.TokenVerifier](plain); ok {
		t.Fatalf("oauth2 without introspection_url is a TokenVerifier")
	}
	top := config(f)
	top.IntrospectionURL = f.At(f.IntrospectPath)
	opt := config(f)
	opt.Options["introspection_url"] = f.At(f.IntrospectPath)
	for name, cfg := range map[string]providers.Config{"introspection_url": top, "options.introspection_url": opt} {
		t.Run(name, func(t *testing.T) {
			p, err := oauth2generic.New(cfg)
			require.NoError(t, err)
			if id := providertest.ProvesAudience(t, p, f); id.Subject != "77" {
				t.Errorf("identity = %+v", id)
			}
		})
	}
	both := config(f)
	both.IntrospectionURL = f.At(f.IntrospectPath)
	both.Options["introspection_url"] = f.At(f.IntrospectPath)
	if _, err := oauth2generic.New(both); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both set: %v", err)
	}
	bad := config(f)
	bad.Options["introspection_url"] = "not a url"
	if _, err := oauth2generic.New(bad); err == nil || !strings.Contains(err.Error(), "options.introspection_url: must be") {
		t.Errorf("bad URL: %v", err)
	}
}
