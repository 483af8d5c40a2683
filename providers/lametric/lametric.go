// Package lametric signs people in with LaMetric's developer cloud (seed
// 001): {api_url}/api/v2/oauth2/authorize/ and /api/v2/oauth2/token,
// space-separated scopes basic, devices_read, devices_write. The profile
// comes from a configurable URL (default {api_url}/api/v2/users/me) with a
// Bearer token. LaMetric also issues refresh tokens; we keep no upstream
// tokens after sign-in.
package lametric

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gatehouse/providers"
	"gatehouse/providers/oauth2base"
)

// TypeName is the config `type:` of this provider.
const TypeName = "lametric"

// DefaultAPIURL is LaMetric's developer cloud.
const DefaultAPIURL = "https://developer.lametric.com"

// scopes are LaMetric's scopes in plain words, as its documentation puts them.
var scopes = []providers.Scope{
	{Name: "basic", Description: "Read your LaMetric profile (name, e-mail, etc.)"},
	{Name: "devices_read", Description: "See the devices connected to your LaMetric account"},
	{Name: "devices_write", Description: "Update your LaMetric devices (rename them, for example)"},
}

// Type registers the provider.
func Type() providers.Type { return providers.Type{Name: TypeName, New: New} }

// Provider is a LaMetric provider: the shared OAuth2 base plus its scopes.
type Provider struct {
	*oauth2base.Provider
	scopes []providers.Scope
}

var _ providers.ScopeDescriber = (*Provider)(nil)

// Scopes implements providers.ScopeDescriber: the scopes this instance
// requests.
func (p *Provider) Scopes() []providers.Scope { return p.scopes }

// New validates cfg and returns the provider. The login API may exchange
// LaMetric access tokens only with an introspection_url (RFC 7662).
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	for key, v := range map[string]string{"api_url": cfg.APIURL, "auth_url": cfg.AuthURL, "token_url": cfg.TokenURL,
		"profile_url": cfg.ProfileURL, "introspection_url": cfg.IntrospectionURL} {
		if err := providers.CheckURL(key, v); err != nil {
			errs = append(errs, err)
		}
	}
	requested, err := pickScopes(cfg.Scopes)
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, oauth2base.CheckNoTokenCheck(cfg))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	api := strings.TrimRight(providers.Or(cfg.APIURL, DefaultAPIURL), "/")
	names := make([]string, len(requested))
	for i, s := range requested {
		names[i] = s.Name
	}
	p := &Provider{scopes: requested, Provider: oauth2base.New(cfg, oauth2base.Spec{DisplayName: "LaMetric",
		AuthURL:    providers.Or(cfg.AuthURL, api+"/api/v2/oauth2/authorize/"),
		TokenURL:   providers.Or(cfg.TokenURL, api+"/api/v2/oauth2/token"),
		ProfileURL: providers.Or(cfg.ProfileURL, api+"/api/v2/users/me"),
		Scopes:     names, Profile: profile,
	})}
	return oauth2base.WithIntrospection(p, p.Provider, cfg, cfg.IntrospectionURL), nil
}

// pickScopes checks the configured scopes (default: basic).
func pickScopes(names []string) ([]providers.Scope, error) {
	if len(names) == 0 {
		names = []string{"basic"}
	}
	var out []providers.Scope
	for _, n := range names {
		s, ok := describe(n)
		if !ok {
			return nil, fmt.Errorf("scopes: unknown scope %q (allowed: basic, devices_read, devices_write)", n)
		}
		out = append(out, s)
	}
	return out, nil
}

func describe(name string) (providers.Scope, bool) {
	for _, s := range scopes {
		if s.Name == name {
			return s, true
		}
	}
	return providers.Scope{}, false
}

// profile maps the LaMetric user document: id (number or string), email,
// name, and username (falling back to the e-mail's local part). LaMetric
// does not say whether the e-mail is verified.
func profile(_ context.Context, raw map[string]any, _ string) (providers.Identity, error) {
	u := providers.Identity{Subject: oauth2base.ID(raw["id"]), Email: oauth2base.Str(raw, "email"),
		Name: oauth2base.Str(raw, "name"), Username: oauth2base.Str(raw, "username")}
	if u.Username == "" {
		u.Username, _, _ = strings.Cut(u.Email, "@")
	}
	return u, nil
}
