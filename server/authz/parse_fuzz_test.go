package authz

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// FuzzParsePrompt: parsePrompt never panics; it accepts only the four OIDC
// values, every one it was given, and "none" alone.
func FuzzParsePrompt(f *testing.F) {
	for _, s := range []string{"", "none", "login consent", "none login", "select_account", "consent consent", "bogus", "login\u00a0none"} {
		f.Add(s)
	}
	allowed := []string{"none", "login", "consent", "select_account"}
	f.Fuzz(func(t *testing.T, v string) {
		r := &authRequest{}
		if err := parsePrompt(r, v); err != nil {
			if err.Error() == "" {
				t.Fatalf("parsePrompt(%q): empty error", v)
			}
			return
		}
		for p := range r.Prompt {
			if !slices.Contains(allowed, p) || !r.Prompt[p] {
				t.Fatalf("parsePrompt(%q) accepted %q", v, p)
			}
		}
		for _, p := range strings.Fields(v) {
			if !r.Prompt[p] {
				t.Fatalf("parsePrompt(%q) dropped %q", v, p)
			}
		}
		if r.Prompt["none"] && len(r.Prompt) > 1 {
			t.Fatalf("parsePrompt(%q) accepted none with others: %v", v, r.Prompt)
		}
	})
}

// FuzzReadRequest: the OAuth POST parser never panics; what it accepts is
// exactly the form body, every parameter once; a parameter sent twice (in
// any spelling that decodes to the same name) is refused; and nothing in
// the URL query (a misplaced parameter) ever reaches a grant.
func FuzzReadRequest(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	for _, s := range [][3]string{
		{form, "grant_type=authorization_code&code=abc", ""},
		{form, "grant_type=client_credentials&grant_type=password", ""},
		{form, "client_id=a&%63lient_id=b", ""},
		{form, "code=abc", "client_secret=leaked&code=other"},
		{form + "; charset=utf-8", "a=1;b=2", ""},
		{"application/json", `{"grant_type":"password"}`, ""},
		{form, "a=%zz", "a"},
		{"", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, contentType, body, query string) {
		req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set(echo.HeaderContentType, contentType)
		r, oerr := readRequest(e.NewContext(req, httptest.NewRecorder()))
		want, perr := url.ParseQuery(body)
		if oerr != nil {
			if oerr.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if perr != nil {
			t.Fatalf("accepted a body that is not a form: %q", body)
		}
		for k, v := range want {
			if len(v) != 1 {
				t.Fatalf("accepted %q sent %d times: %q", k, len(v), body)
			}
			if r.get(k) != v[0] {
				t.Fatalf("%q = %q, the body says %q", k, r.get(k), v[0])
			}
		}
		if len(r.form) != len(want) {
			t.Fatalf("form %v, the body holds %v", r.form, want)
		}
		q, _ := url.ParseQuery(query)
		for k := range q {
			if _, inBody := want[k]; !inBody && r.get(k) != "" {
				t.Fatalf("query parameter %q reached the grant", k)
			}
		}
	})
}
