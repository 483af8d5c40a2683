package authz

import (
	"context"
	"errors"
	"slices"

	"gatehouse/providers"
	"gatehouse/server/oauth"
	"gatehouse/server/signin"
	"gatehouse/store"
)

// exchangeGrant is RFC 8693 token exchange, in two forms told apart by the
// provider parameter:
//
//   - with provider, the subject token is an upstream access token: the
//     provider proves it was issued to Gatehouse (providers.TokenVerifier,
//     the login API's check), the identity goes through the sign-in rules
//     of a browser sign-in (signin.Resolve: admission, sign-up policy), and
//     the answer is the calling app's own access token (exchangeUpstream);
//   - without, the subject token is one of our access tokens, issued to
//     any app, narrowed for another app (exchangeOwn).
//
// Either way the answer is one access token: no refresh token (the app
// exchanges again when it needs one) and no id_token. Only confidential
// apps exchange; an operator enables the grant (apps.operatorOnly).
// actor_token is not supported: the calling app is the actor.
func (a *Server) exchangeGrant(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	if cl.Public {
		// apps.Validate refuses the grant for public apps; this catches
		// rows from before that rule.
		return nil, oauth.UnauthorizedClient("Public clients cannot exchange tokens.")
	}
	if e := checkExchange(r); e != nil {
		return nil, e
	}
	if r.get("provider") != "" {
		return a.exchangeUpstream(ctx, r, cl)
	}
	return a.exchangeOwn(ctx, r, cl)
}

// checkExchange validates what both forms share: an access token as the
// subject, no actor, an access token asked for.
func checkExchange(r *tokenRequest) *oauth.Error {
	typ := r.get("subject_token_type")
	switch {
	case r.get("actor_token") != "" || r.get("actor_token_type") != "":
		return oauth.InvalidRequest("actor_token is not supported: the authenticated application is the actor.")
	case r.get("subject_token") == "":
		return oauth.InvalidRequest("subject_token is required.")
	case typ == "":
		return oauth.InvalidRequest("subject_token_type is required.")
	case typ == oauth.TokenTypeIDToken:
		return oauth.InvalidRequest("An id_token cannot be exchanged; present an access token.")
	case typ != oauth.TokenTypeAccessToken:
		return oauth.InvalidRequest("subject_token_type must be " + oauth.TokenTypeAccessToken + ".")
	}
	if rt := r.get("requested_token_type"); rt != "" && rt != oauth.TokenTypeAccessToken {
		return oauth.InvalidRequest("requested_token_type: only " + oauth.TokenTypeAccessToken + " can be issued.")
	}
	return nil
}

// exchangeUpstream is form (a): an upstream access token of a provider
// the app may exchange, for the app's own access token. The scope is what
// the app asks for, within its scopes (none when it asks for none).
func (a *Server) exchangeUpstream(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	name := r.get("provider")
	if r.get("audience") != "" || r.get("resource") != "" {
		return nil, oauth.InvalidTarget("An upstream token is exchanged for this application's own token; audience and resource are not accepted with provider.")
	}
	tv, e := a.exchangeVerifier(cl, name)
	if e != nil {
		return nil, e
	}
	scope, e := a.appScope(cl, r.get("scope"))
	if e != nil {
		return nil, e
	}
	id, err := tv.VerifyAccessToken(ctx, r.get("subject_token"))
	if err != nil {
		return nil, verifyRefused(name, err)
	}
	acct, _, err := a.Signin.Resolve(ctx, signin.Request{Provider: name, Identity: id, IP: r.ip})
	if _, msg, ok := signin.Refusal(err); ok {
		return nil, oauth.InvalidGrant(msg).WithCause(err) // audited by Resolve
	}
	if errors.Is(err, signin.ErrDisabled) {
		return nil, oauth.InvalidGrant("The account is unavailable.")
	}
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	a.auditAt(ctx, r.ip, "oauth.token_exchanged", acct.ID, cl.ID)
	return a.respondUser(ctx, userTokens{client: cl, account: acct, scope: scope, authTime: a.Now(), amr: name,
		ip: r.ip, accessOnly: true})
}

// exchangeVerifier is the TokenVerifier of the provider instance name, if
// the app may exchange its tokens and it can prove their audience.
func (a *Server) exchangeVerifier(cl store.Client, name string) (providers.TokenVerifier, *oauth.Error) {
	if !slices.Contains(cl.ExchangeProviders, name) {
		return nil, oauth.UnauthorizedClient("This application may not exchange tokens of provider " + clip(name, 40) + ".")
	}
	p, ok := a.Providers[name]
	if !ok {
		return nil, oauth.InvalidRequest("Provider " + clip(name, 40) + " is not configured.")
	}
	tv, ok := providers.As[providers.TokenVerifier](p)
	if !ok {
		return nil, oauth.InvalidRequest("Provider " + name + " cannot prove a token was issued to this server.")
	}
	return tv, nil
}

// verifyRefused answers a failed upstream check in the token endpoint's
// terms (providers.ClassifyVerify draws the line for every caller): the
// client's token → invalid_grant, a provider that cannot check it →
// invalid_request, the upstream failing → server_error.
func verifyRefused(name string, err error) *oauth.Error {
	kind, msg := providers.ClassifyVerify(name, err)
	switch kind {
	case providers.VerifyNotIssuedToUs, providers.VerifyRejected, providers.VerifyMissingScope:
		return oauth.InvalidGrant(msg).WithCause(err)
	case providers.VerifyCannotProve:
		return oauth.InvalidRequest(msg).WithCause(err)
	}
	return oauth.ServerError(err)
}

// appScope is the requested scope, each known and allowed to the app.
func (a *Server) appScope(cl store.Client, requested string) ([]string, *oauth.Error) {
	scope := oauth.ParseScope(requested)
	for _, s := range scope {
		if !a.Scopes.Known(s) || !slices.Contains(cl.Scopes, s) {
			return nil, oauth.InvalidScope("Scope " + clip(s, 40) + " is unknown or not allowed for this application.")
		}
	}
	return scope, nil
}
