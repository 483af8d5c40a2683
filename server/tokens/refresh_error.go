package tokens

import (
	"errors"

	"gatehouse/server/oauth"
)

// RefreshError is the answer to a failed Refresher.Rotate that the client
// caused: invalid_grant for a token that is unknown, another client's,
// expired, revoked or reused — one description for all, so a caller
// learns nothing about tokens it does not hold — and invalid_scope for a
// wider scope. It is nil for any other error (a server failure, answered
// the caller's way) and for nil. Every refresh endpoint maps through it.
func RefreshError(err error) *oauth.Error {
	switch {
	case errors.Is(err, ErrScopeWidened):
		return oauth.InvalidScope("The requested scope exceeds the granted scope.")
	case errors.Is(err, ErrRefreshInvalid), errors.Is(err, ErrRefreshExpired),
		errors.Is(err, ErrRefreshRevoked), errors.Is(err, ErrRefreshReused):
		return oauth.InvalidGrant("The refresh token is invalid, expired or revoked.")
	}
	return nil
}
