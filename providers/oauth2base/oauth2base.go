// Package oauth2base is the goth-shaped provider that plain OAuth2
// upstreams (Lego, LaMetric, ...) share, after goth's gitea provider:
// authorization code with state and PKCE S256, client credentials in the
// body, a Bearer profile request, upstream refresh. A provider package
// supplies only its endpoints, scope separator and profile mapping.
package oauth2base

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"

	"gatehouse/providers"
)

// Spec is what differs between plain OAuth2 upstreams.
type Spec struct {
	AuthURL, TokenURL, ProfileURL string
	// DeviceURL is the RFC 8628 device authorization endpoint, if any.
	DeviceURL string
	Scopes    []string
	// ScopeSep joins scopes in the authorize URL (" " by default; Lego ",").
	ScopeSep string
	// Accept is the Accept header of the profile request.
	Accept string
	// Profile maps the decoded profile document to a goth.User; UserID is
	// required. It gets the access token for providers that need a second
	// request (GitHub's e-mail list); it may add keys to raw.
	Profile func(ctx context.Context, raw map[string]any, token string) (goth.User, error)
	// EmailVerified reports whether the upstream vouches for u's e-mail;
	// nil means never.
	EmailVerified func(u goth.User) bool
	// BasicAuth sends the client credentials in an Authorization header
	// (client_secret_basic, OpenID Connect's default) instead of the body.
	BasicAuth bool
}

// Provider implements goth.Provider for a Spec.
type Provider struct {
	name       string
	spec       Spec
	HTTPClient *http.Client
	config     *oauth2.Config
}

var (
	_ goth.Provider           = (*Provider)(nil)
	_ providers.ContextGoth   = (*Provider)(nil)
	_ providers.Refresher     = (*Provider)(nil)
	_ providers.EmailVerifier = (*Provider)(nil)
)

// EmailVerified implements providers.EmailVerifier through the Spec.
func (p *Provider) EmailVerified(u goth.User) bool {
	return p.spec.EmailVerified != nil && p.spec.EmailVerified(u)
}

// New builds a provider for cfg's client credentials and spec's endpoints.
func New(cfg providers.Config, spec Spec) *Provider {
	scopes := spec.Scopes
	if spec.ScopeSep != "" && spec.ScopeSep != " " && len(scopes) > 0 {
		// x/oauth2 joins with spaces; one pre-joined element keeps ours.
		scopes = []string{strings.Join(scopes, spec.ScopeSep)}
	}
	if spec.Accept == "" {
		spec.Accept = "application/json"
	}
	style := oauth2.AuthStyleInParams
	if spec.BasicAuth {
		style = oauth2.AuthStyleInHeader
	}
	return &Provider{name: cfg.Name, spec: spec, HTTPClient: providers.DefaultHTTPClient(cfg.HTTPClient),
		config: &oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.CallbackURL, Scopes: scopes,
			Endpoint: oauth2.Endpoint{AuthURL: spec.AuthURL, TokenURL: spec.TokenURL, DeviceAuthURL: spec.DeviceURL, AuthStyle: style},
		}}
}

// Base returns p; providers that embed *Provider inherit it, which lets a
// Session find the shared provider inside them.
func (p *Provider) Base() *Provider { return p }

// Name implements goth.Provider.
func (p *Provider) Name() string { return p.name }

// SetName implements goth.Provider.
func (p *Provider) SetName(name string) { p.name = name }

// Debug implements goth.Provider (no-op).
func (p *Provider) Debug(bool) {}

// OAuth2Config is the client configuration (for capabilities built on top,
// such as GitHub's device flow).
func (p *Provider) OAuth2Config() *oauth2.Config { return p.config }

// Context returns ctx carrying the provider's HTTP client for x/oauth2.
func (p *Provider) Context(ctx context.Context) context.Context { return p.ctx(ctx) }

func (p *Provider) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.HTTPClient)
}

// BeginAuth implements goth.Provider.
func (p *Provider) BeginAuth(state string) (goth.Session, error) {
	v := oauth2.GenerateVerifier()
	return &Session{AuthURL: p.config.AuthCodeURL(state, oauth2.S256ChallengeOption(v)), CodeVerifier: v}, nil
}

// UnmarshalSession implements goth.Provider.
func (p *Provider) UnmarshalSession(data string) (goth.Session, error) {
	s := &Session{}
	return s, json.Unmarshal([]byte(data), s)
}

// FetchUser implements goth.Provider.
func (p *Provider) FetchUser(s goth.Session) (goth.User, error) {
	return p.FetchUserContext(context.Background(), s)
}

// FetchUserContext implements providers.ContextGoth.
func (p *Provider) FetchUserContext(ctx context.Context, s goth.Session) (goth.User, error) {
	sess, ok := s.(*Session)
	if !ok || sess.AccessToken == "" {
		return goth.User{}, fmt.Errorf("%s: cannot fetch user without an access token", p.name)
	}
	u, err := p.fetchUser(ctx, sess.AccessToken)
	u.RefreshToken, u.ExpiresAt = sess.RefreshToken, sess.ExpiresAt
	return u, err
}

// AuthorizeContext implements providers.ContextGoth: the code exchange
// with the PKCE verifier, bounded by ctx.
func (p *Provider) AuthorizeContext(ctx context.Context, s goth.Session, params goth.Params) error {
	sess, ok := s.(*Session)
	if !ok {
		return fmt.Errorf("oauth2base: foreign session %T", s)
	}
	tok, err := p.config.Exchange(p.ctx(ctx), params.Get("code"), oauth2.VerifierOption(sess.CodeVerifier))
	if err != nil {
		return fmt.Errorf("%w: token exchange: %v", providers.ErrUpstream, err)
	}
	if tok.AccessToken == "" {
		return fmt.Errorf("%w: token exchange returned no access token", providers.ErrUpstream)
	}
	sess.AccessToken, sess.RefreshToken, sess.ExpiresAt = tok.AccessToken, tok.RefreshToken, tok.Expiry
	sess.IDToken, _ = tok.Extra("id_token").(string)
	return nil
}

func (p *Provider) fetchUser(ctx context.Context, token string) (goth.User, error) {
	var raw map[string]any
	if err := providers.GetJSON(ctx, p.HTTPClient, p.spec.ProfileURL, token, p.spec.Accept, &raw); err != nil {
		return goth.User{}, err
	}
	u, err := p.spec.Profile(ctx, raw, token)
	if err != nil {
		return goth.User{}, fmt.Errorf("%w: profile: %v", providers.ErrUpstream, err)
	}
	if u.UserID == "" {
		return goth.User{}, fmt.Errorf("%w: profile has no id", providers.ErrUpstream)
	}
	u.RawData, u.Provider, u.AccessToken = raw, p.name, token
	return u, nil
}

// FetchIdentity reads the profile behind token. It proves whose token it
// is, not that it was issued to us: call it only for a token the upstream
// has proved is ours (see WithIntrospection, GitHub's token check).
func (p *Provider) FetchIdentity(ctx context.Context, token string) (providers.Identity, error) {
	u, err := p.fetchUser(ctx, token)
	if err != nil {
		return providers.Identity{}, err
	}
	return providers.IdentityFromGoth(p, u)
}

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

// RefreshTokenAvailable implements goth.Provider.
func (p *Provider) RefreshTokenAvailable() bool { return true }

// RefreshToken implements goth.Provider.
func (p *Provider) RefreshToken(rt string) (*oauth2.Token, error) {
	return p.Refresh(context.Background(), rt)
}

// Refresh implements providers.Refresher.
func (p *Provider) Refresh(ctx context.Context, rt string) (*oauth2.Token, error) {
	tok, err := p.config.TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		return nil, fmt.Errorf("%w: refresh: %v", providers.ErrUpstream, err)
	}
	return tok, nil
}

// Session is a sign-in in flight. It holds the PKCE verifier: keep it
// server-side, never in a cookie or a log.
type Session struct {
	AuthURL      string
	CodeVerifier string
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	// IDToken is the OpenID Connect id_token of the exchange, if any.
	IDToken string `json:",omitempty"`
}

var _ goth.Session = (*Session)(nil)

// GetAuthURL implements goth.Session.
func (s *Session) GetAuthURL() (string, error) {
	if s.AuthURL == "" {
		return "", errors.New(goth.NoAuthUrlErrorMessage)
	}
	return s.AuthURL, nil
}

// Marshal implements goth.Session.
func (s *Session) Marshal() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Authorize implements goth.Session: code exchange with the PKCE verifier.
func (s *Session) Authorize(gp goth.Provider, params goth.Params) (string, error) {
	b, ok := gp.(interface{ Base() *Provider })
	if !ok {
		return "", fmt.Errorf("oauth2base: session used with a foreign provider %T", gp)
	}
	if err := b.Base().AuthorizeContext(context.Background(), s, params); err != nil {
		return "", err
	}
	return s.AccessToken, nil
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
