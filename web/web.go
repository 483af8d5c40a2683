// Package web is Gatehouse's render kit: it parses the page templates (the
// embedded ones, or an operator's own), renders pages with their layout
// data, serves the static files, and turns errors into error pages. It
// holds no handlers and knows nothing of sessions, providers or the store:
// the packages with handlers (server/pages, authz, apps, admin, loginapi)
// import it, never the other way round.
package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// Options configure the render kit.
type Options struct {
	// TemplatesDir, when not "", is a directory of operators' templates
	// (branding). A file there replaces the embedded template of the same
	// name; a template it lacks falls back to the embedded one, so an
	// operator overrides only the pages they change. A missing directory,
	// an unreadable one, or an .html file in it that names no template
	// fails New: a typo must not silently fall back to the defaults.
	TemplatesDir string
}

// Web renders pages.
type Web struct {
	r *renderer
}

// New parses the templates, failing fast if one is missing or broken.
func New(o Options) (*Web, error) {
	src, err := templateSource(o.TemplatesDir)
	if err != nil {
		return nil, err
	}
	r, err := newRenderer(src)
	if err != nil {
		return nil, err
	}
	return &Web{r: r}, nil
}

// RegisterStatic serves the static files (CSS) under /static/.
func RegisterStatic(e *echo.Echo) {
	static, _ := fs.Sub(staticFS, "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(static)))))
}
