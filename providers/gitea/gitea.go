// Package gitea signs people in with a Gitea (or Forgejo) server: the
// authorization code flow with PKCE S256 at {api_url}/login/oauth/authorize
// and {api_url}/login/oauth/access_token, then the profile at
// {api_url}/api/v1/user with a Bearer token (id, login, full_name, email,
// avatar_url). That profile does not say whether the e-mail is verified,
// so no Gitea e-mail counts as verified.
package gitea

import (
	"context"
	"errors"
	"strings"

	"gatehouse/providers"
	"gatehouse/providers/oauth2base"
)

// TypeName is the config `type:` of this provider.
const TypeName = "gitea"

// DefaultAPIURL is the public Gitea instance.
const DefaultAPIURL = "https://gitea.com"

// Type registers the provider.
func Type() providers.Type { return providers.Type{Name: TypeName, New: New} }

// New validates cfg and returns the provider. api_url (default
// https://gitea.com) locates the endpoints; auth_url, token_url and
// profile_url override them one by one. The login API may exchange Gitea
// access tokens only with an introspection_url (RFC 7662).
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	for key, v := range map[string]string{"api_url": cfg.APIURL, "auth_url": cfg.AuthURL, "token_url": cfg.TokenURL,
		"profile_url": cfg.ProfileURL, "introspection_url": cfg.IntrospectionURL} {
		errs = append(errs, providers.CheckURL(key, v))
	}
	if cfg.EmailsURL != "" || cfg.DeviceURL != "" {
		errs = append(errs, errors.New("emails_url, device_url: not used by gitea"))
	}
	errs = append(errs, oauth2base.CheckNoTokenCheck(cfg))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	api := strings.TrimRight(providers.Or(cfg.APIURL, DefaultAPIURL), "/")
	p := oauth2base.New(cfg, oauth2base.Spec{DisplayName: "Gitea",
		AuthURL:    providers.Or(cfg.AuthURL, api+"/login/oauth/authorize"),
		TokenURL:   providers.Or(cfg.TokenURL, api+"/login/oauth/access_token"),
		ProfileURL: providers.Or(cfg.ProfileURL, api+"/api/v1/user"),
		Scopes:     cfg.Scopes, Profile: profile,
	})
	return oauth2base.WithIntrospection(p, p, cfg, cfg.IntrospectionURL), nil
}

// profile maps Gitea's user document. EmailVerified stays false: Gitea
// does not say.
func profile(_ context.Context, raw map[string]any, _ string) (providers.Identity, error) {
	return providers.Identity{Subject: oauth2base.ID(raw["id"]), Username: oauth2base.Str(raw, "login"),
		Name: oauth2base.Str(raw, "full_name"), Email: oauth2base.Str(raw, "email"),
		AvatarURL: oauth2base.Str(raw, "avatar_url")}, nil
}
