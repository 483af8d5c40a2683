package providers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/markbates/goth/providers/gitea"
	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/providertest"
)

// gothGitea registers goth's own gitea provider as a type, the way
// docs/providers.md shows: goth fixes the callback URL at construction, so
// the factory builds it for the /login pages from cfg.Issuer.
func gothGitea() providers.Type {
	return providers.Type{Name: "gitea-goth", New: func(cfg providers.Config) (providers.Provider, error) {
		if err := errors.Join(providers.CheckClient(cfg)...); err != nil {
			return nil, err
		}
		api := providers.Or(cfg.APIURL, "https://gitea.com")
		callback := providers.LoginCallbackURL(cfg.Issuer, cfg.Name)
		gp := gitea.NewCustomisedURL(cfg.ClientID, cfg.ClientSecret, callback,
			api+"/login/oauth/authorize", api+"/login/oauth/access_token", api+"/api/v1/user", cfg.Scopes...)
		gp.HTTPClient = providers.DefaultHTTPClient(cfg.HTTPClient)
		gp.SetName(cfg.Name)
		return providers.WrapGoth(gp, providers.Or(cfg.DisplayName, "Gitea"), callback), nil
	}}
}

// The adapter plugs a third-party goth provider (goth's own gitea) in:
// a whole sign-in against a fake Gitea. goth.User cannot say whether the
// e-mail is verified, so it is not.
func TestGothAdapter(t *testing.T) {
	f := providertest.New(t)
	f.ProfilePath, f.QueryTokens = "/api/v1/user", true
	f.Profile = map[string]any{"id": 4242, "login": "gitea-ann", "full_name": "Ann Gitea", "email": "ann@gitea.test"}
	// providertest.CallbackURL is the /login callback of "test" at this issuer.
	p, err := providers.NewRegistry(gothGitea()).New(providers.Config{Name: "test", Type: "gitea-goth",
		ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL, Issuer: "http://127.0.0.1:9"}, false)
	require.NoError(t, err)
	require.Equal(t, "test", p.Name())

	_, id, err := providertest.SignIn(t, p, "state-goth")
	require.NoError(t, err)
	if id.Subject != "4242" || id.Username != "gitea-ann" || id.Name != "Ann Gitea" || id.Email != "ann@gitea.test" || id.EmailVerified {
		t.Errorf("identity = %+v", id)
	}
	ctx := context.Background()
	start, err := p.BeginAuth(ctx, "state-denied", providertest.CallbackURL)
	require.NoError(t, err)
	if _, err := p.Complete(ctx, start.Session, map[string][]string{"error": {"access_denied"}}, providertest.CallbackURL); !errors.Is(err, providers.ErrAccessDenied) {
		t.Errorf("denied: %v", err)
	}
}

// goth fixes a provider's callback URL when it is built, so the adapter
// refuses any other: the browser and the code exchange must not be sent to
// a redirect_uri the caller did not ask for (the login API's web flow has
// its own callback URL).
func TestGothAdapterRefusesOtherCallback(t *testing.T) {
	f := providertest.New(t)
	f.ProfilePath, f.QueryTokens = "/api/v1/user", true
	f.Profile = map[string]any{"id": 1, "login": "x"}
	gp := gitea.NewCustomisedURL(f.ClientID, f.ClientSecret, providertest.CallbackURL,
		f.At(f.AuthorizePath), f.At(f.TokenPath), f.At(f.ProfilePath))
	p := providers.WrapGoth(gp, "Gitea (goth)", providertest.CallbackURL)
	const webFlow = "http://127.0.0.1:9/v1/login/oauth2/web/callback/gitea"
	ctx := context.Background()
	if _, err := p.BeginAuth(ctx, "state-web", webFlow); !errors.Is(err, providers.ErrFixedCallback) {
		t.Errorf("BeginAuth with another callback URL: %v, want ErrFixedCallback", err)
	}
	start, err := p.BeginAuth(ctx, "state-page", providertest.CallbackURL)
	require.NoError(t, err)
	params := providertest.Authorize(t, start.URL)
	if _, err := p.Complete(ctx, start.Session, params, webFlow); !errors.Is(err, providers.ErrFixedCallback) {
		t.Errorf("Complete with another callback URL: %v, want ErrFixedCallback", err)
	}
	if n := len(f.Requests(f.TokenPath)); n != 0 {
		t.Errorf("%d code exchanges for a refused callback URL", n)
	}
}
