package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/templates"
)

// pageNames are the templates every build must have; a missing one fails
// start-up, not a request.
var pageNames = []string{"login", "account", "error", "consent", "apps", "app", "device", "message", "cliconfirm",
	"admin", "admin_users", "admin_apps", "admin_keys", "admin_audit",
	"admin_user", "admin_groups", "admin_invites", "admin_apis", "logout", "loggedout"}

// layoutNames are the shared templates every page is parsed with.
var layoutNames = []string{"base", "partials"}

// renderer holds one parsed template set per page (base layout + page).
type renderer struct {
	pages map[string]*template.Template
}

// templateSource is the embedded templates, overlaid by dir's when dir is
// not "" (see Options.TemplatesDir).
func templateSource(dir string) (fs.FS, error) {
	if dir == "" {
		return templates.FS, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates dir: %w", err)
	}
	known := slices.Concat(pageNames, layoutNames)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".html")
		if ok && !slices.Contains(known, name) {
			return nil, fmt.Errorf("templates dir %s: %s names no template (known: %s)", dir, e.Name(), strings.Join(known, ", "))
		}
	}
	return overlay{top: os.DirFS(dir), base: templates.FS}, nil
}

// overlay opens a file from top, or from base when top has none.
type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.base.Open(name)
	}
	return f, err
}

func newRenderer(src fs.FS) (*renderer, error) {
	layout := make([]string, len(layoutNames))
	for i, n := range layoutNames {
		layout[i] = n + ".html"
	}
	base, err := template.ParseFS(src, layout...)
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

// Render renders page with data (which embeds Page) as the answer.
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
