// Package oidc signs people in with any OpenID Connect provider, found by
// discovery at its issuer URL (`api_url`), under the request's context. The
// sign-in is oauth2base's
// authorization code flow with state and PKCE S256, the client
// authenticating with client_secret_basic. The id_token of the exchange is
// verified with coreos/go-oidc: signature by a key of the issuer's JWKS, the
// issuer, our client_id in the audience, the expiry. goth's own
// openidConnect provider skips the signature check (see LIBS.md). The
// profile is the verified claims, topped up from the userinfo endpoint when
// the provider has one; a userinfo answer for another subject is refused.
//
// No nonce is sent: in the code flow with PKCE, the exchange is already bound
// to this sign-in, and the id_token comes straight from the token endpoint.
//
// Discovery happens on first use, not at start-up, so an upstream that is
// down delays only its own sign-ins. A failed discovery is tried again
// after a back-off (1 s, doubling up to 1 min): meanwhile sign-ins fail at
// once with providers.ErrRetryLater instead of each asking (and reading)
// a broken upstream again. A document without an authorization endpoint,
// token endpoint or jwks_uri is a failed discovery.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"gatehouse/providers"
	"gatehouse/providers/oauth2base"
)

// TypeName is the config `type:` of this provider.
const TypeName = "oidc"

// Type registers the provider.
func Type() providers.Type { return providers.Type{Name: TypeName, New: New} }

// defaultScopes are asked for when the config names none.
var defaultScopes = []string{gooidc.ScopeOpenID, "profile", "email"}

// New validates cfg and returns the provider: api_url (the issuer) and the
// client credentials are required; "openid" is added to the scopes if
// missing.
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	if cfg.APIURL == "" {
		errs = append(errs, errors.New("api_url: required (the issuer URL, e.g. https://accounts.example.com)"))
	} else if err := providers.CheckURL("api_url", cfg.APIURL); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, providers.CheckURL("introspection_url", cfg.IntrospectionURL))
	if cfg.CheckTokenURL != "" {
		errs = append(errs, errors.New("check_token_url: only for type github (oidc uses id_tokens or introspection)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewProvider(cfg), nil
}

// Provider is one OpenID Connect issuer.
type Provider struct {
	cfg    providers.Config // HTTPClient always set
	name   string
	scopes []string

	mu      sync.Mutex
	found   *discovered // nil until discovery succeeds
	backoff *providers.Backoff
}

// Discovery back-off bounds (see the package comment).
const (
	backoffMin = time.Second
	backoffMax = time.Minute
)

type discovered struct {
	base     *oauth2base.Provider
	verifier *gooidc.IDTokenVerifier
	userinfo string // "" if the provider has no userinfo endpoint
	// anyAudience verifies id_tokens presented to the login API (see
	// exchange.go); introspection is the RFC 7662 endpoint, "" if none.
	anyAudience   *gooidc.IDTokenVerifier
	introspection string
}

var (
	_ providers.Provider      = (*Provider)(nil)
	_ providers.TokenVerifier = (*Provider)(nil) // exchange.go
)

// NewProvider builds the provider without validating cfg.
func NewProvider(cfg providers.Config) *Provider {
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	if !slices.Contains(scopes, gooidc.ScopeOpenID) {
		scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	}
	cfg.HTTPClient = providers.DefaultHTTPClient(cfg.HTTPClient)
	return &Provider{cfg: cfg, name: cfg.Name, scopes: scopes, backoff: providers.NewBackoff(backoffMin, backoffMax, cfg.Now)}
}

// discover returns the issuer's endpoints and verifier, reading its
// discovery document until one read succeeds, with a back-off between
// failed reads. The network call holds no lock: while an upstream hangs,
// its sign-ins wait in parallel (each bounded by the HTTP client's
// timeout), not in a queue.
func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	d := p.found
	p.mu.Unlock()
	if d != nil {
		return d, nil
	}
	if err := p.backoff.Check(); err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", p.cfg.APIURL, err)
	}
	d, err := p.fetchDiscovery(ctx)
	if err != nil {
		p.backoff.Failed(err)
		return nil, fmt.Errorf("%w: discovery at %s: %v", providers.ErrUpstream, p.cfg.APIURL, err)
	}
	p.backoff.Succeeded()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.found == nil { // the first of concurrent discoveries wins
		p.found = d
	}
	return p.found, nil
}

// fetchDiscovery reads and checks the discovery document once.
func (p *Provider) fetchDiscovery(ctx context.Context) (*discovered, error) {
	op, err := gooidc.NewProvider(p.oidcContext(ctx), p.cfg.APIURL)
	if err != nil {
		return nil, err
	}
	ep := op.Endpoint()
	var extra struct {
		JWKS          string `json:"jwks_uri"`
		Introspection string `json:"introspection_endpoint"`
	}
	_ = op.Claims(&extra) // the document already parsed; a missing key is ""
	// Without these the sign-in cannot work, and an empty authorization
	// endpoint would redirect the browser to "?client_id=…" on ourselves.
	for _, kv := range [][2]string{{"authorization_endpoint", ep.AuthURL}, {"token_endpoint", ep.TokenURL}, {"jwks_uri", extra.JWKS}} {
		if kv[1] == "" {
			return nil, fmt.Errorf("the document has no %s", kv[0])
		}
		if err := providers.CheckURL(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	cfg := p.cfg
	cfg.Name = p.name
	return &discovered{
		base: oauth2base.New(cfg, oauth2base.Spec{AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, Scopes: p.scopes,
			BasicAuth: true}),
		verifier:      op.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID}),
		userinfo:      op.UserInfoEndpoint(),
		anyAudience:   exchangeVerifier(op),
		introspection: providers.Or(p.cfg.IntrospectionURL, extra.Introspection),
	}, nil
}

// oidcContext carries our HTTP client (with its timeout) to go-oidc.
func (p *Provider) oidcContext(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return p.name }

// DisplayName implements providers.Provider.
func (p *Provider) DisplayName() string { return providers.Or(p.cfg.DisplayName, "OpenID Connect") }

// BeginAuth implements providers.Provider; the first sign-in discovers the
// issuer's endpoints.
func (p *Provider) BeginAuth(ctx context.Context, state, callbackURL string) (providers.Start, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return providers.Start{}, err
	}
	return d.base.BeginAuth(ctx, state, callbackURL)
}

// Complete implements providers.Provider: the code exchange, then the
// exchange's id_token verified and the profile built from its claims and
// userinfo.
func (p *Provider) Complete(ctx context.Context, session string, params url.Values, callbackURL string) (providers.Identity, error) {
	if err := providers.CallbackError(params); err != nil {
		return providers.Identity{}, err // needs no discovery
	}
	d, err := p.discover(ctx)
	if err != nil {
		return providers.Identity{}, err
	}
	tok, err := d.base.Exchange(ctx, session, params, callbackURL)
	if err != nil {
		return providers.Identity{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return providers.Identity{}, fmt.Errorf("%w: the token response has no id_token", providers.ErrUpstream)
	}
	idt, err := d.verifier.Verify(p.oidcContext(ctx), raw)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("%w: id_token: %v", providers.ErrUpstream, err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return providers.Identity{}, fmt.Errorf("%w: id_token claims: %v", providers.ErrUpstream, err)
	}
	return p.user(ctx, d, claims, tok.AccessToken)
}

// user merges userinfo (if any) into claims, whose "sub" is trusted, and
// maps the result.
func (p *Provider) user(ctx context.Context, d *discovered, claims map[string]any, token string) (providers.Identity, error) {
	if d.userinfo != "" {
		var info map[string]any
		if err := providers.GetJSON(ctx, p.cfg.HTTPClient, d.userinfo, token, "application/json", &info); err != nil {
			return providers.Identity{}, err
		}
		if sub, _ := claims["sub"].(string); sub != "" && info["sub"] != sub {
			return providers.Identity{}, fmt.Errorf("%w: userinfo is for another subject than the id_token", providers.ErrUpstream)
		}
		merged := maps.Clone(info)
		maps.Copy(merged, claims) // the signed claims win
		claims = merged
	}
	return p.mapUser(claims)
}

// mapUser maps OIDC claims to an Identity; "sub" is required. The e-mail
// is verified when the email_verified claim is true. The groups come from
// groups_claim ("groups"): the id_token's, else userinfo's (user merges
// them); the config's claims mapping is applied last.
func (p *Provider) mapUser(claims map[string]any) (providers.Identity, error) {
	verified, _ := claims["email_verified"].(bool)
	id := providers.Identity{Subject: oauth2base.Str(claims, "sub"), Username: oauth2base.Str(claims, "preferred_username"),
		Email: oauth2base.Str(claims, "email"), EmailVerified: verified, Name: oauth2base.Str(claims, "name"),
		FirstName: oauth2base.Str(claims, "given_name"), LastName: oauth2base.Str(claims, "family_name"),
		AvatarURL: oauth2base.Str(claims, "picture")}
	if id.Subject == "" {
		return providers.Identity{}, fmt.Errorf("%w: profile has no sub", providers.ErrUpstream)
	}
	claim := providers.Or(p.cfg.GroupsClaim, "groups")
	var ok bool
	if id.Groups, ok = providers.GroupsOf(providers.Lookup(claims, claim)); !ok {
		slog.Debug("oidc: groups claim is neither a string nor an array of strings; no groups", "provider", p.name, "claim", claim)
	}
	providers.MapClaims(&id, claims, p.cfg.Claims)
	raw, err := json.Marshal(claims)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("%w: profile: %w", providers.ErrUpstream, err)
	}
	id.Raw = raw
	return id, nil
}
