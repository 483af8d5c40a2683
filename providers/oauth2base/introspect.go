package oauth2base

import (
	"context"
	"errors"
	"fmt"

	"gatehouse/providers"
)

// WithIntrospection returns wrapped (the registered form of p) with the
// providers.TokenVerifier capability when introspectionURL is set: RFC 7662
// proves a token is active and was issued to our client, then the profile
// says whose it is. Without it, wrapped is returned as is: a plain OAuth2
// upstream cannot prove a token's audience, so it offers no exchange.
func WithIntrospection(wrapped providers.Provider, p *Provider, cfg providers.Config, introspectionURL string) providers.Provider {
	if introspectionURL == "" {
		return wrapped
	}
	in := providers.Introspector{URL: introspectionURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, HTTPClient: p.HTTPClient}
	return providers.WithTokenVerifier(wrapped, &introspected{base: p, in: in})
}

type introspected struct {
	base *Provider
	in   providers.Introspector
}

// VerifyAccessToken implements providers.TokenVerifier.
func (v *introspected) VerifyAccessToken(ctx context.Context, token string) (providers.Identity, error) {
	if _, err := v.in.Check(ctx, token); err != nil {
		return providers.Identity{}, err
	}
	return v.base.FetchIdentity(ctx, token)
}

// CheckNoTokenCheck reports check_token_url set on a provider type that
// has no GitHub-style token check.
func CheckNoTokenCheck(cfg providers.Config) error {
	if cfg.CheckTokenURL != "" {
		return errors.New("check_token_url: only for type github (use introspection_url for RFC 7662)")
	}
	return nil
}

// ID renders a profile id that may be a JSON number or a string.
func ID(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprintf("%.0f", x)
	}
	return ""
}

// Str reads a string field of a profile document ("" if absent or not a string).
func Str(raw map[string]any, key string) string {
	s, _ := raw[key].(string)
	return s
}
