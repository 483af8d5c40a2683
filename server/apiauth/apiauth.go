// Package apiauth guards the JSON APIs: it takes the token from
// `Authorization: Bearer <token>` or `Authorization: JWT <token>` (Lego's
// scheme, seed 000), verifies it, and refuses with RFC 6750 errors
// (*oauth.BearerError), which the server's error handler writes.
package apiauth

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
)

// Verifier checks a presented token for an audience.
type Verifier interface {
	VerifyAccess(ctx context.Context, token, audience string) (*tokens.AccessClaims, error)
}

const ctxKey = "gatehouse.claims"

// FirstPartyAPI guards Gatehouse's own API (/api/v1/…). It admits
// first-party tokens (client_id "gatehouse", aud the issuer) and personal
// API tokens; an app's token (aud its own client_id, the client still
// registered: knownClient) only when it holds the profile scope — an app
// granted devices_read must not read the user's profile. An app token
// without profile gets 403 insufficient_scope; anything else 401.
func FirstPartyAPI(v Verifier, issuer string, knownClient func(ctx context.Context, id string) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			tok, ok := BearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
			if !ok {
				return oauth.Unauthorized("", "Authentication credentials were not provided.")
			}
			ctx := c.Request().Context()
			claims, err := v.VerifyAccess(ctx, tok, tokens.AnyAudience)
			switch {
			case err != nil:
				return oauth.Unauthorized("invalid_token", "The access token is invalid or expired.")
			case claims.APIToken, claims.FirstParty(issuer):
			case claims.ThirdParty() && knownClient(ctx, claims.ClientID):
				if !oauth.HasScope(claims.Scope, "profile") {
					return oauth.InsufficientScope("profile", "The token lacks the profile scope.")
				}
			default:
				return oauth.Unauthorized("invalid_token", "The access token is not for this API.")
			}
			c.Set(ctxKey, claims)
			return next(c)
		}
	}
}

// Claims returns the verified claims of the request (nil outside Middleware).
func Claims(c echo.Context) *tokens.AccessClaims {
	cl, _ := c.Get(ctxKey).(*tokens.AccessClaims)
	return cl
}

// BearerToken parses "Bearer <token>" or "JWT <token>" (scheme
// case-insensitive, exactly one token).
func BearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "JWT")) {
		return "", false
	}
	if tok == "" || strings.ContainsAny(tok, " \t,") {
		return "", false
	}
	return tok, true
}
