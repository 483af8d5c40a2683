// Package resource protects an API with Gatehouse access tokens: an
// http.Handler middleware for a resource server (RFC 8707, RFC 9068,
// RFC 6750). It is for team APIs and imports nothing of Gatehouse.
//
//	mw, err := resource.Middleware("https://login.example", "https://api.example", "read:things")
//	if err != nil { ... }
//	http.Handle("/things", mw(thingsHandler))
//
// and in the handler:
//
//	claims, _ := resource.ClaimsFrom(r.Context())
//
// The middleware reads the issuer's discovery document once (its issuer
// must be the one given), fetches the JWKS and caches it, fetching again
// when a token names a key it does not know (key rotation), at most once
// per RefetchInterval. A token is accepted when it is signed with ES256 or
// RS256 by one of those keys, has typ at+jwt, the issuer, an aud naming
// the API's identifier, a current exp (required), nbf and iat (with a
// little clock skew), and every required scope. Otherwise the answer is
// 401 with WWW-Authenticate: Bearer error="invalid_token", or 403
// error="insufficient_scope" with the scopes needed.
//
// With an echo router: e.Use(echo.WrapMiddleware(mw)).
package resource
