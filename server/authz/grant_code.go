package authz

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// codeGrant is the authorization_code grant (RFC 6749 §4.1.3, RFC 7636).
func (a *Server) codeGrant(c echo.Context, cl store.Client) (*tokenResponse, *oauth.Error) {
	ctx := c.Request().Context()
	code, redirect, verifier := c.FormValue("code"), c.FormValue("redirect_uri"), c.FormValue("code_verifier")
	if code == "" {
		return nil, oauth.InvalidRequest("code is required.")
	}
	ac, err := a.Store.RedeemAuthCode(ctx, tokens.HashToken(code), a.Now())
	switch {
	case errors.Is(err, store.ErrTokenReused):
		a.revokeReplayed(c, ac)
		return nil, oauth.InvalidGrant("The code was already used; the tokens issued for it are revoked.")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrTokenExpired):
		return nil, oauth.InvalidGrant("The code is invalid or expired.")
	case err != nil:
		return nil, oauth.ServerError(err)
	}
	if e := checkCode(ac, cl, redirect, verifier); e != nil {
		return nil, e
	}
	acct, e := a.activeAccount(ctx, ac.AccountID)
	if e != nil {
		return nil, e
	}
	resp, family, e := a.respondUser(ctx, userTokens{client: cl, account: acct, scope: parseScope(ac.Scope),
		authTime: ac.AuthTime, amr: ac.AMR, nonce: ac.Nonce})
	if e != nil {
		return nil, e
	}
	if family != "" {
		if err := a.Store.SetAuthCodeFamily(ctx, ac.ID, family); err != nil {
			return nil, oauth.ServerError(err)
		}
	}
	return resp, nil
}

// checkCode binds the code to its client, redirect URI and PKCE challenge.
func checkCode(ac store.AuthCode, cl store.Client, redirect, verifier string) *oauth.Error {
	if ac.ClientID != cl.ID {
		return oauth.InvalidGrant("The code was issued to another client.")
	}
	if redirect != ac.RedirectURI && (redirect != "" || len(cl.RedirectURIs) != 1) {
		return oauth.InvalidGrant("redirect_uri does not match the authorization request.")
	}
	switch {
	case ac.CodeChallenge == "" && verifier != "":
		// RFC 9700 §2.1.1: a verifier for a code issued without a challenge
		// is a PKCE downgrade attempt.
		return oauth.InvalidGrant("code_verifier sent for a code issued without PKCE.")
	case ac.CodeChallenge == "":
		return nil
	case verifier == "":
		return oauth.InvalidGrant("code_verifier is required.")
	case !challengeRe.MatchString(verifier):
		return oauth.InvalidGrant("code_verifier is malformed.")
	}
	want := verifier
	if ac.CodeChallengeMethod == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(ac.CodeChallenge)) != 1 {
		return oauth.InvalidGrant("code_verifier does not match the code_challenge.")
	}
	return nil
}

// revokeReplayed revokes what a replayed code issued (RFC 6749 §4.1.2).
func (a *Server) revokeReplayed(c echo.Context, ac store.AuthCode) {
	a.Log.Warn("authorization code replayed", "client", ac.ClientID)
	if ac.FamilyID == "" {
		return
	}
	if err := a.Store.RevokeRefreshFamily(c.Request().Context(), ac.FamilyID, a.Now()); err != nil {
		a.Log.Error("revoking the family of a replayed code", "err", err)
	}
}
