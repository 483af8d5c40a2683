package authz

import (
	"context"
	"errors"
	"slices"
	"time"

	"gatehouse/server/oauth"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// refreshGrant is the refresh_token grant (RFC 6749 §6) with rotation,
// reuse detection and scope narrowing.
func (a *Server) refreshGrant(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	rt := r.get("refresh_token")
	if rt == "" {
		return nil, oauth.InvalidRequest("refresh_token is required.")
	}
	if e := a.refreshResource(ctx, r, cl, rt); e != nil {
		return nil, e
	}
	scope := oauth.ParseScope(r.get("scope"))
	newRT, next, err := a.Refresher.Rotate(ctx, rt, tokens.RotateOptions{ClientID: cl.ID, Scope: oauth.JoinScope(scope),
		Grace: cl.RefreshGrace, IdleTTL: cl.RefreshIdleTTL})
	if errors.Is(err, tokens.ErrRefreshReused) {
		a.Log.Warn("refresh token reuse: family revoked", "client", cl.ID)
		a.auditAt(ctx, r.ip, "oauth.refresh_reused", next.AccountID, cl.ID)
	}
	if e := tokens.RefreshError(err); e != nil {
		return nil, e
	}
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	acct, e := a.activeAccount(ctx, next.AccountID)
	if e != nil {
		return nil, e
	}
	api, e := a.lookupAPI(ctx, a.Store, next.Resource) // an API deleted since: invalid_target
	if e != nil {
		return nil, e
	}
	resp, e := a.respondUser(ctx, userTokens{client: cl, account: acct, scope: oauth.ParseScope(next.Scope),
		authTime: next.AuthTime, amr: next.AMR, sid: next.SID, refresh: newRT, family: next.FamilyID, ip: r.ip, api: api})
	return resp, e
}

// clientCredentialsGrant is RFC 6749 §4.4: a confidential client acting
// for itself (seed 003). No refresh token.
func (a *Server) clientCredentialsGrant(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	if cl.Public {
		return nil, oauth.UnauthorizedClient("Public clients cannot use client_credentials.")
	}
	if r.form.Has("resource") {
		return a.machineAPIToken(ctx, r, cl)
	}
	scope := oauth.ParseScope(r.get("scope"))
	for _, s := range scope {
		if s == "openid" || s == "offline_access" || !slices.Contains(cl.Scopes, s) {
			return nil, oauth.InvalidScope("Scope " + s + " is not allowed for client credentials.")
		}
	}
	// No auth_time: nobody signed in.
	at, exp, err := a.Issuer.IssueAccessTTL(ctx, a.accessRequest(cl, cl.ID, oauth.JoinScope(scope), time.Time{}, ""), cl.AccessTTL)
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	return &tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(a.Now()).Seconds()), Scope: oauth.JoinScope(scope)}, nil
}

// passwordGrant is RFC 6749 §4.3, only for clients that opt in (seed 003).
func (a *Server) passwordGrant(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	if cl.Public {
		// apps.Validate refuses the grant for public apps; this catches rows
		// from before that rule. Unauthenticated, it is a password oracle.
		return nil, oauth.UnauthorizedClient("Public clients cannot use the password grant.")
	}
	if e := noResource(r); e != nil {
		return nil, e
	}
	username, pw := r.get("username"), r.get("password")
	if username == "" || pw == "" {
		return nil, oauth.InvalidRequest("username and password are required.")
	}
	scope := oauth.ParseScope(r.get("scope"))
	for _, s := range scope {
		if !a.Scopes.Known(s) || !slices.Contains(cl.Scopes, s) {
			return nil, oauth.InvalidScope("Scope " + s + " is unknown or not allowed for this application.")
		}
	}
	acct, ok, err := a.Signin.CheckPassword(ctx, username, pw, r.ip)
	if errors.Is(err, signin.ErrRateLimited) {
		return nil, oauth.TooManyAttempts().WithRetryAfter(a.Signin.RetryAfter())
	}
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	if !ok {
		a.auditAt(ctx, r.ip, "token_auth_failed", acct.ID, cl.ID)
		return nil, oauth.InvalidGrant("Invalid username or password.")
	}
	a.auditAt(ctx, r.ip, "token_auth", acct.ID, cl.ID)
	resp, e := a.respondUser(ctx, userTokens{client: cl, account: acct, scope: scope, authTime: a.Now(), amr: "pwd", ip: r.ip})
	return resp, e
}
