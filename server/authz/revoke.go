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

// revoke is POST /oauth2/revoke (RFC 7009): 200 with no body whether or
// not there was anything to revoke (§2.2).
func (a *Server) revoke(c echo.Context) error {
	r, e := readRequest(c)
	if e != nil {
		return e
	}
	if e := a.revokeToken(c.Request().Context(), r); e != nil {
		return e
	}
	return c.NoContent(http.StatusOK)
}

// revokeToken revokes the token of a revocation request. A refresh token
// revokes its whole family; an access token's jti goes on the revocation
// list until it expires (checked by every verifier). Only the token's own
// client may revoke it; unknown and foreign tokens are no error.
func (a *Server) revokeToken(ctx context.Context, r *tokenRequest) *oauth.Error {
	cl, e := a.authenticateClient(ctx, r)
	if e != nil {
		return e
	}
	tok := r.get("token")
	if tok == "" {
		return oauth.InvalidRequest("token is required.")
	}
	if strings.Count(tok, ".") == 2 {
		claims, err := a.Issuer.VerifyAccess(ctx, tok, tokens.AnyAudience)
		if err == nil && claims.ClientID == cl.ID {
			if err := a.Issuer.Revoke(ctx, claims.ID, claims.ExpiresAt.Time); err != nil {
				return oauth.ServerError(err)
			}
		}
		return nil
	}
	rt, err := a.Store.GetRefreshToken(ctx, tokens.HashToken(tok))
	if err == nil && rt.ClientID == cl.ID {
		if err := a.Store.RevokeRefreshFamily(ctx, rt.FamilyID, a.Now()); err != nil {
			return oauth.ServerError(err)
		}
	} else if err != nil && !isNotFound(err) {
		return oauth.ServerError(err)
	}
	return nil
}

// introspect is POST /oauth2/introspect (RFC 7662).
func (a *Server) introspect(c echo.Context) error {
	r, e := readRequest(c)
	if e != nil {
		return e
	}
	resp, e := a.introspection(c.Request().Context(), r)
	if e != nil {
		return e
	}
	return noStoreJSON(c, resp)
}

// introspection answers an introspection request of an authenticated
// confidential client. Inactive, unknown and foreign tokens all answer
// {"active": false}.
func (a *Server) introspection(ctx context.Context, r *tokenRequest) (map[string]any, *oauth.Error) {
	if api, e := a.introspectingAPI(ctx, r); api != nil || e != nil {
		if e != nil {
			return nil, e
		}
		return a.introspectForAPI(ctx, api, r.get("token"))
	}
	cl, e := a.authenticateClient(ctx, r)
	if e != nil {
		return nil, e
	}
	if cl.Public {
		return nil, oauth.UnauthorizedClient("Public clients cannot introspect tokens.")
	}
	tok := r.get("token")
	if tok == "" {
		return nil, oauth.InvalidRequest("token is required.")
	}
	if strings.Count(tok, ".") == 2 {
		return a.introspectAccess(ctx, cl.ID, tok), nil
	}
	return a.introspectRefresh(ctx, cl.ID, tok)
}

// inactive is the answer that tells nothing about a token.
func inactive() map[string]any { return map[string]any{"active": false} }

// introspectAccess describes an access token. Only the token's own
// client, or a resource its aud names, may learn about it (RFC 7662 §4):
// any other app gets active=false.
func (a *Server) introspectAccess(ctx context.Context, clientID, tok string) map[string]any {
	claims, err := a.verifyAccess(ctx, tok)
	if err != nil || (claims.ClientID != clientID && !claims.HasAudience(clientID)) || !a.stillAllowed(ctx, claims) {
		return inactive()
	}
	return map[string]any{"active": true, "scope": claims.Scope, "client_id": claims.ClientID,
		"sub": claims.Subject, "exp": claims.ExpiresAt.Unix(), "iat": claims.IssuedAt.Unix(), "iss": claims.Issuer,
		"aud": claims.Audience, "jti": claims.ID, "token_type": "Bearer"}
}

// introspectRefresh describes a refresh token of the client clientID.
func (a *Server) introspectRefresh(ctx context.Context, clientID, tok string) (map[string]any, *oauth.Error) {
	rt, err := a.Store.GetRefreshToken(ctx, tokens.HashToken(tok))
	now := a.Now()
	if err != nil || rt.ClientID != clientID || rt.RevokedAt != nil || rt.RotatedAt != nil || !rt.ExpiresAt.After(now) {
		if err != nil && !isNotFound(err) {
			return nil, oauth.ServerError(err)
		}
		return inactive(), nil
	}
	return map[string]any{"active": true, "scope": rt.Scope, "client_id": rt.ClientID, "sub": rt.AccountID,
		"exp": rt.ExpiresAt.Unix(), "iat": rt.CreatedAt.Unix(), "iss": a.IssuerURL, "token_type": "refresh_token"}, nil
}

// errWrongAudience: a well-signed access token that is neither first-party
// nor for a registered app.
var errWrongAudience = errors.New("authz: access token for an unknown audience")

// verifyAccess verifies an access token presented at an endpoint that
// serves every audience (userinfo, introspection): signature, iss, typ and
// lifetime, then the audience — the issuer for a first-party token, or the
// token's own client, which must still be registered, for an app's token
// (an exchanged token's client is the app that exchanged it).
func (a *Server) verifyAccess(ctx context.Context, tok string) (*tokens.AccessClaims, error) {
	claims, err := a.Issuer.VerifyAccess(ctx, tok, tokens.AnyAudience)
	if err != nil {
		return nil, err
	}
	if claims.FirstParty(a.IssuerURL) {
		return claims, nil
	}
	if !claims.ThirdParty() && !claims.Exchanged() {
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
