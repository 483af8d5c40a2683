package authz

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// authorize is GET|POST /oauth2/authorize.
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
	if a.needsLogin(r, cur) {
		if r.Prompt["none"] {
			return a.redirectErr(c, &redirectError{r, oauth.LoginRequired("The user is not signed in.")})
		}
		return a.toLogin(c, r)
	}
	granted, err := a.consented(c, r, cur.Account.ID)
	if err != nil {
		return err
	}
	if granted && !r.Prompt["consent"] {
		return a.issue(c, r, cur)
	}
	if r.Prompt["none"] {
		return a.redirectErr(c, &redirectError{r, oauth.ConsentRequired("The user has not approved this application.")})
	}
	return c.Redirect(http.StatusFound, "/consent?"+r.Params.Encode())
}

// needsLogin: no session, or prompt=login / max_age ask for a fresher one.
func (a *Server) needsLogin(r *authRequest, cur *session.Current) bool {
	if cur == nil {
		return true
	}
	authTime := cur.Session.AuthTime
	if r.AuthAfter > 0 {
		return authTime.Unix() < r.AuthAfter
	}
	if r.Prompt["login"] || r.Prompt["select_account"] {
		return true
	}
	return r.MaxAge >= 0 && a.Now().After(authTime.Add(time.Duration(r.MaxAge)*time.Second))
}

// toLogin sends the browser to sign in and back. A forced re-login
// (prompt=login, max_age) is carried as auth_after, so the round trip does
// not loop.
func (a *Server) toLogin(c echo.Context, r *authRequest) error {
	p := url.Values{}
	for k, v := range r.Params {
		p[k] = v
	}
	if session.FromContext(c) != nil || r.Prompt["login"] || r.MaxAge >= 0 {
		p.Del("prompt")
		p.Set("auth_after", strconv.FormatInt(a.Now().Unix(), 10))
	}
	back := "/oauth2/authorize?" + p.Encode()
	return c.Redirect(http.StatusFound, "/login?return_to="+url.QueryEscape(back))
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
	return subset(r.Scope, parseScope(cons.Scope)), nil
}

// issue answers the request: a code, or (implicit) an access token.
func (a *Server) issue(c echo.Context, r *authRequest, cur *session.Current) error {
	ctx := c.Request().Context()
	now := a.Now()
	if r.ResponseType == "token" {
		tok, exp, err := a.Issuer.IssueAccessTTL(ctx, a.accessRequest(r.Client, cur.Account.ID, joinScope(r.Scope), cur.Session.AuthTime, cur.Session.AMR), r.Client.AccessTTL)
		if err != nil {
			return err
		}
		return a.respond(c, r, url.Values{"access_token": {tok}, "token_type": {"Bearer"},
			"expires_in": {strconv.FormatInt(int64(exp.Sub(now).Seconds()), 10)}, "scope": {joinScope(r.Scope)}})
	}
	code := tokens.RandomToken()
	ac := &store.AuthCode{ID: tokens.HashToken(code), ClientID: r.Client.ID, AccountID: cur.Account.ID, RedirectURI: r.RedirectURI,
		Scope: joinScope(r.Scope), Nonce: r.Nonce, CodeChallenge: r.Challenge, CodeChallengeMethod: r.Method,
		AMR: cur.Session.AMR, AuthTime: cur.Session.AuthTime, CreatedAt: now, ExpiresAt: now.Add(a.CodeTTL)}
	if err := a.Store.CreateAuthCode(ctx, ac); err != nil {
		return err
	}
	return a.respond(c, r, url.Values{"code": {code}})
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
