package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func render(t *testing.T, w *Web, page string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	if err := w.Render(c, http.StatusOK, page, map[string]any{"Title": "A title", "Message": "A message"}); err != nil {
		t.Fatalf("render %s: %v", page, err)
	}
	return rec.Body.String()
}

// An operator's directory replaces the templates it has; the others stay
// the embedded ones.
func TestTemplatesDirOverridesOnlyItsFiles(t *testing.T) {
	dir := t.TempDir()
	page := `{{define "title"}}Branded{{end}}{{define "content"}}<p>Welcome to ACME</p>{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "message.html"), []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := New(Options{TemplatesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(t, w, "message"); !strings.Contains(got, "Welcome to ACME") {
		t.Errorf("overridden page = %s", got)
	}
	embedded, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := render(t, w, "error"), render(t, embedded, "error"); got != want {
		t.Errorf("a page the directory lacks = %s, want the embedded one %s", got, want)
	}
}

// A directory that cannot be what the operator meant fails start-up with
// the reason, instead of quietly serving the defaults.
func TestTemplatesDirMistakesFailStartUp(t *testing.T) {
	typo := t.TempDir()
	if err := os.WriteFile(filepath.Join(typo, "logn.html"), []byte(`x`), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "login.html"), []byte(`{{define "content"}}{{.Oops`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ dir, want string }{
		"missing dir":  {filepath.Join(t.TempDir(), "nope"), "templates dir"},
		"unknown file": {typo, "logn.html names no template"},
		"broken page":  {broken, `page "login"`},
	} {
		_, err := New(Options{TemplatesDir: tc.dir})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
}
