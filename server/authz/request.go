package authz

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/store"
	"gatehouse/web"
)

// authRequest is a validated authorization request.
type authRequest struct {
	Client       store.Client
	RedirectURI  string
	ResponseType string // "code" or "token"
	Scope        []string
	State        string
	Nonce        string
	Challenge    string
	Method       string
	Prompt       map[string]bool
	MaxAge       int // -1: not given
	AuthAfter    int64
	Params       url.Values // the request as received, for login and consent round trips
}

// fragment reports whether responses go in the URL fragment (implicit).
func (r *authRequest) fragment() bool { return r.ResponseType == "token" }

var challengeRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// requestParams merges the query and (for POST) the form, refusing
// repeated parameters (RFC 6749 §3.1).
func requestParams(c echo.Context) (url.Values, bool) {
	params := url.Values{}
	for k, v := range c.QueryParams() {
		params[k] = append(params[k], v...)
	}
	if c.Request().Method == http.MethodPost {
		if err := c.Request().ParseForm(); err != nil {
			return nil, false
		}
		for k, v := range c.Request().PostForm {
			if k != "_csrf" && k != "decision" {
				params[k] = append(params[k], v...)
			}
		}
	}
	for _, v := range params {
		if len(v) > 1 {
			return nil, false
		}
	}
	return params, true
}

// parseAuthorize validates a request in the RFC's order: first the client
// and redirect URI (failures are pages), then the rest (failures are
// redirects to the client, *redirectError).
func (a *Server) parseAuthorize(c echo.Context) (*authRequest, error) {
	params, ok := requestParams(c)
	if !ok {
		return nil, badRequestPage("The sign-in request is malformed (a parameter is repeated or unreadable).")
	}
	cl, err := a.client(c.Request().Context(), params.Get("client_id"))
	if err != nil {
		if params.Get("client_id") == "" || isNotFound(err) {
			return nil, badRequestPage("The application that sent you here is not registered with this server.")
		}
		return nil, err
	}
	redirect, ok := oauth.MatchRedirect(cl.RedirectURIs, params.Get("redirect_uri"), cl.Public)
	if !ok {
		return nil, badRequestPage("The application sent you here with a return address it has not registered. For your safety you were not sent back.")
	}
	r := &authRequest{Client: cl, RedirectURI: redirect, ResponseType: params.Get("response_type"), State: params.Get("state"),
		Nonce: params.Get("nonce"), Challenge: params.Get("code_challenge"), Method: params.Get("code_challenge_method"),
		Scope: parseScope(params.Get("scope")), MaxAge: -1, Params: params}
	if e := a.validateAuthorize(r); e != nil {
		return r, &redirectError{req: r, err: e}
	}
	return r, nil
}

func (a *Server) validateAuthorize(r *authRequest) *oauth.Error {
	p := r.Params
	switch r.ResponseType {
	case "code":
		if !contains(r.Client.GrantTypes, oauth.GrantAuthorizationCode) {
			return oauth.UnauthorizedClient("This application may not use the authorization code flow.")
		}
	case "token":
		if !contains(r.Client.GrantTypes, oauth.GrantImplicit) {
			return oauth.UnauthorizedClient("This application may not use the implicit flow.")
		}
	case "":
		return oauth.InvalidRequest("response_type is required.")
	default:
		return oauth.UnsupportedResponseType("Supported response types: code, token.")
	}
	for _, s := range r.Scope {
		if !a.Scopes.Known(s) || !contains(r.Client.Scopes, s) {
			return oauth.InvalidScope("Scope " + strconv.Quote(s) + " is unknown or not allowed for this application.")
		}
	}
	if e := a.validatePKCE(r); e != nil {
		return e
	}
	if e := parsePrompt(r, p.Get("prompt")); e != nil {
		return e
	}
	if v := p.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return oauth.InvalidRequest("max_age must be a non-negative integer.")
		}
		r.MaxAge = n
	}
	if v := p.Get("auth_after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > a.Now().Unix()+60 {
			return oauth.InvalidRequest("auth_after is malformed.")
		}
		r.AuthAfter = n
	}
	return nil
}

// validatePKCE: S256 always accepted; plain only when configured; public
// clients must use PKCE (RFC 7636, RFC 9700 §2.1.1). A missing method
// means plain (RFC 7636 §4.3).
func (a *Server) validatePKCE(r *authRequest) *oauth.Error {
	if r.ResponseType != "code" {
		return nil
	}
	if r.Challenge == "" {
		if r.Method != "" {
			return oauth.InvalidRequest("code_challenge_method without code_challenge.")
		}
		if r.Client.Public {
			return oauth.InvalidRequest("PKCE (code_challenge with S256) is required for this application.")
		}
		return nil
	}
	if r.Method == "" {
		r.Method = "plain"
	}
	switch {
	case !challengeRe.MatchString(r.Challenge):
		return oauth.InvalidRequest("code_challenge is malformed.")
	case r.Method == "S256":
	case r.Method == "plain" && a.AllowPlainPKCE:
	default:
		return oauth.InvalidRequest("code_challenge_method must be S256.")
	}
	return nil
}

func parsePrompt(r *authRequest, v string) *oauth.Error {
	r.Prompt = map[string]bool{}
	for _, p := range strings.Fields(v) {
		switch p {
		case "none", "login", "consent", "select_account":
			r.Prompt[p] = true
		default:
			return oauth.InvalidRequest("Unsupported prompt value " + strconv.Quote(p) + ".")
		}
	}
	if r.Prompt["none"] && len(r.Prompt) > 1 {
		return oauth.InvalidRequest("prompt=none cannot be combined with other values.")
	}
	return nil
}

// redirectError is an authorization error to send back to the client.
type redirectError struct {
	req *authRequest
	err *oauth.Error
}

func (e *redirectError) Error() string { return e.err.Error() }

func badRequestPage(msg string) *web.PageError {
	return &web.PageError{Status: http.StatusBadRequest, Title: "Invalid sign-in request", Message: msg}
}

// respond sends values to the client's redirect URI: in the query for the
// code flow, in the fragment for the implicit flow; always with state and
// iss (RFC 9207).
func (a *Server) respond(c echo.Context, r *authRequest, v url.Values) error {
	if r.State != "" {
		v.Set("state", r.State)
	}
	v.Set("iss", a.IssuerURL)
	u, err := url.Parse(r.RedirectURI)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if r.fragment() {
		u.Fragment = ""
		return c.Redirect(http.StatusFound, u.String()+"#"+v.Encode())
	}
	q := u.Query()
	for k, vals := range v {
		q[k] = vals
	}
	u.RawQuery = q.Encode()
	return c.Redirect(http.StatusFound, u.String())
}

// redirectErr sends an OAuth error to the client.
func (a *Server) redirectErr(c echo.Context, re *redirectError) error {
	if re.err.Cause != nil {
		a.Log.Debug("authorization refused", "client", re.req.Client.ID, "err", re.err)
	}
	v := url.Values{"error": {re.err.Code}}
	if re.err.Description != "" {
		v.Set("error_description", re.err.Description)
	}
	if !re.req.Client.Vetted { // no automatic redirect to an app no operator vetted (unvetted.go)
		return a.unvettedErrorPage(c, re.req, v)
	}
	return a.respond(c, re.req, v)
}
