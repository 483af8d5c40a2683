package apps

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/audit"
	"gatehouse/server/oauth"
	"gatehouse/server/session"
	"gatehouse/store"
	"gatehouse/web"
)

// Pages are the app-management pages under /apps.
type Pages struct {
	Store  store.Store
	Web    *web.Web
	Scopes *oauth.Scopes
	// AdminsOnly restricts registering apps to administrators.
	AdminsOnly bool
	Now        func() time.Time
	Audit      *audit.Writer
	// Issuer and Endpoints (the discovery document's URLs) fill the app
	// page's "Connect your app".
	Issuer    string
	Endpoints map[string]string
}

// Register mounts the pages on the page group (sessions, CSRF).
func (p *Pages) Register(g *echo.Group) {
	g.GET("/apps", p.list)
	g.POST("/apps", p.create)
	g.GET("/apps/:id", p.show)
	g.POST("/apps/:id", p.update)
	g.POST("/apps/:id/secret", p.rotate)
	g.POST("/apps/:id/delete", p.remove)
}

type option struct {
	Value   string
	Checked bool
}

type formData struct {
	Action, CSRF, Name, LogoURL, RedirectURIs    string
	PostLogoutRedirectURIs, BackchannelLogoutURI string
	Grants, Scopes                               []option
	Public, New                                  bool
	// AllowedGroups, one per line; Admin: the field is editable (only
	// administrators restrict apps to groups).
	AllowedGroups string
	Admin         bool
	// ExchangeProviders, one per line: an administrator's field like
	// AllowedGroups (token exchange is operator-only).
	ExchangeProviders string
}

type listData struct {
	web.Page
	Apps      []store.Client
	CanCreate bool
	Form      formData
	Message   string
	Error     string
}

type appData struct {
	web.Page
	App     store.Client
	Form    formData
	Secret  string
	Message string
	Error   string
	Connect Connect
}

func (p *Pages) form(c echo.Context, action string, s Spec, isNew bool) formData {
	f := formData{Action: action, CSRF: web.PageFor(c).CSRF, Name: s.Name, LogoURL: s.LogoURL,
		RedirectURIs: strings.Join(s.RedirectURIs, "\n"), Public: s.Public, New: isNew,
		AllowedGroups: strings.Join(s.AllowedGroups, "\n"), Admin: isAdmin(c),
		PostLogoutRedirectURIs: strings.Join(s.PostLogoutRedirectURIs, "\n"), BackchannelLogoutURI: s.BackchannelLogoutURI,
		ExchangeProviders: strings.Join(s.ExchangeProviders, "\n")}
	admin := f.Admin
	for _, g := range oauth.GrantTypes() {
		on := slices.Contains(s.GrantTypes, g)
		if operatorOnly[g] && !admin && !on {
			continue // not offered: only an operator may enable it
		}
		f.Grants = append(f.Grants, option{g, on})
	}
	for _, sc := range p.Scopes.Names() {
		f.Scopes = append(f.Scopes, option{sc, slices.Contains(s.Scopes, sc)})
	}
	return f
}

func signedIn(c echo.Context) (*session.Current, error) { return session.Require(c, "/apps") }

func isAdmin(c echo.Context) bool {
	cur := session.FromContext(c)
	return cur != nil && cur.Account.IsAdmin
}

// addsOperatorGrant reports whether next enables an operator-only grant
// that prev did not have (keeping what an operator granted adds nothing).
func addsOperatorGrant(prev, next []string) bool {
	for _, g := range next {
		if operatorOnly[g] && !slices.Contains(prev, g) {
			return true
		}
	}
	return false
}

func (p *Pages) list(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	return p.renderList(c, http.StatusOK, cur, Spec{GrantTypes: DefaultGrants, Scopes: DefaultScopes}, messages[c.QueryParam("msg")], "")
}

var messages = map[string]string{"deleted": "The app was deleted and its tokens revoked."}

func (p *Pages) renderList(c echo.Context, status int, cur *session.Current, s Spec, msg, errMsg string) error {
	owner := cur.Account.ID
	if cur.Account.IsAdmin {
		owner = "" // operators see every app
	}
	list, err := p.Store.ListClients(c.Request().Context(), owner)
	if err != nil {
		return err
	}
	return p.Web.Render(c, status, "apps", listData{Page: web.PageFor(c), Apps: list, CanCreate: p.mayCreate(cur),
		Form: p.form(c, "/apps", s, true), Message: msg, Error: errMsg})
}

func (p *Pages) mayCreate(cur *session.Current) bool { return !p.AdminsOnly || cur.Account.IsAdmin }

// specFrom reads the app form; allowed groups and exchange providers
// only from administrators (others get none: the caller keeps what the app
// had).
func specFrom(c echo.Context) Spec {
	form, _ := c.FormParams()
	bc := strings.TrimSpace(c.FormValue("backchannel_logout_uri"))
	s := Spec{Name: strings.TrimSpace(c.FormValue("name")), LogoURL: strings.TrimSpace(c.FormValue("logo_url")),
		RedirectURIs: lines(c.FormValue("redirect_uris")), GrantTypes: form["grant"], Scopes: form["scope"], Public: c.FormValue("public") == "1",
		PostLogoutRedirectURIs: lines(c.FormValue("post_logout_redirect_uris")), BackchannelLogoutURI: bc, BackchannelLogoutSessionRequired: bc != ""}
	if isAdmin(c) {
		s.AllowedGroups = lines(c.FormValue("allowed_groups"))
		s.ExchangeProviders = lines(c.FormValue("exchange_providers"))
	}
	return s
}

// lines splits a textarea into its non-blank lines, trimmed.
func lines(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (p *Pages) create(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	if !p.mayCreate(cur) {
		return &web.PageError{Status: http.StatusForbidden, Title: "Not allowed", Message: "Only administrators may register apps."}
	}
	spec := specFrom(c)
	spec.OwnerID, spec.Operator = cur.Account.ID, cur.Account.IsAdmin
	if err := Validate(&spec, p.Scopes); err != nil {
		return p.renderList(c, http.StatusBadRequest, cur, spec, "", err.Error())
	}
	var cl store.Client
	var secret string
	err = change(c, p.Audit, p.Now(), EventCreated, cur.Account.ID, func(tx store.Store) (_ string, err error) {
		cl, secret, err = Create(c.Request().Context(), tx, spec, p.Scopes, p.Now())
		return cl.ID, err
	})
	if err != nil {
		return err
	}
	return p.renderApp(c, http.StatusOK, cl, secret, "The app is registered.", "")
}

// load finds an app the user may manage; others' apps are "not found".
func (p *Pages) load(c echo.Context) (*session.Current, store.Client, error) {
	cur, err := signedIn(c)
	if cur == nil {
		return nil, store.Client{}, err
	}
	cl, err := p.Store.GetClient(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && cl.OwnerID != cur.Account.ID && !cur.Account.IsAdmin) {
		return nil, store.Client{}, &web.PageError{Status: http.StatusNotFound, Title: "App not found", Message: "You have no app with that ID."}
	}
	return cur, cl, err
}

func (p *Pages) show(c echo.Context) error {
	cur, cl, err := p.load(c)
	if cur == nil {
		return err
	}
	return p.renderApp(c, http.StatusOK, cl, "", "", "")
}

func (p *Pages) renderApp(c echo.Context, status int, cl store.Client, secret, msg, errMsg string) error {
	s := Spec{Name: cl.Name, LogoURL: cl.LogoURL, RedirectURIs: cl.RedirectURIs, GrantTypes: cl.GrantTypes, Scopes: cl.Scopes, Public: cl.Public,
		AllowedGroups: cl.AllowedGroups, PostLogoutRedirectURIs: cl.PostLogoutRedirectURIs, BackchannelLogoutURI: cl.BackchannelLogoutURI,
		ExchangeProviders: cl.ExchangeProviders}
	conn, err := NewConnect(p.Issuer, p.Endpoints, cl)
	if err != nil {
		return err
	}
	return p.Web.Render(c, status, "app", appData{Page: web.PageFor(c), App: cl, Form: p.form(c, "/apps/"+cl.ID, s, false),
		Secret: secret, Message: msg, Error: errMsg, Connect: conn})
}

func (p *Pages) update(c echo.Context) error {
	cur, cl, err := p.load(c)
	if cur == nil {
		return err
	}
	spec := specFrom(c)
	spec.Public = cl.Public // the client type never changes
	if !cur.Account.IsAdmin {
		spec.AllowedGroups = cl.AllowedGroups // an owner's edit keeps the operator's restriction
		spec.ExchangeProviders = cl.ExchangeProviders
	}
	spec.Operator = cur.Account.IsAdmin || !addsOperatorGrant(cl.GrantTypes, spec.GrantTypes)
	if err := Validate(&spec, p.Scopes); err != nil {
		return p.renderApp(c, http.StatusBadRequest, cl, "", "", err.Error())
	}
	if !cur.Account.IsAdmin && (!slices.Equal(cl.RedirectURIs, spec.RedirectURIs) || !slices.Equal(cl.PostLogoutRedirectURIs, spec.PostLogoutRedirectURIs)) {
		cl.Vetted = false // an operator vouched for the old redirect URIs, not these
	}
	cl.PostLogoutRedirectURIs, cl.BackchannelLogoutURI = spec.PostLogoutRedirectURIs, spec.BackchannelLogoutURI
	cl.BackchannelLogoutSessionRequired = spec.BackchannelLogoutSessionRequired
	cl.Name, cl.LogoURL, cl.RedirectURIs, cl.GrantTypes, cl.Scopes, cl.UpdatedAt = spec.Name, spec.LogoURL, spec.RedirectURIs, spec.GrantTypes, spec.Scopes, p.Now()
	cl.AllowedGroups, cl.ExchangeProviders = spec.AllowedGroups, spec.ExchangeProviders
	err = change(c, p.Audit, p.Now(), EventUpdated, cur.Account.ID, func(tx store.Store) (string, error) {
		return cl.ID, tx.UpdateClient(c.Request().Context(), &cl)
	})
	if err != nil {
		return err
	}
	return p.renderApp(c, http.StatusOK, cl, "", "Saved.", "")
}

func (p *Pages) rotate(c echo.Context) error {
	cur, cl, err := p.load(c)
	if cur == nil {
		return err
	}
	var secret string
	err = change(c, p.Audit, p.Now(), EventSecretRotated, cur.Account.ID, func(tx store.Store) (_ string, err error) {
		secret, err = RotateSecret(c.Request().Context(), tx, cl, p.Now())
		return cl.ID, err
	})
	if err != nil {
		return err
	}
	return p.renderApp(c, http.StatusOK, cl, secret, "A new secret was made; the old one no longer works.", "")
}

func (p *Pages) remove(c echo.Context) error {
	cur, cl, err := p.load(c)
	if cur == nil {
		return err
	}
	err = change(c, p.Audit, p.Now(), EventDeleted, cur.Account.ID, func(tx store.Store) (string, error) {
		return cl.ID, tx.DeleteClient(c.Request().Context(), cl.ID, p.Now())
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, "/apps?msg=deleted")
}
