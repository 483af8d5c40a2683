// Package oauth2generic signs people in with any plain OAuth2 provider
// (GitLab, Discord, a company's own server, ...) from configuration alone:
// its three endpoints, and which fields of its profile document hold the
// user's id, name and e-mail. It is oauth2base (authorization code with
// state and PKCE S256, a Bearer profile request) with the
// profile mapping read from `options`:
//
//	options:
//	  id_field: id                   # required: the stable, unique user id
//	  username_field: username       # the rest are optional
//	  email_field: email
//	  email_verified_field: email_verified   # a boolean; with trust_email
//	  name_field: name
//	  avatar_field: avatar_url
//	  scope_separator: " "           # how scopes are joined (" " by default)
//	  introspection_url: https://…   # RFC 7662; same as the top-level key
//
// The top-level groups_claim names the field holding the user's groups
// (a string or an array of strings), for allowed_groups; without it the
// provider knows no groups.
//
// The login API exchanges this provider's access tokens only when an
// introspection_url (top-level or in options) proves they were issued to
// our client.
//
// A field may name a nested value with dots ("data.user.id"). For OpenID
// Connect providers, use type oidc instead: it verifies the id_token.
package oauth2generic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"gatehouse/providers"
	"gatehouse/providers/oauth2base"
)

// TypeName is the config `type:` of this provider.
const TypeName = "oauth2"

// Type registers the provider.
func Type() providers.Type { return providers.Type{Name: TypeName, New: New} }

// fields are the options that name profile fields.
var fields = []string{"id_field", "username_field", "email_field", "email_verified_field", "name_field", "avatar_field"}

// New validates cfg and returns the provider: the client credentials, the
// three endpoints and options.id_field are required; unknown options are
// refused, so a typo does not silently drop a field.
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	for key, v := range map[string]string{"auth_url": cfg.AuthURL, "token_url": cfg.TokenURL, "profile_url": cfg.ProfileURL} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: required for type oauth2", key))
		} else if err := providers.CheckURL(key, v); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Options["id_field"] == "" {
		errs = append(errs, errors.New("options.id_field: required (the profile field holding the user's stable id)"))
	}
	for k := range cfg.Options {
		if k != "scope_separator" && k != "introspection_url" && !slices.Contains(fields, k) {
			errs = append(errs, fmt.Errorf("options.%s: unknown (known: %s, scope_separator, introspection_url)", k, strings.Join(fields, ", ")))
		}
	}
	introspect, err := introspectionURL(cfg)
	errs = append(errs, err, oauth2base.CheckNoTokenCheck(cfg))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	base := NewProvider(cfg)
	return oauth2base.WithIntrospection(base, base, cfg, introspect), nil
}

// introspectionURL is introspection_url or options.introspection_url (the
// same setting; setting both is an error).
func introspectionURL(cfg providers.Config) (string, error) {
	top, opt := cfg.IntrospectionURL, cfg.Options["introspection_url"]
	if top != "" && opt != "" {
		return "", errors.New("options.introspection_url: set either introspection_url or options.introspection_url, not both")
	}
	if err := providers.CheckURL("introspection_url", top); err != nil {
		return "", err
	}
	if err := providers.CheckURL("options.introspection_url", opt); err != nil {
		return "", err
	}
	return providers.Or(top, opt), nil
}

// NewProvider builds the provider without validating cfg. Without an
// email_verified_field, e-mails count as unverified.
func NewProvider(cfg providers.Config) *oauth2base.Provider {
	opt := cfg.Options
	return oauth2base.New(cfg, oauth2base.Spec{DisplayName: "OAuth2", AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL,
		ProfileURL: cfg.ProfileURL, Scopes: cfg.Scopes, ScopeSep: opt["scope_separator"],
		Profile: func(_ context.Context, raw map[string]any, _ string) (providers.Identity, error) {
			verified, _ := providers.Lookup(raw, opt["email_verified_field"]).(bool)
			return providers.Identity{Subject: oauth2base.ID(providers.Lookup(raw, opt["id_field"])), Username: str(raw, opt["username_field"]),
				Email: str(raw, opt["email_field"]), EmailVerified: verified, Name: str(raw, opt["name_field"]),
				AvatarURL: str(raw, opt["avatar_field"]), Groups: groups(raw, cfg.GroupsClaim)}, nil
		},
	})
}

// groups reads the groups_claim field: nil (unknown) without one, or when
// the field is not a string or an array of strings (logged at debug: the
// admission rules then refuse, which is the safe answer).
func groups(raw map[string]any, path string) []string {
	if path == "" {
		return nil
	}
	g, ok := providers.GroupsOf(providers.Lookup(raw, path))
	if !ok {
		slog.Debug("oauth2: groups_claim field is neither a string nor an array of strings; no groups", "field", path)
	}
	return g
}

func str(doc map[string]any, path string) string {
	s, _ := providers.Lookup(doc, path).(string)
	return s
}
