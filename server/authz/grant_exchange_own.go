package authz

import (
	"context"
	"time"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// exchangeOwn is form (b) of token exchange (RFC 8693): one of our access
// tokens, issued to any app for a user, becomes a narrower token for
// another app, so a service can call the next one on the user's behalf
// with no more than it was given:
//
//   - audience names the app the new token is for (its client_id: aud);
//   - scope ⊆ the subject token's scope (none asked: the same scope);
//   - sub is the subject's, client_id the calling app's, and act names
//     the calling app (§4.1);
//   - it expires no later than the subject token;
//   - an exchanged token (one with act) is not exchanged again: one hop,
//     so no chain of services stretches a grant the user gave one app;
//   - a first-party token, a client's own (client_credentials) token, an
//     expired or revoked one, or one of a disabled account is refused.
//
// resource (RFC 8707 API identifiers) is answered invalid_target: API
// identifiers arrive with the APIs registry; until then an audience is a
// registered app.
func (a *Server) exchangeOwn(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	target, e := a.exchangeTarget(ctx, r)
	if e != nil {
		return nil, e
	}
	subject, e := a.exchangeSubject(ctx, r.get("subject_token"))
	if e != nil {
		return nil, e
	}
	acct, e := a.activeAccount(ctx, subject.Subject)
	if e != nil {
		return nil, e
	}
	scope, e := narrowScope(r.get("scope"), subject.Scope)
	if e != nil {
		return nil, e
	}
	ttl := subject.ExpiresAt.Sub(a.Now())
	if ttl < time.Second {
		return nil, oauth.InvalidGrant("The subject token has expired.")
	}
	ttl = min(ttl, a.accessTTL(cl))
	groups, e := a.exchangeGroups(ctx, r.ip, acct.ID, scope, target, cl)
	if e != nil {
		return nil, e
	}
	req := tokens.AccessRequest{Subject: acct.ID, Audience: []string{target.ID}, ClientID: cl.ID, Scope: oauth.JoinScope(scope),
		AMR: subject.AMR, Groups: groups, Actor: cl.ID}
	if subject.AuthTime != 0 {
		req.AuthTime = time.Unix(subject.AuthTime, 0)
	}
	if oauth.HasScope(req.Scope, "email") {
		req.Email, req.EmailVerified = acct.Email, acct.EmailVerified
	}
	at, exp, err := a.Issuer.IssueAccessTTL(ctx, req, ttl)
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	a.auditAt(ctx, r.ip, "oauth.token_exchanged", acct.ID, cl.ID)
	return &tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(a.Now()).Seconds()),
		Scope: req.Scope, IssuedTokenType: oauth.TokenTypeAccessToken}, nil
}

// exchangeGroups applies the allowed groups of both apps, the one the
// token is for and the one acting, to the account, and returns the groups
// claim of the new token (the target's grantGroups answer).
func (a *Server) exchangeGroups(ctx context.Context, ip, accountID string, scope []string, target, actor store.Client) ([]string, *oauth.Error) {
	var groups []string
	for i, cl := range []store.Client{target, actor} {
		g, ok, err := a.grantGroups(ctx, cl, accountID, scope)
		if err != nil {
			return nil, oauth.ServerError(err)
		}
		if !ok {
			a.auditAt(ctx, ip, "app_access_denied", accountID, cl.ID)
			return nil, oauth.InvalidGrant(notInGroup().Description)
		}
		if i == 0 {
			groups = g
		}
	}
	return groups, nil
}

// exchangeTarget is the app named by audience.
func (a *Server) exchangeTarget(ctx context.Context, r *tokenRequest) (store.Client, *oauth.Error) {
	if r.get("resource") != "" {
		return store.Client{}, oauth.InvalidTarget("resource is not accepted here yet: API identifiers arrive with the APIs registry; " +
			"name the application the token is for with audience (its client_id).")
	}
	aud := r.get("audience")
	if aud == "" {
		return store.Client{}, oauth.InvalidRequest("audience is required: the client_id of the application the new token is for.")
	}
	target, err := a.client(ctx, aud)
	if isNotFound(err) {
		return store.Client{}, oauth.InvalidTarget("audience " + clip(aud, 40) + " is not a registered application.")
	}
	if err != nil {
		return store.Client{}, oauth.ServerError(err)
	}
	return target, nil
}

// exchangeSubject verifies a subject token: ours (signature, typ, issuer,
// lifetime, not revoked), an app's, for a user, and not itself exchanged.
func (a *Server) exchangeSubject(ctx context.Context, tok string) (*tokens.AccessClaims, *oauth.Error) {
	claims, err := a.Issuer.VerifyAccess(ctx, tok, tokens.AnyAudience)
	if err != nil {
		return nil, oauth.InvalidGrant("The subject token is invalid, expired or revoked.").WithCause(err)
	}
	switch {
	case claims.ClientID == "" || claims.ClientID == tokens.FirstPartyClientID:
		return nil, oauth.InvalidGrant("The subject token is not an application's access token.")
	case claims.Act != nil:
		return nil, oauth.InvalidGrant("The subject token is itself the result of an exchange; exchange the original token.")
	case claims.Subject == claims.ClientID:
		return nil, oauth.InvalidGrant("The subject token is an application's own (client_credentials) token; there is no user to act for.")
	}
	if _, err := a.client(ctx, claims.ClientID); isNotFound(err) {
		return nil, oauth.InvalidGrant("The subject token's application no longer exists.")
	} else if err != nil {
		return nil, oauth.ServerError(err)
	}
	return claims, nil
}

// narrowScope is the requested scope if it is within the subject's
// (none requested: the subject's own).
func narrowScope(requested, subject string) ([]string, *oauth.Error) {
	have := oauth.ParseScope(subject)
	if requested == "" {
		return have, nil
	}
	want := oauth.ParseScope(requested)
	for _, s := range want {
		if !oauth.HasScope(subject, s) {
			return nil, oauth.InvalidScope("Scope " + clip(s, 40) + " is not in the subject token's scope; an exchange can only narrow.")
		}
	}
	return want, nil
}

// accessTTL is the lifetime of cl's access tokens.
func (a *Server) accessTTL(cl store.Client) time.Duration {
	if cl.AccessTTL > 0 {
		return cl.AccessTTL
	}
	return a.Issuer.AccessTTL()
}
