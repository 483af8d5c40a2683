package oauth

// Token exchange (RFC 8693).
const (
	// GrantTokenExchange is the token-exchange grant type (§2.1).
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken and TokenTypeIDToken are the token type
	// identifiers of §3 that the server recognises.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
)
