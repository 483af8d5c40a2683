package pages

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/providers"
	"gatehouse/server/logout"
	"gatehouse/server/ratelimit"
	"gatehouse/server/session"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

const stateCookie = "gatehouse_state"

// providerView is a provider as the pages show it. Asks lists the upstream
// scopes it requests in plain words, or is "" when it does not say.
type providerView struct{ Name, DisplayName, Asks string }

type loginData struct {
	web.Page
	Providers        []providerView
	PasswordsEnabled bool
	ReturnTo         string            // validated (safeReturnTo): the provider links carry it
	Hidden           []web.HiddenField // the password form's return_to
	Username         string
	Message          string
	Invited          bool // opened through an invite link
}

func (w *pages) providerViews(skip map[string]bool) []providerView {
	var out []providerView
	for _, p := range w.d.Providers {
		if !skip[p.Name()] {
			out = append(out, providerView{Name: p.Name(), DisplayName: p.DisplayName(), Asks: asks(p)})
		}
	}
	return out
}

// asks describes the upstream scopes p requests, for providers that
// describe them (providers.ScopeDescriber): "" for the others.
func asks(p providers.Provider) string {
	sd, ok := providers.As[providers.ScopeDescriber](p)
	if !ok {
		return ""
	}
	var words []string
	for _, sc := range sd.Scopes() {
		words = append(words, cmp.Or(sc.Description, sc.Name))
	}
	return strings.Join(words, "; ")
}

func (w *pages) loginPage(c echo.Context) error {
	return w.renderLogin(c, http.StatusOK, "", "")
}

func (w *pages) renderLogin(c echo.Context, status int, username, msg string) error {
	return w.renderLoginWith(c, status, loginData{Username: username, Message: msg})
}

// renderLoginWith renders the sign-in page with d's fields for this page.
func (w *pages) renderLoginWith(c echo.Context, status int, d loginData) error {
	rt := web.SafeReturnTo(c.FormValue("return_to"))
	d.Page, d.Providers, d.PasswordsEnabled, d.ReturnTo = web.PageFor(c), w.providerViews(nil), w.d.PasswordsEnabled, rt
	if rt != "" {
		d.Hidden = web.Hidden("return_to", rt)
	}
	return w.d.Web.Render(c, status, "login", d)
}

// passwordLogin is POST /login: the local password form.
func (w *pages) passwordLogin(c echo.Context) error {
	if !w.d.PasswordsEnabled {
		return pageErr(http.StatusNotFound, "Page not found", "Password sign-in is not enabled.", nil)
	}
	username, pw := strings.TrimSpace(c.FormValue("username")), c.FormValue("password")
	if username == "" || pw == "" || len(username) > 200 {
		return w.renderLogin(c, http.StatusBadRequest, username, "Enter your username and password.")
	}
	acct, ok, err := w.d.Signin.CheckPassword(c.Request().Context(), username, pw, c.RealIP())
	if errors.Is(err, signin.ErrRateLimited) {
		ratelimit.SetRetryAfter(c, w.d.Signin.RetryAfter())
		return w.renderLogin(c, http.StatusTooManyRequests, username, "Too many sign-in attempts. Wait a few minutes and try again.")
	}
	if err != nil {
		return err
	}
	if !ok {
		w.audit(c, "login_failed", acct.ID, "pwd", store.Detail("reason", "bad_credentials"))
		return w.renderLogin(c, http.StatusUnauthorized, username, "Unable to sign in with those credentials.")
	}
	if err := w.d.Sessions.Create(c, acct.ID, "pwd"); err != nil {
		return err
	}
	w.audit(c, "login", acct.ID, "pwd", "")
	return c.Redirect(http.StatusFound, cmp.Or(web.SafeReturnTo(c.FormValue("return_to")), "/account"))
}

// beginLogin is GET /login/{provider}.
func (w *pages) beginLogin(c echo.Context) error {
	p, err := w.provider(c)
	if err != nil {
		return err
	}
	return w.redirectUpstream(c, p, web.SafeReturnTo(c.QueryParam("return_to")), "")
}

// redirectUpstream starts an upstream authorization bound to this browser:
// the state goes into a cookie, its hash keys the server-side pending row.
func (w *pages) redirectUpstream(c echo.Context, p providers.Provider, returnTo, linkTo string) error {
	if !w.d.LoginLimit.Allow(c) {
		return tooManyStarts()
	}
	ctx := c.Request().Context()
	state := tokens.RandomToken()
	start, err := p.BeginAuth(ctx, state, providers.LoginCallbackURL(w.d.IssuerURL, p.Name()))
	if errors.Is(err, providers.ErrRetryLater) {
		return pageErr(http.StatusBadGateway, "Sign-in unavailable", p.DisplayName()+" did not answer properly a moment ago, "+
			"so Gatehouse waits a little before asking it again. Please try again in a minute.", err)
	}
	if err != nil {
		return pageErr(http.StatusBadGateway, "Sign-in unavailable", "Could not start sign-in with "+p.DisplayName()+".", err)
	}
	now := w.d.Now()
	pl := &store.PendingLogin{ID: tokens.HashToken(state), Provider: p.Name(), Session: start.Session,
		ReturnTo: returnTo, LinkAccountID: linkTo, CreatedAt: now, ExpiresAt: now.Add(w.d.PendingTTL)}
	if err := w.d.Store.CreatePendingLogin(ctx, pl); err != nil {
		return err
	}
	w.setStateCookie(c, state, int(w.d.PendingTTL.Seconds()))
	return c.Redirect(http.StatusFound, start.URL)
}

// tooManyStarts answers a sign-in start over its address's limit (the
// limiter has set Retry-After).
func tooManyStarts() error {
	return pageErr(ratelimit.Status, "Too many sign-in attempts",
		"Too many sign-ins were started from your network. Wait a few minutes and try again.", nil)
}

func (w *pages) setStateCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: stateCookie, Value: value, Path: "/login/", MaxAge: maxAge,
		HttpOnly: true, Secure: w.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// callback is GET /login/{provider}/callback.
func (w *pages) callback(c echo.Context) error {
	p, err := w.provider(c)
	if err != nil {
		return err
	}
	pl, err := w.takePending(c, p)
	if err != nil {
		return err
	}
	id, err := w.complete(c, p, pl)
	if err != nil {
		return err
	}
	return w.finish(c, p, pl, id)
}

// takePending checks state against the browser's cookie and spends the
// pending login. Every failure is the same refusal: no redirect, no detail.
func (w *pages) takePending(c echo.Context, p providers.Provider) (store.PendingLogin, error) {
	state := c.QueryParam("state")
	ck, _ := c.Cookie(stateCookie)
	w.setStateCookie(c, "", -1)
	refuse := func(reason string, cause error) error {
		// Refusals write an audit event for anyone who asks: they spend
		// the sign-in start budget (successful callbacks do not).
		if !w.d.LoginLimit.Allow(c) {
			return tooManyStarts()
		}
		w.audit(c, "login_failed", "", p.Name(), store.Detail("reason", reason))
		return pageErr(http.StatusBadRequest, "Sign-in could not be verified",
			"This sign-in link is invalid, expired or was already used. Start again from the sign-in page.", cause)
	}
	if state == "" || ck == nil || subtle.ConstantTimeCompare([]byte(state), []byte(ck.Value)) != 1 {
		return store.PendingLogin{}, refuse("state_mismatch", nil)
	}
	pl, err := w.d.Store.TakePendingLogin(c.Request().Context(), tokens.HashToken(state), w.d.Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.PendingLogin{}, refuse("state_unknown", err)
	}
	if err != nil {
		return store.PendingLogin{}, err
	}
	if pl.Provider != p.Name() {
		return store.PendingLogin{}, refuse("provider_mismatch", nil)
	}
	return pl, nil
}

// complete runs the upstream half (code exchange, profile) under a timeout.
func (w *pages) complete(c echo.Context, p providers.Provider, pl store.PendingLogin) (providers.Identity, error) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), w.d.UpstreamTimeout)
	defer cancel()
	id, err := p.Complete(ctx, pl.Session, c.QueryParams(), providers.LoginCallbackURL(w.d.IssuerURL, p.Name()))
	if err == nil {
		return id, nil
	}
	reason, status, msg := "upstream_error", http.StatusBadGateway, p.DisplayName()+" did not complete the sign-in. Try again later."
	var missing *providers.MissingScopeError
	switch {
	case errors.Is(err, providers.ErrAccessDenied):
		reason, status, msg = "access_denied", http.StatusForbidden, "You declined the sign-in at "+p.DisplayName()+"."
	case errors.As(err, &missing): // the user can fix this one
		reason, status = "missing_scope", http.StatusForbidden
		msg = p.DisplayName() + " did not grant " + missing.Scope + ", which this Gatehouse needs " + missing.Why + "; sign in again and grant it."
	}
	w.d.Log.Warn("upstream sign-in failed", "provider", p.Name(), "err", err)
	w.audit(c, "login_failed", pl.LinkAccountID, p.Name(), store.Detail("reason", reason))
	return providers.Identity{}, pageErr(status, "Sign-in failed", msg, err)
}

// finish maps the identity to an account and signs the browser in (or, for
// a link, returns to the account page).
func (w *pages) finish(c echo.Context, p providers.Provider, pl store.PendingLogin, id providers.Identity) error {
	if pl.LinkAccountID != "" {
		if cur := session.FromContext(c); cur == nil || cur.Account.ID != pl.LinkAccountID {
			return pageErr(http.StatusBadRequest, "Link refused", "Sign in again, then link the provider from your account page.", nil)
		}
	}
	req := signin.Request{Provider: p.Name(), Identity: id, LinkTo: pl.LinkAccountID, IP: c.RealIP()}
	if pl.LinkAccountID == "" {
		req.InviteHash = inviteHash(c)
	}
	acct, _, err := w.d.Signin.Resolve(c.Request().Context(), req)
	if title, msg, ok := signin.Refusal(err); ok {
		return pageErr(http.StatusForbidden, title, msg, err)
	}
	switch {
	case errors.Is(err, signin.ErrLinkedElsewhere):
		return pageErr(http.StatusConflict, "Already linked", "That "+p.DisplayName()+" account is linked to another Gatehouse account.", err)
	case errors.Is(err, signin.ErrDisabled):
		return pageErr(http.StatusForbidden, "Account disabled", "This account is disabled.", err)
	case err != nil:
		return err
	}
	if pl.LinkAccountID != "" {
		return c.Redirect(http.StatusFound, "/account?msg=linked")
	}
	if req.InviteHash != "" {
		w.setInviteCookie(c, "", -1) // spent, or of no use to this account
	}
	if err := w.d.Sessions.Create(c, acct.ID, p.Name()); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, cmp.Or(pl.ReturnTo, "/account"))
}

func (w *pages) logout(c echo.Context) error {
	var notices []logout.Notice
	if cur := session.FromContext(c); cur != nil {
		w.audit(c, "logout", cur.Account.ID, "", "")
		var err error
		if notices, err = w.d.Logout.Notices(c.Request().Context(), cur.Session); err != nil {
			return err
		}
	}
	if err := w.d.Sessions.Destroy(c); err != nil {
		return err
	}
	w.d.Logout.Send(notices)
	return c.Redirect(http.StatusFound, "/login")
}

func (w *pages) provider(c echo.Context) (providers.Provider, error) {
	p, ok := w.byName[c.Param("provider")]
	if !ok {
		return nil, pageErr(http.StatusNotFound, "Unknown provider", "There is no sign-in provider by that name.", nil)
	}
	return p, nil
}
