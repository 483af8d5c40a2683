// Package oauth is the vocabulary of OAuth 2.0 (RFC 6749) and the error
// values handlers return for the server's one error writer: *Error (RFC
// 6749 §5.2, every OAuth endpoint), *BearerError (RFC 6750, protected
// resources) and *Problem (the JSON APIs' own shapes). Each error value
// carries its code and its HTTP status from one constructor, so the two
// cannot disagree; the cause is for the log and never leaves the server.
// It imports nothing of Gatehouse.
package oauth

import (
	"fmt"
	"net/http"
	"time"
)

// Grant types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantImplicit          = "implicit" // a client capability, not a token-endpoint grant
)

// GrantTypes lists every grant type the server knows, in the order
// discovery advertises them.
func GrantTypes() []string {
	return []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantPassword, GrantImplicit, GrantDeviceCode,
		GrantTokenExchange}
}

// Client authentication methods (RFC 7591 §2, token_endpoint_auth_method).
// A confidential client uses one of the two secret methods; a public client
// has no secret and uses none.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthNone              = "none"
)

// Error is an RFC 6749 §5.2 error (and the §4.1.2.1 authorization errors).
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"-"`
	// Basic marks invalid_client errors of clients that used HTTP Basic,
	// which must get a WWW-Authenticate challenge (§5.2).
	Basic bool `json:"-"`
	// Bearer marks an error of a protected resource (RFC 6750 §3.1), which
	// gets a Bearer challenge naming Code.
	Bearer bool  `json:"-"`
	Cause  error `json:"-"`
	// RetryAfter, when set, goes out as the Retry-After header (429s).
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Description, e.Cause)
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Cause }

// Challenge is the WWW-Authenticate value of the answer ("" for none).
func (e *Error) Challenge() string {
	switch {
	case e.Code == "invalid_client" && e.Basic:
		return `Basic realm="` + Realm + `"`
	case e.Bearer:
		return bearerChallenge(e.Code)
	}
	return ""
}

// WithBearer returns a copy of e answered by a protected resource: with a
// Bearer challenge.
func (e *Error) WithBearer() *Error {
	c := *e
	c.Bearer = true
	return &c
}

// WithRetryAfter returns a copy of e that tells the client when to retry.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// WithCause returns a copy of e that logs cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

func newErr(code string, status int, desc string) *Error {
	return &Error{Code: code, Description: desc, Status: status}
}

// Constructors, one per RFC error code.
func InvalidRequest(desc string) *Error {
	return newErr("invalid_request", http.StatusBadRequest, desc)
}
func InvalidClient(desc string) *Error {
	return newErr("invalid_client", http.StatusUnauthorized, desc)
}
func InvalidGrant(desc string) *Error { return newErr("invalid_grant", http.StatusBadRequest, desc) }
func UnauthorizedClient(desc string) *Error {
	return newErr("unauthorized_client", http.StatusBadRequest, desc)
}
func UnsupportedGrantType(desc string) *Error {
	return newErr("unsupported_grant_type", http.StatusBadRequest, desc)
}
func UnsupportedResponseType(desc string) *Error {
	return newErr("unsupported_response_type", http.StatusBadRequest, desc)
}
func InvalidScope(desc string) *Error { return newErr("invalid_scope", http.StatusBadRequest, desc) }

// InvalidTarget: the resource indicator is unknown, not allowed, or more
// than one (RFC 8707 §2).
func InvalidTarget(desc string) *Error { return newErr("invalid_target", http.StatusBadRequest, desc) }

// AccessDenied is 400 like every token-endpoint error (RFC 6749 §5.2; the
// device grant's denial, RFC 8628 §3.5); at /authorize it is a redirect.
func AccessDenied(desc string) *Error  { return newErr("access_denied", http.StatusBadRequest, desc) }
func LoginRequired(desc string) *Error { return newErr("login_required", http.StatusBadRequest, desc) }
func ConsentRequired(desc string) *Error {
	return newErr("consent_required", http.StatusBadRequest, desc)
}
func InvalidToken(desc string) *Error { return newErr("invalid_token", http.StatusUnauthorized, desc) }
func AuthorizationPending() *Error {
	return newErr("authorization_pending", http.StatusBadRequest, "The user has not yet approved the device.")
}
func SlowDown() *Error {
	return newErr("slow_down", http.StatusBadRequest, "Polling too fast; wait longer between requests.")
}
func ExpiredToken(desc string) *Error { return newErr("expired_token", http.StatusBadRequest, desc) }
func InvalidClientMetadata(desc string) *Error {
	return newErr("invalid_client_metadata", http.StatusBadRequest, desc)
}
func InvalidRedirectURI(desc string) *Error {
	return newErr("invalid_redirect_uri", http.StatusBadRequest, desc)
}

// TooManyAttempts answers 429 to a password grant over its rate limit
// (RFC 6749 has no code for it; slow_down is RFC 8628's word for the same).
func TooManyAttempts() *Error {
	return newErr("slow_down", http.StatusTooManyRequests, "Too many attempts; try again later.")
}

// ServerError hides cause from the client.
func ServerError(cause error) *Error {
	return &Error{Code: "server_error", Description: "The server could not handle the request.", Status: http.StatusInternalServerError, Cause: cause}
}
