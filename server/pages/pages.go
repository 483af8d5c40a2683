// Package pages serves Gatehouse's own pages: sign-in (/login, the
// upstream redirect and callback, the password form), sign-out and the
// account page (linked providers, password, authorized apps, API tokens,
// first-party tokens for the browser). Pages are server-rendered by the
// web render kit, work without JavaScript, and every form carries a CSRF
// token.
//
// The upstream sign-in flow:
//
//	GET /login/{p}           state := random; store PendingLogin{hash(state), provider session};
//	                         cookie state (HttpOnly, SameSite=Lax, short-lived); 302 upstream
//	GET /login/{p}/callback  query state == cookie state (constant time); take the pending row
//	                         (single use); Complete with a timeout; map to an account; session
//	                         cookie; 302 to the same-origin return path
//
// GET /invite/{token} checks the invite and shows the sign-in page; the
// token waits in an HttpOnly cookie under /login/ for the callback, where
// the sign-in that creates (or signs in) the account redeems it.
package pages

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"gatehouse/providers"
	"gatehouse/server/audit"
	"gatehouse/server/logout"
	"gatehouse/server/ratelimit"
	"gatehouse/server/session"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// Deps is what the pages need. All fields are required unless noted.
type Deps struct {
	Web              *web.Web
	Store            store.Store
	Sessions         *session.Manager
	Signin           *signin.Service
	Providers        []providers.Provider // in the order shown on /login
	IssuerURL        string               // our URL; upstream callbacks are under it
	PasswordsEnabled bool
	PendingTTL       time.Duration // how long an upstream sign-in may take
	UpstreamTimeout  time.Duration // bound on the callback's upstream calls
	SecureCookies    bool
	Now              func() time.Time
	Log              *slog.Logger
	// Issuer and Refresher mint first-party tokens for the signed-in
	// browser (POST /account/token).
	Issuer    *tokens.Issuer
	Refresher *tokens.Refresher
	// API token lifetimes for tokens made on /account.
	APITokenDefaultTTL time.Duration
	APITokenMaxTTL     time.Duration
	// Audit records events off the request path.
	Audit *audit.Writer
	// LoginLimit bounds sign-in starts (each writes a pending row) per
	// client address; nil: no limit.
	LoginLimit *ratelimit.Limiter
	// Logout tells the apps a session signed into when it ends
	// (back-channel logout); nil tells nobody.
	Logout *logout.Ender
}

// pages holds the page handlers.
type pages struct {
	d      Deps
	byName map[string]providers.Provider
}

// Register mounts the pages on e and returns the page group (sessions and
// CSRF protection) for other page routes. The upstream callback is a GET
// and is protected by state instead.
func Register(e *echo.Echo, d Deps) *echo.Group {
	w := &pages{d: d, byName: map[string]providers.Provider{}}
	for _, p := range d.Providers {
		w.byName[p.Name()] = p
	}
	g := e.Group("", d.Sessions.Middleware, layoutUser, middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:     csrfExempt,
		TokenLookup: "form:_csrf,header:X-CSRF-Token", CookieName: session.CookieName("gatehouse_csrf", d.SecureCookies), CookiePath: "/",
		CookieHTTPOnly: true, CookieSecure: d.SecureCookies, CookieSameSite: http.SameSiteLaxMode,
	}))
	g.GET("/", w.home)
	g.GET("/login", w.loginPage)
	g.POST("/login", w.passwordLogin)
	g.GET("/login/:provider", w.beginLogin)
	g.GET("/login/:provider/callback", w.callback)
	g.GET("/invite/:token", w.invitePage)
	g.POST("/logout", w.logout)
	g.GET("/account", w.account)
	g.POST("/account/link/:provider", w.beginLink)
	g.POST("/account/identities/:id/unlink", w.unlink)
	g.POST("/account/password", w.setPassword)
	g.POST("/account/token", w.sessionToken)
	g.POST("/account/apps/:client/revoke", w.revokeApp)
	g.POST("/account/api-tokens", w.createAPIToken)
	g.POST("/account/api-tokens/:id/revoke", w.revokeAPIToken)
	g.POST("/account/sessions/:sid/signout", w.signOutSession)
	g.POST("/account/sessions/signout-all", w.signOutEverywhere)
	return g
}

// layoutUser hands the session's user to the layout (web knows no
// sessions). It runs before the CSRF check, so a refused form's error page
// still shows who is signed in.
func layoutUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if cur := session.FromContext(c); cur != nil {
			web.SetUser(c, web.User{Username: cur.Account.Username, IsAdmin: cur.Account.IsAdmin})
		}
		return next(c)
	}
}

// csrfExempt names the one page route without the CSRF check: POST
// /oauth2/authorize, the authorization request sent as a form from the
// app's site (OIDC Core §3.1.2.1), which cannot carry our token. It changes
// nothing before consent (an answer at once goes only to the app's
// registered redirect URI, as for GET), and the consent post keeps its
// check. c.Path() is the matched route, not the raw URL.
//
// POST /oauth2/logout (RP-Initiated Logout) is sent from the app's site
// too; without a valid id_token_hint for this browser's session it only
// shows the confirmation form, which is checked.
func csrfExempt(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && (c.Path() == "/oauth2/authorize" || c.Path() == "/oauth2/logout")
}

func (w *pages) home(c echo.Context) error {
	if session.FromContext(c) != nil {
		return c.Redirect(http.StatusFound, "/account")
	}
	return c.Redirect(http.StatusFound, "/login")
}

// pageErr is a readable error page's error (web.PageError).
func pageErr(status int, title, msg string, cause error) *web.PageError {
	return &web.PageError{Status: status, Title: title, Message: msg, Err: cause}
}

// audit records a sign-in event (queued: the request does not wait for it).
func (w *pages) audit(c echo.Context, typ, accountID, provider, detail string) {
	w.d.Audit.Record(c.Request().Context(), w.event(c, typ, accountID, provider, detail))
}

// event is the audit event typ of this request.
func (w *pages) event(c echo.Context, typ, accountID, provider, detail string) store.AuditEvent {
	return store.AuditEvent{ID: store.NewID(), Time: w.d.Now(), Type: typ,
		AccountID: accountID, Provider: provider, IP: c.RealIP(), Detail: detail}
}

// change makes a change to the account and stores its audit event in one
// transaction (audit.Writer.Change): a crash cannot lose the event.
func (w *pages) change(c echo.Context, fn func(tx store.Store) error, typ, accountID, detail string) error {
	return w.d.Audit.Change(c.Request().Context(), func(tx store.Store) (store.AuditEvent, error) {
		return w.event(c, typ, accountID, "", detail), fn(tx)
	})
}
