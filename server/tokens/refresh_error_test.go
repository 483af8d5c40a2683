package tokens_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"gatehouse/server/tokens"
)

// Every refresh failure a client caused answers 400 invalid_grant with
// the same words (whether the token is unknown, spent, expired, revoked
// or another client's is not told apart); a wider scope is invalid_scope;
// anything else is not the client's fault and gets no client answer.
func TestRefreshError(t *testing.T) {
	for _, err := range []error{tokens.ErrRefreshInvalid, tokens.ErrRefreshExpired, tokens.ErrRefreshRevoked, tokens.ErrRefreshReused,
		fmt.Errorf("rotating: %w", tokens.ErrRefreshReused)} {
		e := tokens.RefreshError(err)
		if e == nil || e.Code != "invalid_grant" || e.Status != http.StatusBadRequest || e.Description != "The refresh token is invalid, expired or revoked." {
			t.Errorf("RefreshError(%v) = %+v, want 400 invalid_grant", err, e)
		}
	}
	if e := tokens.RefreshError(tokens.ErrScopeWidened); e == nil || e.Code != "invalid_scope" {
		t.Errorf("RefreshError(ErrScopeWidened) = %+v, want invalid_scope", e)
	}
	for _, err := range []error{nil, errors.New("database is locked")} {
		if e := tokens.RefreshError(err); e != nil {
			t.Errorf("RefreshError(%v) = %+v, want nil", err, e)
		}
	}
}
