package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

var scriptRe = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// The page's only script is the one its CSP allows by hash, and the form
// posts only to the redirect URI's origin.
func TestFormPostPage(t *testing.T) {
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	if err := FormPost(c, "https://app.example:8443/cb?x=1", Hidden("code", `a"b<c`, "state", "s")); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	m := scriptRe.FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("scripts: %q", m)
	}
	h := sha256.Sum256([]byte(m[0][1]))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(h[:])+"'") ||
		!strings.Contains(csp, "form-action https://app.example:8443") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q does not allow exactly the page's script and origin", csp)
	}
	if !strings.Contains(body, `action="https://app.example:8443/cb?x=1"`) || !strings.Contains(body, `name="code" value="a&#34;b&lt;c"`) {
		t.Errorf("page:\n%s", body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	for _, bad := range []string{"javascript:alert(1)", "com.example.app:/cb", "/relative"} {
		if err := FormPost(e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder()), bad, nil); err == nil {
			t.Errorf("FormPost(%q) accepted", bad)
		}
	}
}

func TestHidden(t *testing.T) {
	got := Hidden("a", "1", "b", "2")
	if len(got) != 2 || got[0] != (HiddenField{"a", "1"}) || got[1] != (HiddenField{"b", "2"}) {
		t.Errorf("Hidden = %+v", got)
	}
}
