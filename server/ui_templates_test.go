package server_test

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/templates"
)

// TestTemplatesDirOverridesPages: with ui.templates_dir set, /login is
// rendered from the operator's directory, not the embedded templates.
func TestTemplatesDirOverridesPages(t *testing.T) {
	const marker = "Welcome to Example Corp"
	dir := t.TempDir()
	// A whole copy of the embedded templates, so the test holds whether
	// the renderer falls back per file or wants a complete set.
	require.NoError(t, fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(templates.FS, p)
		if err != nil {
			return err
		}
		if p == "login.html" {
			b = []byte(strings.Replace(string(b), "<h1>Sign in</h1>", "<h1>"+marker+"</h1>", 1))
		}
		return os.WriteFile(filepath.Join(dir, p), b, 0o600)
	}))
	ts := startServer(t, mockOnly+"ui:\n  templates_dir: "+dir+"\n")
	resp, page := get(t, http.DefaultClient, ts.URL+"/login")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, marker)
	require.NotContains(t, page, "<h1>Sign in</h1>")
}
