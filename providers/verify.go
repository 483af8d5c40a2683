package providers

import (
	"errors"
	"fmt"
)

// VerifyFailure says why a TokenVerifier refused a token. The callers that
// answer a client holding an upstream token (the login API's exchange, the
// token endpoint's token exchange) classify with ClassifyVerify, so both
// draw the same line between the client's fault and ours, each in its own
// error shape.
type VerifyFailure int

// The ways a TokenVerifier check fails.
const (
	// VerifyUpstreamFailed: the upstream could not be asked or answered
	// something unusable; not the client's fault.
	VerifyUpstreamFailed VerifyFailure = iota
	// VerifyNotIssuedToUs: valid upstream, but another client's token.
	VerifyNotIssuedToUs
	// VerifyRejected: the upstream says the token is invalid, inactive or
	// expired.
	VerifyRejected
	// VerifyCannotProve: the provider cannot check this kind of token.
	VerifyCannotProve
	// VerifyMissingScope: the token lacks an upstream scope we need.
	VerifyMissingScope
)

// ClassifyVerify returns why err (from provider's TokenVerifier) refused
// the token, and a message that is safe to show the client: it names the
// provider instance, never the token.
func ClassifyVerify(provider string, err error) (VerifyFailure, string) {
	var missing *MissingScopeError
	switch {
	case errors.Is(err, ErrNotIssuedToUs):
		return VerifyNotIssuedToUs, "The " + provider + " token was not issued to this server; sign in through this server instead."
	case errors.Is(err, ErrTokenRejected):
		return VerifyRejected, "The " + provider + " token was rejected by " + provider + "."
	case errors.Is(err, ErrCannotProveAudience):
		return VerifyCannotProve, fmt.Sprintf("provider %q cannot prove a token was issued to this server (present an id_token)", provider)
	case errors.As(err, &missing):
		return VerifyMissingScope, "The " + provider + " token lacks " + missing.Scope + ", which this server needs " + missing.Why + "; sign in again and grant it."
	}
	return VerifyUpstreamFailed, "The " + provider + " provider could not be reached or answered something unusable."
}
