package resource

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

type claimsKey struct{}

// ClaimsFrom returns the claims the middleware verified for this request.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// Middleware admits requests with a valid bearer token carrying every
// scope in requiredScopes, and puts its claims in the request's context.
func (v *Verifier) Middleware(requiredScopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearer(r)
			if !ok {
				v.challenge(w, http.StatusUnauthorized, "", "", nil)
				return
			}
			claims, err := v.Verify(r.Context(), token)
			if err != nil {
				v.challenge(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid or expired.", nil)
				return
			}
			for _, s := range requiredScopes {
				if !claims.HasScope(s) {
					v.challenge(w, http.StatusForbidden, "insufficient_scope", "The access token lacks a required scope.", requiredScopes)
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
		})
	}
}

// bearer reads the token of an Authorization: Bearer header (RFC 6750
// §2.1; the only way accepted: tokens in URLs end up in logs).
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// challenge answers an RFC 6750 §3 error: a request without a token gets
// no error code, only the realm.
func (v *Verifier) challenge(w http.ResponseWriter, status int, code, desc string, scopes []string) {
	parts := []string{"realm=" + strconv.Quote(v.cfg.Identifier)}
	if code != "" {
		parts = append(parts, "error="+strconv.Quote(code), "error_description="+strconv.Quote(desc))
	}
	if len(scopes) > 0 {
		parts = append(parts, "scope="+strconv.Quote(strings.Join(scopes, " ")))
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(parts, ", "))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}
