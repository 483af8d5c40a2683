package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"gatehouse/server/session"
	"gatehouse/templates"
)

// pageNames are the templates every build must have; a missing one fails
// start-up, not a request.
var pageNames = []string{"login", "account", "error", "consent", "apps", "app", "device", "message", "cliconfirm",
	"admin", "admin_users", "admin_apps", "admin_keys", "admin_audit",
	"admin_user", "admin_groups", "admin_invites"}

// renderer holds one parsed template set per page (base layout + page).
type renderer struct {
	pages map[string]*template.Template
}

// newRenderer parses the embedded templates, or those in overrideDir for
// operators' branding when it is not empty.
func newRenderer(overrideDir fs.FS) (*renderer, error) {
	src := fs.FS(templates.FS)
	if overrideDir != nil {
		src = overrideDir
	}
	base, err := template.ParseFS(src, "base.html", "partials.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(src, name+".html")
		if err != nil {
			return nil, fmt.Errorf("templates: page %q: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Page is what every page's data embeds: the layout needs it.
type Page struct {
	CSRF string
	User *userView
}

type userView struct {
	Username string
	IsAdmin  bool // shows the link to /admin
}

// PageFor returns the layout data of the current request.
func PageFor(c echo.Context) Page {
	p := Page{}
	p.CSRF, _ = c.Get("csrf").(string)
	if cur := session.FromContext(c); cur != nil {
		p.User = &userView{Username: cur.Account.Username, IsAdmin: cur.Account.IsAdmin}
	}
	return p
}

// Render renders one of the pages (for handlers outside this package,
// such as the consent page of the authorization server).
func (w *Web) Render(c echo.Context, status int, page string, data any) error {
	return w.r.render(c, status, page, data)
}

// render executes page into a buffer first, so a template error never
// leaves a half-written page.
func (r *renderer) render(c echo.Context, status int, page string, data any) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("render: unknown page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// PageError is the error a page handler returns for a readable error page.
// Message is shown to the user; Err (the cause) is only logged.
type PageError struct {
	Status  int
	Title   string
	Message string
	Err     error
}

func (e *PageError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Title, e.Err)
	}
	return e.Title
}

func (e *PageError) Unwrap() error { return e.Err }

func pageErr(status int, title, msg string, cause error) *PageError {
	return &PageError{Status: status, Title: title, Message: msg, Err: cause}
}

type errorData struct {
	Page
	Title, Message, Back, BackLabel string
}

// RenderError writes err as an error page. *PageError keeps its words;
// echo errors (404, CSRF) get their status and a generic message; anything
// else is a 500 whose cause the caller has logged.
func (w *Web) RenderError(c echo.Context, err error) error {
	pe := toPageError(err)
	d := errorData{Page: PageFor(c), Title: pe.Title, Message: pe.Message}
	return w.r.render(c, pe.Status, "error", d)
}

func toPageError(err error) *PageError {
	var pe *PageError
	if errors.As(err, &pe) {
		return pe
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return pageErr(he.Code, "Page not found", "There is nothing at this address.", err)
		case http.StatusForbidden, http.StatusBadRequest:
			return pageErr(he.Code, "Request refused", "The form was stale or did not come from this site. Go back, reload the page and try again.", err)
		case http.StatusMethodNotAllowed:
			return pageErr(he.Code, "Method not allowed", "This address does not accept that kind of request.", err)
		case http.StatusRequestEntityTooLarge:
			return pageErr(he.Code, "Request too large", "The request was too large.", err)
		}
		if he.Code < 500 {
			return pageErr(he.Code, http.StatusText(he.Code), "The request could not be handled.", err)
		}
	}
	return pageErr(http.StatusInternalServerError, "Something went wrong", "Gatehouse hit an internal error. Try again; if it persists, tell your operator.", err)
}
