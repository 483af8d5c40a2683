package oauth

import "net/http"

// Token exchange (RFC 8693).
const (
	// GrantTokenExchange is the token-exchange grant type (§2.1).
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken and TokenTypeIDToken are the token type
	// identifiers of §3 that the server recognises.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
)

// InvalidTarget is RFC 8693 §2.2.2 (and RFC 8707 §2): the requested
// audience or resource is unknown or not allowed.
func InvalidTarget(desc string) *Error {
	return newErr("invalid_target", http.StatusBadRequest, desc)
}
