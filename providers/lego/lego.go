// Package lego signs people in with a Lego (abakus.no style) server, as its
// API documentation describes (seed 000): authorization code at
// {api_url}/authorization/oauth2/authorize/, token by POST at
// {api_url}/authorization/oauth2/token/, profile at {api_url}/api/v1/users/me/
// with a Bearer token; scopes are joined with ",".
package lego

import (
	"context"
	"errors"
	"strings"

	"gatehouse/providers"
	"gatehouse/providers/oauth2base"
)

// TypeName is the config `type:` of this provider.
const TypeName = "lego"

// Type registers the provider.
func Type() providers.Type { return providers.Type{Name: TypeName, New: New} }

// New validates cfg and returns the provider. api_url is required unless
// all three endpoint overrides are set; overrides win. The login API may
// exchange Lego access tokens only with an introspection_url (RFC 7662).
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	for key, v := range map[string]string{"api_url": cfg.APIURL, "auth_url": cfg.AuthURL, "token_url": cfg.TokenURL,
		"profile_url": cfg.ProfileURL, "introspection_url": cfg.IntrospectionURL} {
		if err := providers.CheckURL(key, v); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.APIURL == "" && (cfg.AuthURL == "" || cfg.TokenURL == "" || cfg.ProfileURL == "") {
		errs = append(errs, errors.New("api_url: required (the Lego server, e.g. https://lego.example.org)"))
	}
	errs = append(errs, oauth2base.CheckNoTokenCheck(cfg))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	base := NewProvider(cfg)
	return oauth2base.WithIntrospection(base, base, cfg, cfg.IntrospectionURL), nil
}

// NewProvider builds the provider without validating cfg.
func NewProvider(cfg providers.Config) *oauth2base.Provider {
	api := strings.TrimRight(cfg.APIURL, "/")
	return oauth2base.New(cfg, oauth2base.Spec{DisplayName: "Lego",
		AuthURL:    providers.Or(cfg.AuthURL, api+"/authorization/oauth2/authorize/"),
		TokenURL:   providers.Or(cfg.TokenURL, api+"/authorization/oauth2/token/"),
		ProfileURL: providers.Or(cfg.ProfileURL, api+"/api/v1/users/me/"),
		Scopes:     cfg.Scopes, ScopeSep: ",", Profile: profile,
	})
}

// profile maps Lego's fields: id (a number), username, email, fullName,
// firstName, lastName. Lego does not say whether the e-mail is verified.
func profile(_ context.Context, raw map[string]any, _ string) (providers.Identity, error) {
	u := providers.Identity{Subject: oauth2base.ID(raw["id"]), Username: oauth2base.Str(raw, "username"),
		Email: oauth2base.Str(raw, "email"), Name: oauth2base.Str(raw, "fullName"),
		FirstName: oauth2base.Str(raw, "firstName"), LastName: oauth2base.Str(raw, "lastName")}
	if u.Name == "" {
		u.Name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	return u, nil
}
