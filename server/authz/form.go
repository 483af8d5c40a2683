package authz

import (
	"io"
	"mime"
	"net/url"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
)

// tokenRequest is a POST to an OAuth endpoint (token, revocation,
// introspection, device authorization, userinfo by body), parsed once from
// its application/x-www-form-urlencoded body. The URL query is never read:
// a client_secret or token in a URL ends up in logs and histories (RFC
// 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1). A parameter sent twice is
// refused (RFC 6749 §3.1), so no check can look at one copy while another
// part of the code uses the other. Handlers pass this to grants instead of
// the echo.Context, so no grant can read the query by mistake.
type tokenRequest struct {
	form url.Values
	ip   string
	// HTTP Basic credentials as sent (client_secret_basic), if any.
	basicID, basicSecret string
	basic                bool
}

// get returns a body parameter ("" if absent; never repeated).
func (r *tokenRequest) get(name string) string { return r.form.Get(name) }

// readRequest parses the body of an OAuth POST.
func readRequest(c echo.Context) (*tokenRequest, *oauth.Error) {
	req := c.Request()
	ct, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if ct != "application/x-www-form-urlencoded" {
		return nil, oauth.InvalidRequest("Send the parameters in an application/x-www-form-urlencoded body.")
	}
	body, err := io.ReadAll(req.Body) // bounded by the BodyLimit middleware
	if err != nil {
		return nil, oauth.InvalidRequest("The body could not be read.").WithCause(err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.InvalidRequest("The body is not a valid form.").WithCause(err)
	}
	for k, v := range form {
		if len(v) > 1 && k != "resource" { // several resources: invalid_target (resource.go)
			return nil, oauth.InvalidRequest("Parameter " + clip(k, 40) + " is repeated.")
		}
	}
	r := &tokenRequest{form: form, ip: c.RealIP()}
	r.basicID, r.basicSecret, r.basic = req.BasicAuth()
	return r, nil
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
