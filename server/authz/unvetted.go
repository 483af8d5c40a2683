package authz

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/web"
)

// Apps no operator vetted (registered by a non-admin on /apps or through
// RFC 7591 registration) do not get automatic error redirects: anyone who
// may register an app could otherwise send people to any address of theirs
// through a link to our /oauth2/authorize that fails on purpose (RFC 9700
// §4.11.2, open redirector). The user gets a page instead, with the
// error response as a plain link they may follow.

// errorPageData fills the "error" page; Back is the link to the app.
type errorPageData struct {
	web.Page
	Title, Message string
	// Back is template.URL so that private-use schemes of native apps
	// (com.example.app:/cb) survive html/template's URL filter; it is a
	// redirect URI the app registered, extended with our own parameters.
	Back      template.URL
	BackLabel string
}

// unvettedErrorPage shows the authorization error v of request r as a page
// with a link to the app's redirect URI instead of redirecting.
func (a *Server) unvettedErrorPage(c echo.Context, r *authRequest, v url.Values) error {
	if !oauth.ValidRedirectURI(r.RedirectURI) {
		// Never reached (registration checks every redirect URI), but the
		// link below bypasses html/template's URL filter: check again.
		return badRequestPage("The application's request was refused, and its return address is not one this server sends people to.")
	}
	a.addStateIss(r, v)
	back, err := redirectURL(r, v)
	if err != nil {
		return err
	}
	host := "the app"
	if u, err := url.Parse(r.RedirectURI); err == nil && u.Host != "" {
		host = u.Host
	}
	return a.Web.Render(c, http.StatusBadRequest, "error", errorPageData{Page: web.PageFor(c),
		Title: "The app's request was refused",
		Message: fmt.Sprintf("%q asked for something this server cannot give it (%s). You were not sent back to it automatically; "+
			"if you trust the app, you may return to it with this answer.", r.Client.Name, v.Get("error")),
		Back: template.URL(back), BackLabel: "Return to " + host})
}
