package authz

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// codeGrant is the authorization_code grant (RFC 6749 §4.1.3, RFC 7636).
func (a *Server) codeGrant(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	code := r.get("code")
	if code == "" {
		return nil, oauth.InvalidRequest("code is required.")
	}
	// The code is spent, its refresh token created and the token's family
	// and access-token jti recorded on the code in one transaction: a
	// replay of the code finds what to revoke (or waits for it), and a
	// crash midway leaves the code unspent rather than spent with tokens
	// nobody can revoke. Signing happens after the commit, outside the
	// transaction, with the recorded jti.
	var (
		ac      store.AuthCode
		acct    store.Account
		refresh string
		family  string
		e       *oauth.Error
		api     *store.API
		jti     = tokens.NewJTI()
	)
	err := a.Store.InTx(ctx, func(tx store.Store) error {
		var err error
		if ac, err = tx.RedeemAuthCode(ctx, tokens.HashToken(code), a.Now()); err != nil {
			return err
		}
		// Failures below commit: the code stays spent.
		if acct, api, e = a.checkRedeemed(ctx, tx, r, ac, cl); e != nil {
			return nil
		}
		if a.mayRefresh(cl, oauth.ParseScope(ac.Scope)) {
			rt, rec, err := a.Refresher.With(tx).Issue(ctx, tokens.Grant{AccountID: acct.ID, ClientID: cl.ID,
				Scope: oauth.JoinScope(oauth.ParseScope(ac.Scope)), AMR: ac.AMR, AuthTime: ac.AuthTime, IdleTTL: cl.RefreshIdleTTL, Resource: ac.Resource, SID: ac.SID})
			if err != nil {
				return err
			}
			refresh, family = rt, rec.FamilyID
		}
		return tx.SetAuthCodeIssued(ctx, ac.ID, family, jti)
	})
	switch {
	case errors.Is(err, store.ErrTokenReused):
		a.auditAt(ctx, r.ip, "oauth.code_replayed", ac.AccountID, ac.ClientID)
		a.revokeReplayed(ctx, ac, cl)
		return nil, oauth.InvalidGrant("The code was already used; the tokens issued for it are revoked.")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrTokenExpired):
		return nil, oauth.InvalidGrant("The code is invalid or expired.")
	case err != nil:
		return nil, oauth.ServerError(err)
	case e != nil:
		return nil, e
	}
	resp, e := a.respondUser(ctx, userTokens{client: cl, account: acct, scope: oauth.ParseScope(ac.Scope),
		authTime: ac.AuthTime, amr: ac.AMR, nonce: ac.Nonce, sid: ac.SID, refresh: refresh, jti: jti, family: family, ip: r.ip, api: api})
	return resp, e
}

// checkRedeemed checks a spent code against the request (checkCode) and
// returns the account it is for and the API (resource) it was issued for.
func (a *Server) checkRedeemed(ctx context.Context, tx store.Store, r *tokenRequest, ac store.AuthCode, cl store.Client) (store.Account, *store.API, *oauth.Error) {
	if e := checkCode(ac, cl, r.get("redirect_uri"), r.get("code_verifier")); e != nil {
		return store.Account{}, nil, e
	}
	acct, e := checkAccount(tx.GetAccount(ctx, ac.AccountID))
	if e != nil {
		return store.Account{}, nil, e
	}
	if e := sameResource(r, ac.Resource); e != nil {
		return store.Account{}, nil, e
	}
	api, e := a.lookupAPI(ctx, tx, ac.Resource)
	return acct, api, e
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

// revokeReplayed revokes what a replayed code issued (RFC 6749 §4.1.2):
// the refresh family and the access token. cl is the client presenting the
// replay, not necessarily the code's.
func (a *Server) revokeReplayed(ctx context.Context, ac store.AuthCode, cl store.Client) {
	a.Log.Warn("authorization code replayed", "client", ac.ClientID)
	if ac.FamilyID != "" {
		if err := a.Store.RevokeRefreshFamily(ctx, ac.FamilyID, a.Now()); err != nil {
			a.Log.Error("revoking the family of a replayed code", "err", err)
		}
	}
	if ac.AccessJTI == "" {
		return
	}
	// The access token was signed after the first redemption, so it
	// expires before now + its client's access TTL.
	if cl.ID != ac.ClientID {
		cl, _ = a.client(ctx, ac.ClientID)
	}
	ttl := a.Issuer.AccessTTL()
	if cl.AccessTTL > ttl {
		ttl = cl.AccessTTL
	}
	if err := a.Issuer.Revoke(ctx, ac.AccessJTI, a.Now().Add(ttl)); err != nil {
		a.Log.Error("revoking the access token of a replayed code", "err", err)
	}
}
