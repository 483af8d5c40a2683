package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// HiddenField is one hidden form input.
type HiddenField struct{ Name, Value string }

// Hidden builds a page's hidden form fields from name/value pairs. It is the
// one way pages get hidden fields, and callers pass only values the server
// made or validated: no page echoes request parameters it did not check
// (the consent page once echoed a smuggled decision=approve this way).
func Hidden(nameValues ...string) []HiddenField {
	if len(nameValues)%2 != 0 {
		panic("web.Hidden: odd number of arguments")
	}
	out := make([]HiddenField, 0, len(nameValues)/2)
	for i := 0; i < len(nameValues); i += 2 {
		out = append(out, HiddenField{Name: nameValues[i], Value: nameValues[i+1]})
	}
	return out
}

// formPostScript submits the page's form; the page's CSP allows exactly
// this script by its hash.
const formPostScript = `document.forms[0].submit();`

var formPostCSP = func() string {
	h := sha256.Sum256([]byte(formPostScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'; frame-ancestors 'none'; base-uri 'none'"
}()

// formPostPage is protocol, not branding: it is not overridable and has no
// layout. Without JavaScript (or if the script is blocked) the user
// presses the button.
var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Returning to the application</title></head>
<body>
<form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<p>Returning to the application… If nothing happens, press Continue.</p>
<p><button type="submit">Continue</button></p>
</form>
<script>` + formPostScript + `</script>
</body>
</html>
`))

// FormPost answers with the OAuth 2.0 Form Post Response Mode page: a form
// that posts fields to action (an http or https URL) by itself. The
// response is not cached, and its CSP lets the form post only to action's
// origin.
func FormPost(c echo.Context, action string, fields []HiddenField) error {
	u, err := url.Parse(action)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("form post: action %q is not an http(s) URL", action)
	}
	var buf bytes.Buffer
	if err := formPostPage.Execute(&buf, struct {
		Action template.URL
		Fields []HiddenField
	}{template.URL(u.String()), fields}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", formPostCSP+"; form-action "+u.Scheme+"://"+u.Host)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
