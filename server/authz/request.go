package authz

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/server/cimd"
	"gatehouse/server/oauth"
	"gatehouse/server/ratelimit"
	"gatehouse/store"
	"gatehouse/web"
)

// authRequest is a validated authorization request.
type authRequest struct {
	Client       store.Client
	RedirectURI  string
	ResponseType string // "code" or "token"
	ResponseMode string // "query", "fragment" or "form_post"; "" until validated (then the default)
	Scope        []string
	State        string
	Nonce        string
	Challenge    string
	Method       string
	Prompt       map[string]bool
	MaxAge       int // -1: not given
	// API is the API the request names with resource (RFC 8707); nil: the
	// token is for the client itself.
	API    *store.API
	Params url.Values // the request as received: kept in the pending row, validated again on each use
}

// mode is how responses reach the client: the validated response_mode, or
// the response type's default (RFC 6749 §4.1.2, §4.2.2).
func (r *authRequest) mode() string {
	switch {
	case r.ResponseMode != "":
		return r.ResponseMode
	case r.ResponseType == "token":
		return "fragment"
	}
	return "query"
}

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
			if k != "_csrf" {
				params[k] = append(params[k], v...)
			}
		}
	}
	for k, v := range params {
		if len(v) > 1 && k != "resource" { // several resources: invalid_target, sent back to the client
			return nil, false
		}
	}
	return params, true
}

// parseAuthorize reads and validates the request of GET|POST
// /oauth2/authorize.
func (a *Server) parseAuthorize(c echo.Context) (*authRequest, error) {
	params, ok := requestParams(c)
	if !ok {
		return nil, badRequestPage("The sign-in request is malformed (a parameter is repeated or unreadable).")
	}
	return a.parseRequest(c.Request().Context(), params)
}

// parseRequest validates a request in the RFC's order: first the client
// and redirect URI (failures are pages), then the rest (failures are
// redirects to the client, *redirectError). A pending request is validated
// again through here each time it is continued, against the client as it
// is then.
func (a *Server) parseRequest(ctx context.Context, params url.Values) (*authRequest, error) {
	cl, err := a.client(ctx, params.Get("client_id"))
	if de := (*cimd.Error)(nil); errors.As(err, &de) {
		return nil, badRequestPage("The application that sent you here identifies itself by a document at " + de.URL +
			", which cannot be used: " + de.Reason + ".")
	}
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
		Scope: oauth.ParseScope(params.Get("scope")), MaxAge: -1, Params: params}
	if e := a.validateAuthorize(ctx, r); e != nil {
		return r, &redirectError{req: r, err: e}
	}
	return r, nil
}

// validateAuthorize checks everything after the client and redirect URI.
// The response mode comes first: the errors after it are sent that way.
func (a *Server) validateAuthorize(ctx context.Context, r *authRequest) *oauth.Error {
	p := r.Params
	if e := validateResponseMode(r, p.Get("response_mode")); e != nil {
		return e
	}
	// Request objects (OIDC Core §6) are not supported: refused by name
	// rather than ignored, since they may carry the real parameters.
	if p.Has("request") {
		return &oauth.Error{Code: "request_not_supported", Description: "Request objects are not supported.", Status: http.StatusBadRequest}
	}
	if p.Has("request_uri") {
		return &oauth.Error{Code: "request_uri_not_supported", Description: "request_uri is not supported.", Status: http.StatusBadRequest}
	}
	switch r.ResponseType {
	case "code":
		if !slices.Contains(r.Client.GrantTypes, oauth.GrantAuthorizationCode) {
			return oauth.UnauthorizedClient("This application may not use the authorization code flow.")
		}
	case "token":
		if !slices.Contains(r.Client.GrantTypes, oauth.GrantImplicit) {
			return oauth.UnauthorizedClient("This application may not use the implicit flow.")
		}
	case "":
		return oauth.InvalidRequest("response_type is required.")
	default:
		return oauth.UnsupportedResponseType("Supported response types: code, token.")
	}
	var e *oauth.Error
	if r.API, e = a.resourceOf(ctx, p["resource"]); e != nil {
		return e
	}
	if e := a.grantableScopes(r); e != nil {
		return e
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
	return nil
}

// validateResponseMode accepts query (not for tokens: they must not reach
// server logs), fragment, and form_post (OAuth 2.0 Form Post Response
// Mode; only to an http(s) redirect URI, which a form can post to). An
// invalid mode leaves r.ResponseMode empty, so its error goes the default way.
func validateResponseMode(r *authRequest, mode string) *oauth.Error {
	switch mode {
	case "":
		return nil
	case "query":
		if r.ResponseType == "token" {
			return oauth.InvalidRequest("response_mode=query cannot carry tokens.")
		}
	case "fragment":
	case "form_post":
		if u, err := url.Parse(r.RedirectURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return oauth.InvalidRequest("response_mode=form_post needs an http or https redirect URI.")
		}
	default:
		return oauth.InvalidRequest("Supported response modes: query, fragment, form_post.")
	}
	r.ResponseMode = mode
	return nil
}

// grantableScopes drops the scopes the server does not know or the app may
// not ask for (a scope the requested API defines is grantable to any app:
// the user consents to it) (configs copied from other servers ask for "groups"): they
// are shown and issued nowhere, and the token response's scope says what
// was granted. Only a request that asked for scopes and has none left is
// invalid_scope.
func (a *Server) grantableScopes(r *authRequest) *oauth.Error {
	asked := r.Scope
	r.Scope = nil
	for _, s := range asked {
		if a.Scopes.Known(s) && slices.Contains(r.Client.Scopes, s) || apiScope(r.API, s) {
			r.Scope = append(r.Scope, s)
		}
	}
	if len(asked) > 0 && len(r.Scope) == 0 {
		return oauth.InvalidScope("None of the requested scopes is known or allowed for this application.")
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
	case r.Method == "plain" && a.AllowPlainPKCE && r.Client.Kind != store.ClientMetadataDocument:
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

// tooManyPage answers a page request over its address's limit (the
// limiter has set Retry-After).
func tooManyPage(msg string) *web.PageError {
	return &web.PageError{Status: ratelimit.Status, Title: "Too many requests", Message: msg}
}

// respond sends values to the client's redirect URI in the request's
// response mode: the query, the fragment, or an auto-posting form; always
// with state and iss (RFC 9207).
func (a *Server) respond(c echo.Context, r *authRequest, v url.Values) error {
	a.addStateIss(r, v)
	c.Response().Header().Set("Cache-Control", "no-store")
	if r.mode() == "form_post" {
		var fields []string
		for _, k := range sortedKeys(v) {
			fields = append(fields, k, v.Get(k))
		}
		return web.FormPost(c, r.RedirectURI, web.Hidden(fields...))
	}
	u, err := redirectURL(r, v)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, u)
}

// addStateIss adds the parameters every response carries: state, and iss
// (RFC 9207).
func (a *Server) addStateIss(r *authRequest, v url.Values) {
	if r.State != "" {
		v.Set("state", r.State)
	}
	v.Set("iss", a.IssuerURL)
}

// redirectURL is the redirect URI with v in its fragment (fragment mode)
// or its query (query mode, and the link form of form_post).
func redirectURL(r *authRequest, v url.Values) (string, error) {
	u, err := url.Parse(r.RedirectURI)
	if err != nil {
		return "", err
	}
	if r.mode() == "fragment" {
		u.Fragment = ""
		return u.String() + "#" + v.Encode(), nil
	}
	q := u.Query()
	for k, vals := range v {
		q[k] = vals
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redirectErr sends an OAuth error to the client. It is the one place
// authorization errors leave for the client, in the request's response mode.
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
