package oauth

import "net/http"

// Realm is the realm of every challenge Gatehouse sends.
const Realm = "gatehouse"

// BearerError is a protected resource's refusal of a request's bearer
// token (RFC 6750 §3.1): 401 when there is no usable token, 403 when the
// token lacks the scope the resource needs. The answer carries a Bearer
// challenge and a {"error", "error_description"} body.
type BearerError struct {
	Status int
	// Code is "" for a request that presented no token: §3.1 says such an
	// answer names no error in its challenge (the body says "unauthorized").
	Code        string
	Description string
	// Scope, for insufficient_scope, is the scope the resource needs.
	Scope string
}

// Unauthorized is a 401: code "" when no token was presented, else
// invalid_token.
func Unauthorized(code, desc string) *BearerError {
	return &BearerError{Status: http.StatusUnauthorized, Code: code, Description: desc}
}

// InsufficientScope is the 403 of a valid token that lacks scope.
func InsufficientScope(scope, desc string) *BearerError {
	return &BearerError{Status: http.StatusForbidden, Code: "insufficient_scope", Description: desc, Scope: scope}
}

func (e *BearerError) Error() string {
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	return code + ": " + e.Description
}

// Challenge is the WWW-Authenticate value of the answer.
func (e *BearerError) Challenge() string {
	ch := bearerChallenge(e.Code)
	if e.Scope != "" {
		ch += `, scope="` + e.Scope + `"`
	}
	return ch
}

// Body is the JSON body of the answer.
func (e *BearerError) Body() map[string]string {
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	return map[string]string{"error": code, "error_description": e.Description}
}

// bearerChallenge is a Bearer challenge naming code ("" names none).
func bearerChallenge(code string) string {
	ch := `Bearer realm="` + Realm + `"`
	if code != "" {
		ch += `, error="` + code + `"`
	}
	return ch
}
