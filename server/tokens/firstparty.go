package tokens

import (
	"context"
	"time"
)

// FirstPartyRequest is a first-party access token to mint: one for
// Gatehouse's own API (the JWT token-auth API and the account page's
// POST /account/token), as opposed to an OAuth app's token.
type FirstPartyRequest struct {
	AccountID string
	AuthTime  time.Time
	AMR       string // how the sign-in authenticated ("pwd", a provider name)
	// SignIn is the sign-in the token belongs to (SignInSession or
	// SignInFamily), so ending that sign-in also ends renewal.
	SignIn string
}

// IssueFirstParty signs a first-party access token: client_id
// FirstPartyClientID, aud this issuer (what AccessClaims.FirstParty
// checks) and no scope, since a first-party token acts as the account
// itself. It is the one place these tokens are made.
func (i *Issuer) IssueFirstParty(ctx context.Context, r FirstPartyRequest) (string, time.Time, error) {
	var amr []string
	if r.AMR != "" { // a token from before amr was recorded renews without one
		amr = []string{r.AMR}
	}
	return i.IssueAccess(ctx, AccessRequest{Subject: r.AccountID, Audience: []string{i.opts.Issuer},
		ClientID: FirstPartyClientID, AuthTime: r.AuthTime, AMR: amr, SignIn: r.SignIn})
}
