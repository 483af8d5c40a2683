package authz

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// authorize is GET|POST /oauth2/authorize. A request answered at once
// (a code, an error, prompt=none) leaves nothing behind; one that needs the
// user to sign in or to decide becomes a pending row, and only its ID
// travels on (see pending.go).
func (a *Server) authorize(c echo.Context) error {
	r, err := a.parseAuthorize(c)
	var re *redirectError
	if errors.As(err, &re) {
		return a.redirectErr(c, re)
	}
	if err != nil {
		return err
	}
	cur := session.FromContext(c)
	after := a.loginAfter(r)
	signIn := needsSignIn(cur, after)
	if r.Prompt["none"] {
		if signIn {
			return a.redirectErr(c, &redirectError{r, oauth.LoginRequired("The user is not signed in.")})
		}
		granted, err := a.consented(c, r, cur.Account.ID)
		if err != nil {
			return err
		}
		if !granted {
			return a.redirectErr(c, &redirectError{r, oauth.ConsentRequired("The user has not approved this application.")})
		}
		return a.issue(c, r, cur)
	}
	if !signIn && !r.Prompt["consent"] {
		granted, err := a.consented(c, r, cur.Account.ID)
		if err != nil {
			return err
		}
		if granted {
			return a.issue(c, r, cur)
		}
	}
	return a.startPending(c, r, after)
}

// loginAfter is the instant a sign-in must be no older than, or nil:
// prompt=login (and select_account, which has no chooser here) demand a
// sign-in after this request, max_age one within max_age seconds.
func (a *Server) loginAfter(r *authRequest) *time.Time {
	now := a.Now()
	switch {
	case r.Prompt["login"] || r.Prompt["select_account"]:
		return &now
	case r.MaxAge >= 0:
		t := now.Add(-time.Duration(r.MaxAge) * time.Second)
		return &t
	}
	return nil
}

// needsSignIn: no session, or one signed in before after.
func needsSignIn(cur *session.Current, after *time.Time) bool {
	return cur == nil || (after != nil && cur.Session.AuthTime.Before(*after))
}

// consented reports whether the user already granted every requested scope.
func (a *Server) consented(c echo.Context, r *authRequest, accountID string) (bool, error) {
	cons, err := a.Store.GetConsent(c.Request().Context(), accountID, r.Client.ID)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return oauth.SubsetOf(consentScopes(r), oauth.ParseScope(cons.Scope)), nil
}

// issue answers the request: a code, or (implicit) an access token; or
// access_denied for an account outside the app's allowed groups.
func (a *Server) issue(c echo.Context, r *authRequest, cur *session.Current) error {
	if refused, err := a.refuseOutsider(c, r, cur.Account.ID); refused {
		return err
	}
	// Back-channel logout tells every app this session signed into.
	if err := a.Store.AddSessionClient(c.Request().Context(), cur.Session.ID, r.Client.ID); err != nil {
		return err
	}
	if r.ResponseType == "token" {
		return a.issueImplicit(c, r, cur)
	}
	ctx := c.Request().Context()
	now := a.Now()
	code := tokens.RandomToken()
	ac := &store.AuthCode{ID: tokens.HashToken(code), ClientID: r.Client.ID, AccountID: cur.Account.ID, RedirectURI: r.RedirectURI,
		Scope: oauth.JoinScope(r.Scope), Nonce: r.Nonce, CodeChallenge: r.Challenge, CodeChallengeMethod: r.Method,
		AMR: cur.Session.AMR, SID: tokens.SID(cur.Session.ID), AuthTime: cur.Session.AuthTime, CreatedAt: now, ExpiresAt: now.Add(a.CodeTTL)}
	if r.API != nil {
		ac.Resource = r.API.Identifier
	}
	if err := a.Store.CreateAuthCode(ctx, ac); err != nil {
		return err
	}
	return a.respond(c, r, url.Values{"code": {code}})
}

// issueImplicit answers response_type=token with an access token.
func (a *Server) issueImplicit(c echo.Context, r *authRequest, cur *session.Current) error {
	ctx := c.Request().Context()
	groups, _, err := a.grantGroups(ctx, r.Client, cur.Account.ID, r.Scope) // access checked by issue
	if err != nil {
		return err
	}
	req := a.accessRequest(r.Client, cur.Account.ID, oauth.JoinScope(r.Scope), cur.Session.AuthTime, cur.Session.AMR)
	req.Groups = groups
	ttl := forAPI(&req, r.API, r.Client.AccessTTL)
	tok, exp, err := a.Issuer.IssueAccessTTL(ctx, req, ttl)
	if err != nil {
		return err
	}
	return a.respond(c, r, url.Values{"access_token": {tok}, "token_type": {"Bearer"},
		"expires_in": {strconv.FormatInt(int64(exp.Sub(a.Now()).Seconds()), 10)}, "scope": {oauth.JoinScope(r.Scope)}})
}

// accessRequest is the access token every grant issues for a user.
func (a *Server) accessRequest(cl store.Client, subject, scope string, authTime time.Time, amr string) tokens.AccessRequest {
	// aud is the app alone: an app's token is not for Gatehouse's own API.
	r := tokens.AccessRequest{Subject: subject, Audience: []string{cl.ID}, ClientID: cl.ID, Scope: scope, AuthTime: authTime}
	if amr != "" {
		r.AMR = []string{amr}
	}
	return r
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
