package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
)

// revoke is POST /oauth2/revoke (RFC 7009). A refresh token revokes its
// whole family; an access token's jti goes on the revocation list until it
// expires (checked by every verifier). Only the token's own client may
// revoke it; unknown and foreign tokens get 200 all the same (§2.2).
func (a *Server) revoke(c echo.Context) error {
	r, e := readRequest(c)
	if e != nil {
		return e
	}
	cl, e := a.authenticateClient(c.Request().Context(), r)
	if e != nil {
		return e
	}
	tok := r.get("token")
	if tok == "" {
		return oauth.InvalidRequest("token is required.")
	}
	ctx := c.Request().Context()
	if strings.Count(tok, ".") == 2 {
		claims, err := a.Issuer.VerifyAccess(ctx, tok, tokens.AnyAudience)
		if err == nil && claims.ClientID == cl.ID {
			if err := a.Issuer.Revoke(ctx, claims.ID, claims.ExpiresAt.Time); err != nil {
				return oauth.ServerError(err)
			}
		}
		return c.NoContent(http.StatusOK)
	}
	rt, err := a.Store.GetRefreshToken(ctx, tokens.HashToken(tok))
	if err == nil && rt.ClientID == cl.ID {
		if err := a.Store.RevokeRefreshFamily(ctx, rt.FamilyID, a.Now()); err != nil {
			return oauth.ServerError(err)
		}
	} else if err != nil && !isNotFound(err) {
		return oauth.ServerError(err)
	}
	return c.NoContent(http.StatusOK)
}

// introspect is POST /oauth2/introspect (RFC 7662) for authenticated
// confidential clients. Inactive, unknown and foreign tokens all answer
// {"active": false}.
func (a *Server) introspect(c echo.Context) error {
	r, e := readRequest(c)
	if e != nil {
		return e
	}
	cl, e := a.authenticateClient(c.Request().Context(), r)
	if e != nil {
		return e
	}
	if cl.Public {
		return oauth.UnauthorizedClient("Public clients cannot introspect tokens.")
	}
	tok := r.get("token")
	if tok == "" {
		return oauth.InvalidRequest("token is required.")
	}
	inactive := map[string]any{"active": false}
	if strings.Count(tok, ".") == 2 {
		claims, err := a.verifyAccess(c.Request().Context(), tok)
		// Only the token's own client, or a resource its aud names, may
		// learn about it (RFC 7662 §4): any other app gets active=false.
		if err != nil || (claims.ClientID != cl.ID && !claims.HasAudience(cl.ID)) || !a.stillAllowed(c.Request().Context(), claims) {
			return noStoreJSON(c, inactive)
		}
		return noStoreJSON(c, map[string]any{"active": true, "scope": claims.Scope, "client_id": claims.ClientID,
			"sub": claims.Subject, "exp": claims.ExpiresAt.Unix(), "iat": claims.IssuedAt.Unix(), "iss": claims.Issuer,
			"aud": claims.Audience, "jti": claims.ID, "token_type": "Bearer"})
	}
	rt, err := a.Store.GetRefreshToken(c.Request().Context(), tokens.HashToken(tok))
	now := a.Now()
	if err != nil || rt.ClientID != cl.ID || rt.RevokedAt != nil || rt.RotatedAt != nil || !rt.ExpiresAt.After(now) {
		if err != nil && !isNotFound(err) {
			return oauth.ServerError(err)
		}
		return noStoreJSON(c, inactive)
	}
	return noStoreJSON(c, map[string]any{"active": true, "scope": rt.Scope, "client_id": rt.ClientID, "sub": rt.AccountID,
		"exp": rt.ExpiresAt.Unix(), "iat": rt.CreatedAt.Unix(), "iss": a.IssuerURL, "token_type": "refresh_token"})
}

// errWrongAudience: a well-signed access token that is neither first-party
// nor for a registered app.
var errWrongAudience = errors.New("authz: access token for an unknown audience")

// verifyAccess verifies an access token presented at an endpoint that
// serves every audience (userinfo, introspection): signature, iss, typ and
// lifetime, then the audience — the issuer for a first-party token, or the
// token's own client, which must still be registered, for an app's token.
func (a *Server) verifyAccess(ctx context.Context, tok string) (*tokens.AccessClaims, error) {
	claims, err := a.Issuer.VerifyAccess(ctx, tok, tokens.AnyAudience)
	if err != nil {
		return nil, err
	}
	if claims.FirstParty(a.IssuerURL) {
		return claims, nil
	}
	if !claims.ThirdParty() {
		return nil, errWrongAudience
	}
	if _, err := a.client(ctx, claims.ClientID); err != nil {
		return nil, fmt.Errorf("%w: %w", errWrongAudience, err)
	}
	return claims, nil
}

// stillAllowed reports whether what a valid access token stands for still
// exists: the account (not disabled) for a user's token, the client for a
// client_credentials token (whose subject is the client). A JWT outlives
// both; introspection is where resource servers can learn of it.
func (a *Server) stillAllowed(ctx context.Context, claims *tokens.AccessClaims) bool {
	if claims.Subject == claims.ClientID {
		_, err := a.client(ctx, claims.ClientID)
		return err == nil
	}
	_, e := a.activeAccount(ctx, claims.Subject)
	return e == nil
}
