package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"gatehouse/providers"
)

// VerifyAccessToken implements providers.TokenVerifier (the login API's
// exchange). The token must prove it was issued to our client:
//
//   - an id_token (a JWT): verified with go-oidc (signature by the issuer's
//     JWKS, issuer, expiry) with our client_id in aud, and azp, if present,
//     ours too; the identity is its claims;
//   - otherwise RFC 7662 introspection, when the issuer advertises an
//     introspection_endpoint (or introspection_url is configured): active
//     and issued to our client; the identity comes from userinfo.
//
// A JWT that is not our id_token still gets introspection when there is
// one (JWT access tokens). Without introspection, an access token cannot
// be checked: ErrCannotProveAudience.
func (p *Provider) VerifyAccessToken(ctx context.Context, token string) (providers.Identity, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return providers.Identity{}, err
	}
	if isJWT(token) {
		return p.fromJWT(ctx, d, token)
	}
	if d.introspection == "" {
		return providers.Identity{}, fmt.Errorf("%w: %s advertises no introspection_endpoint; present an id_token", providers.ErrCannotProveAudience, p.cfg.APIURL)
	}
	return p.fromIntrospection(ctx, d, token)
}

// fromJWT tries token as an id_token, then (a JWT access token) with
// introspection. When introspection only finds it inactive, the id_token
// check's verdict says better why it was refused (e.g. another audience).
func (p *Provider) fromJWT(ctx context.Context, d *discovered, token string) (providers.Identity, error) {
	id, err := p.fromIDToken(ctx, d, token)
	if err == nil || d.introspection == "" {
		return id, err
	}
	id, ierr := p.fromIntrospection(ctx, d, token)
	if errors.Is(ierr, providers.ErrTokenRejected) && !errors.Is(ierr, providers.ErrNotIssuedToUs) {
		return providers.Identity{}, err
	}
	return id, ierr
}

// isJWT: three dot-separated parts (a JWS in compact form).
func isJWT(token string) bool { return strings.Count(token, ".") == 2 }

// fromIDToken verifies token as an id_token issued to our client.
func (p *Provider) fromIDToken(ctx context.Context, d *discovered, token string) (providers.Identity, error) {
	idt, err := d.anyAudience.Verify(p.oidcContext(ctx), token)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("%w: id_token: %v", providers.ErrTokenRejected, err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return providers.Identity{}, fmt.Errorf("%w: id_token claims: %v", providers.ErrTokenRejected, err)
	}
	if !issuedTo(idt.Audience, claims, p.cfg.ClientID) {
		return providers.Identity{}, fmt.Errorf("%w: id_token audience %q", providers.ErrNotIssuedToUs, idt.Audience)
	}
	return p.mapUser(claims)
}

// issuedTo applies OIDC Core §3.1.3.7 (3-5) to us: our client_id in aud;
// with several audiences an azp; an azp, when present, is ours. Access
// tokens some issuers sign for an API (aud = our client_id, azp = the app
// that asked for it) fail here.
func issuedTo(aud []string, claims map[string]any, clientID string) bool {
	azp, hasAzp := claims["azp"].(string)
	switch {
	case clientID == "" || !slices.Contains(aud, clientID):
		return false
	case hasAzp:
		return azp == clientID
	default:
		return len(aud) == 1
	}
}

// fromIntrospection proves the token with RFC 7662 and reads the profile
// from userinfo, which must be for the introspected subject.
func (p *Provider) fromIntrospection(ctx context.Context, d *discovered, token string) (providers.Identity, error) {
	in := providers.Introspector{URL: d.introspection, ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, HTTPClient: p.cfg.HTTPClient}
	ans, err := in.Check(ctx, token)
	if err != nil {
		return providers.Identity{}, err
	}
	if d.userinfo == "" {
		return providers.Identity{}, fmt.Errorf("%w: %s has no userinfo endpoint to read the profile from", providers.ErrUpstream, p.cfg.APIURL)
	}
	claims := map[string]any{}
	if ans.Subject != "" {
		claims["sub"] = ans.Subject // userinfo for another subject is refused
	}
	return p.user(ctx, d, claims, token)
}

// exchangeVerifier checks id_tokens for the exchange; the audience is
// checked by issuedTo, so that a token for another client is told apart
// from a forged or expired one.
func exchangeVerifier(op *gooidc.Provider) *gooidc.IDTokenVerifier {
	return op.Verifier(&gooidc.Config{SkipClientIDCheck: true})
}
