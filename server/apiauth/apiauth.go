// Package apiauth guards the JSON APIs: it takes the token from
// `Authorization: Bearer <token>` or `Authorization: JWT <token>` (Lego's
// scheme, seed 000), verifies it, and answers RFC 6750 401s with a JSON
// body and WWW-Authenticate.
package apiauth

import (
	"context"
	"net/http"
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
				return Unauthorized(c, "", "Authentication credentials were not provided.")
			}
			ctx := c.Request().Context()
			claims, err := v.VerifyAccess(ctx, tok, tokens.AnyAudience)
			switch {
			case err != nil:
				return Unauthorized(c, "invalid_token", "The access token is invalid or expired.")
			case claims.APIToken, claims.FirstParty(issuer):
			case claims.ThirdParty() && knownClient(ctx, claims.ClientID):
				if !oauth.HasScope(claims.Scope, "profile") {
					return InsufficientScope(c, "profile", "The token lacks the profile scope.")
				}
			default:
				return Unauthorized(c, "invalid_token", "The access token is not for this API.")
			}
			c.Set(ctxKey, claims)
			return next(c)
		}
	}
}

// InsufficientScope writes RFC 6750 §3.1's 403 for a valid token that
// lacks scope.
func InsufficientScope(c echo.Context, scope, desc string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="gatehouse", error="insufficient_scope", scope="`+scope+`"`)
	return c.JSON(http.StatusForbidden, map[string]string{"error": "insufficient_scope", "error_description": desc})
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

// Unauthorized writes a 401. Per RFC 6750 §3.1, a request without
// credentials gets no error code; a bad token gets invalid_token.
func Unauthorized(c echo.Context, code, desc string) error {
	challenge := `Bearer realm="gatehouse"`
	body := map[string]string{"error": "unauthorized", "error_description": desc}
	if code != "" {
		challenge += `, error="` + code + `"`
		body["error"] = code
	}
	h := c.Response().Header()
	h.Set(echo.HeaderWWWAuthenticate, challenge)
	h.Set("Cache-Control", "no-store") // an answer about credentials is never cached
	return c.JSON(http.StatusUnauthorized, body)
}
