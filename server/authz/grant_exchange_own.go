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
// another app or a registered API, so a service can call the next one on
// the user's behalf with no more than it was given:
//
//   - audience names the app the new token is for (its client_id: aud),
//     or resource the API (its identifier: aud); not both;
//   - scope ⊆ the subject token's scope (none asked: the same scope) and,
//     for an API, ⊆ the scopes it defines (none asked: those of the
//     subject's it defines; none in common is invalid_scope);
//   - sub is the subject's, client_id the calling app's, and act names
//     the calling app (§4.1);
//   - it expires no later than the subject token, nor than the target's
//     own lifetime (the API's, else the calling app's);
//   - an exchanged token (one with act) is not exchanged again: one hop,
//     so no chain of services stretches a grant the user gave one app;
//   - a first-party token, a client's own (client_credentials) token, an
//     expired or revoked one, or one of a disabled account is refused.
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
	scope, e := target.narrow(r.get("scope"), subject.Scope)
	if e != nil {
		return nil, e
	}
	ttl := subject.ExpiresAt.Sub(a.Now())
	if ttl < time.Second {
		return nil, oauth.InvalidGrant("The subject token has expired.")
	}
	ttl = min(ttl, target.ttl(a.accessTTL(cl)))
	groups, e := a.exchangeGroups(ctx, r.ip, acct.ID, scope, append(target.apps(), cl))
	if e != nil {
		return nil, e
	}
	req := tokens.AccessRequest{Subject: acct.ID, Audience: []string{target.audience()}, ClientID: cl.ID, Scope: oauth.JoinScope(scope),
		AMR: subject.AMR, Groups: groups, Actor: cl.ID}
	if subject.AuthTime != 0 {
		req.AuthTime = time.Unix(subject.AuthTime, 0)
	}
	if target.api == nil && oauth.HasScope(req.Scope, "email") { // an API gets no address the user gave the app
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

// exchangeGroups applies the allowed groups of apps (the one the token is
// for, if it is for an app, then the one acting) to the account, and
// returns the groups claim of the new token: the first app's grantGroups
// answer.
func (a *Server) exchangeGroups(ctx context.Context, ip, accountID string, scope []string, apps []store.Client) ([]string, *oauth.Error) {
	var groups []string
	for i, cl := range apps {
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

// exchangeTo is what an exchanged token is for: an app (audience) or an
// API (resource), exactly one of them set.
type exchangeTo struct {
	app *store.Client
	api *store.API
}

func (t exchangeTo) audience() string {
	if t.api != nil {
		return t.api.Identifier
	}
	return t.app.ID
}

// apps is the target app whose allowed groups apply (none for an API).
func (t exchangeTo) apps() []store.Client {
	if t.app == nil {
		return nil
	}
	return []store.Client{*t.app}
}

// ttl caps the new token's lifetime: an API's own when it has one, else
// the calling app's (actorTTL).
func (t exchangeTo) ttl(actorTTL time.Duration) time.Duration {
	if t.api != nil && t.api.AccessTTL > 0 {
		return t.api.AccessTTL
	}
	return actorTTL
}

// narrow is the new token's scope: within the subject's and, for an API,
// within the scopes the API defines.
func (t exchangeTo) narrow(requested, subject string) ([]string, *oauth.Error) {
	if t.api == nil {
		return narrowScope(requested, subject)
	}
	if requested == "" { // the subject's scopes this API defines
		var mine []string
		for _, s := range oauth.ParseScope(subject) {
			if apiScope(t.api, s) {
				mine = append(mine, s)
			}
		}
		if len(mine) == 0 {
			return nil, oauth.InvalidScope("The subject token has no scope " + clip(t.api.Identifier, 100) + " defines.")
		}
		return mine, nil
	}
	scope, e := narrowScope(requested, subject)
	if e != nil {
		return nil, e
	}
	for _, s := range scope {
		if !apiScope(t.api, s) {
			return nil, oauth.InvalidScope("Scope " + clip(s, 40) + " is not defined by " + clip(t.api.Identifier, 100) + ".")
		}
	}
	return scope, nil
}

// exchangeTarget is the app named by audience or the API named by
// resource (RFC 8707: one, registered).
func (a *Server) exchangeTarget(ctx context.Context, r *tokenRequest) (exchangeTo, *oauth.Error) {
	aud := r.get("audience")
	if r.form.Has("resource") {
		if aud != "" {
			return exchangeTo{}, oauth.InvalidRequest("Send audience (an application's client_id) or resource (an API's identifier), not both.")
		}
		api, e := a.resourceOf(ctx, r.form["resource"])
		if e == nil && api == nil { // resource= with no value
			e = oauth.InvalidTarget("resource is empty: name the API's identifier.")
		}
		return exchangeTo{api: api}, e
	}
	if aud == "" {
		return exchangeTo{}, oauth.InvalidRequest("audience (the client_id of the application the new token is for) or resource (an API's identifier) is required.")
	}
	target, err := a.client(ctx, aud)
	if isNotFound(err) {
		return exchangeTo{}, oauth.InvalidTarget("audience " + clip(aud, 40) + " is not a registered application.")
	}
	if err != nil {
		return exchangeTo{}, oauth.ServerError(err)
	}
	return exchangeTo{app: &target}, nil
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
