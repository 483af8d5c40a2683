package gitea_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/gitea"
	"gatehouse/providers/providertest"
)

// setupGitea shapes the fake like a Gitea server: its OAuth2 paths (the
// fake's defaults) and /api/v1/user.
func setupGitea(f *providertest.Fake) {
	f.ProfilePath = "/api/v1/user"
	f.Profile = map[string]any{"id": 4242, "login": "gitea-ann", "full_name": "Ann Gitea", "email": "ann@gitea.test",
		"avatar_url": "https://gitea.test/avatars/4242", "is_admin": false}
}

func newGitea(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
	p, err := gitea.New(providers.Config{Name: "gitea", ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL, HTTPClient: c})
	require.NoError(t, err)
	return p
}

// Gitea does not say whether an e-mail is verified, so none is.
func TestProviderSuite(t *testing.T) {
	providertest.Run(t, newGitea, providertest.Options{
		Setup: setupGitea,
		Want: providers.Identity{Subject: "4242", Username: "gitea-ann", Name: "Ann Gitea", Email: "ann@gitea.test",
			AvatarURL: "https://gitea.test/avatars/4242"},
		PKCE: true,
	})
}

func TestDefaultsAndConfig(t *testing.T) {
	p, err := gitea.New(providers.Config{Name: "gitea", ClientID: "a", ClientSecret: "b"})
	require.NoError(t, err)
	if p.DisplayName() != "Gitea" {
		t.Errorf("display name %q", p.DisplayName())
	}
	start, err := p.BeginAuth(t.Context(), "s", providertest.CallbackURL)
	require.NoError(t, err)
	if !strings.HasPrefix(start.URL, "https://gitea.com/login/oauth/authorize?") {
		t.Errorf("authorize URL %s", start.URL)
	}
	_, err = gitea.New(providers.Config{Name: "gitea", APIURL: "gitea.example", EmailsURL: "https://x.test/e", CheckTokenURL: "https://x.test/c"})
	for _, want := range []string{"client_id: required", "api_url: must be an absolute", "emails_url", "check_token_url: only for type github"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config error %v lacks %q", err, want)
		}
	}
}

// Only introspection proves a Gitea token was issued to us.
func TestTokenVerifierNeedsIntrospection(t *testing.T) {
	f := providertest.New(t)
	setupGitea(f)
	if _, ok := providers.As[providers.TokenVerifier](newGitea(t, f, nil)); ok {
		t.Fatalf("gitea without introspection_url is a TokenVerifier")
	}
	p, err := gitea.New(providers.Config{Name: "gitea", ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL,
		IntrospectionURL: f.At(f.IntrospectPath)})
	require.NoError(t, err)
	if id := providertest.ProvesAudience(t, p, f); id.Subject != "4242" {
		t.Errorf("verified identity = %+v", id)
	}
}
