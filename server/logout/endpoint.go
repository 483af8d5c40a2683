package logout

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/server/audit"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// Endpoint is RP-Initiated Logout 1.0: the end_session_endpoint.
type Endpoint struct {
	Store    store.Store
	Issuer   *tokens.Issuer
	Sessions *session.Manager
	Ender    *Ender
	Web      *web.Web
	Audit    *audit.Writer
}

// Register mounts GET|POST /oauth2/logout (an app sends the browser
// here; the POST comes from the app's site and carries no CSRF token, so
// the page group exempts it) and POST /oauth2/logout/confirm, the
// confirmation form (CSRF-protected).
func (e *Endpoint) Register(pages *echo.Group) {
	pages.GET("/oauth2/logout", e.logout)
	pages.POST("/oauth2/logout", e.logout)
	pages.POST("/oauth2/logout/confirm", e.confirm)
}

// request is a validated logout request.
type request struct {
	client   *store.Client // nil when the request names none
	redirect string        // a post_logout_redirect_uri registered on client, or ""
	state    string
	// hintSID and hintSub come from a valid id_token_hint.
	hintSID, hintSub string
	// dropped: a post_logout_redirect_uri was asked for but is not
	// registered (or no client was named), so there is no redirect.
	dropped bool
}

type pageData struct {
	web.Page
	AppName, Username string
	Hidden            []web.HiddenField
	SignedOut         bool
	Note              string
}

// logout: parse and validate → the current session is the hint's: end it;
// no session: nothing to end; otherwise ask.
func (e *Endpoint) logout(c echo.Context) error {
	r, err := e.parse(c, true)
	if err != nil {
		return err
	}
	cur := session.FromContext(c)
	switch {
	case cur == nil:
		return e.done(c, r, true)
	case r.hintSID != "" && r.hintSID == tokens.SID(cur.Session.ID) && r.hintSub == cur.Account.ID:
		if err := e.end(c, cur); err != nil {
			return err
		}
		return e.done(c, r, true)
	}
	d := pageData{Page: web.PageFor(c), Username: cur.Account.Username, Hidden: r.hidden()}
	if r.client != nil {
		d.AppName = r.client.Name
	}
	return e.Web.Render(c, http.StatusOK, "logout", d)
}

// confirm is the confirmation form's answer. The request is validated
// again from the form: nothing in it is trusted for having been ours.
func (e *Endpoint) confirm(c echo.Context) error {
	r, err := e.parse(c, false)
	if err != nil {
		return err
	}
	if c.FormValue("decision") != "logout" {
		return e.Web.Render(c, http.StatusOK, "loggedout", pageData{Page: web.PageFor(c)})
	}
	if cur := session.FromContext(c); cur != nil {
		if err := e.end(c, cur); err != nil {
			return err
		}
	}
	return e.done(c, r, true)
}

// end ends the browser session like POST /logout, and tells its apps.
func (e *Endpoint) end(c echo.Context, cur *session.Current) error {
	ctx := c.Request().Context()
	notices, err := e.Ender.Notices(ctx, cur.Session)
	if err != nil {
		return err
	}
	if err := e.Sessions.Destroy(c); err != nil {
		return err
	}
	e.Ender.Send(notices)
	e.Audit.Record(ctx, store.AuditEvent{ID: store.NewID(), Time: e.Sessions.Now(), Type: "logout",
		AccountID: cur.Account.ID, IP: c.RealIP(), Detail: store.Detail("via", "end_session")})
	return nil
}

// done sends the browser to the registered post_logout_redirect_uri with
// state, or shows the signed-out page.
func (e *Endpoint) done(c echo.Context, r *request, signedOut bool) error {
	if r.redirect == "" {
		d := pageData{Page: web.PageFor(c), SignedOut: signedOut}
		d.Page.User = nil
		if r.dropped {
			d.Note = "The app's return address is not registered with Gatehouse, so you stay here."
		}
		return e.Web.Render(c, http.StatusOK, "loggedout", d)
	}
	u, _ := url.Parse(r.redirect) // parsed when it was registered
	if r.state != "" {
		q := u.Query()
		q.Set("state", r.state)
		u.RawQuery = q.Encode()
	}
	return c.Redirect(http.StatusFound, u.String())
}

func (r *request) hidden() []web.HiddenField {
	var kv []string
	if r.client != nil {
		kv = append(kv, "client_id", r.client.ID)
	}
	if r.redirect != "" {
		kv = append(kv, "post_logout_redirect_uri", r.redirect)
	}
	if r.state != "" {
		kv = append(kv, "state", r.state)
	}
	return web.Hidden(kv...)
}

// registered reports whether uri is exactly one of cl's post-logout URIs.
func registered(cl *store.Client, uri string) bool {
	return cl != nil && slices.Contains(cl.PostLogoutRedirectURIs, uri)
}
