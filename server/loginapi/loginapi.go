// Package loginapi is the login API for CLIs and native apps (seed 002):
// they sign a person in without a browser session of their own and get a
// personal API token.
//
//	POST /v1/oauth2?provider=&access-token=      exchange an upstream access token
//	GET  /v1/login/token                          what the presented token is
//	POST /v1/login/oauth2/device/start            upstream device flow: code + sealed session
//	POST /v1/login/oauth2/device/complete         body: the sealed session (a JSON string)
//	GET  /v1/login/oauth2/web/authorize           web flow: upstream URL + state
//	GET  /v1/login/oauth2/web/callback/{provider} the browser comes back here and is asked to confirm
//	POST /v1/login/oauth2/web/confirm             the browser releases the token
//	GET  /v1/login/oauth2/web/poll?state=         the token, exactly once
//
// Errors: 400 {"errors": [every problem]}, 401 {"error": …}, 500 {"error": …}
// when an upstream call failed; never an upstream secret or token.
package loginapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/providers"
	"gatehouse/server/apiauth"
	"gatehouse/server/apitokens"
	"gatehouse/server/audit"
	"gatehouse/server/oauth"
	"gatehouse/server/ratelimit"
	"gatehouse/server/seal"
	"gatehouse/server/signin"
	"gatehouse/store"
	"gatehouse/web"
)

// Deps is what the login API needs.
type Deps struct {
	Store  store.Store
	Signin *signin.Service
	Sealer *seal.Sealer
	// Providers by instance name; the web flow passes them its own
	// callback URL (see webCallbackURL).
	Providers map[string]providers.Provider
	// IssuerURL is our public base URL, where the web flow's callback is.
	IssuerURL string
	// RedirectAllowlist: where the web flow may send the browser at the end.
	RedirectAllowlist []string
	TokenTTL          time.Duration
	StateTTL          time.Duration
	UpstreamTimeout   time.Duration
	Web               *web.Web
	// Audit records login_api.token_issued for every API token issued.
	Audit *audit.Writer
	Now   func() time.Time
	Log   *slog.Logger
	// StartLimit bounds web authorize and device start (a login state
	// row, an upstream call) per client address; nil: no limit.
	StartLimit *ratelimit.Limiter
}

type api struct{ Deps }

// Register mounts the routes.
func Register(g *echo.Group, d Deps) {
	a := &api{d}
	g.POST("/v1/oauth2", a.exchange)
	g.GET("/v1/login/token", a.tokenInfo)
	g.POST("/v1/login/oauth2/device/start", a.deviceStart)
	g.POST("/v1/login/oauth2/device/complete", a.deviceComplete)
	g.GET("/v1/login/oauth2/web/authorize", a.webAuthorize)
	g.GET("/v1/login/oauth2/web/callback/:provider", a.webCallback)
	g.POST("/v1/login/oauth2/web/confirm", a.webConfirm)
	g.GET("/v1/login/oauth2/web/poll", a.webPoll)
}

// tokenData is the seed's "data" object.
type tokenData struct {
	ID        string `json:"id"`
	AccountID string `json:"accountId"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
}

type secretValue struct {
	Value string `json:"value"`
}

// tokenAnswer is the seed's {"data", "secret"} answer.
type tokenAnswer struct {
	Data   tokenData   `json:"data"`
	Secret secretValue `json:"secret"`
}

func dataOf(t store.APIToken) tokenData {
	return tokenData{ID: t.ID, AccountID: t.AccountID, CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339), ExpiresAt: t.ExpiresAt.UTC().Format(time.RFC3339)}
}

// The answers below are the seed's error shapes, returned as values for
// the server's error handler to write.

// badRequest answers 400 with every problem found.
func badRequest(problems ...string) error {
	return &oauth.Problem{Status: http.StatusBadRequest, Body: map[string][]string{"errors": problems}}
}

// tooMany answers a start over the address's limit (the limiter has set
// Retry-After), in the shape of the seed's other single-message errors.
func tooMany() error {
	return message(ratelimit.Status, "Too many sign-ins started from this address; retry after Retry-After seconds.")
}

func unauthorized(msg string) error { return message(http.StatusUnauthorized, msg) }

// message is the seed's {"error": msg}.
// disabledMsg answers a sign-in of a disabled account.
const disabledMsg = "This account is disabled; ask an administrator."

func message(status int, msg string) *oauth.Problem {
	return &oauth.Problem{Status: status, Body: map[string]string{"error": msg}}
}

// upstreamFailed answers 500; the error handler logs the cause (which
// holds no secret: providers keep tokens out of their errors).
func (a *api) upstreamFailed(provider string, err error) error {
	p := message(http.StatusInternalServerError, "The "+provider+" provider could not be reached or answered something unusable.")
	p.Cause = fmt.Errorf("login API: upstream %s: %w", provider, err)
	return p
}

// cannotProve is the 400 for a provider that offers no exchange: it has
// no way to prove a token was issued to us (see providers.TokenVerifier).
func cannotProve(provider string) string {
	return "provider " + quote(provider) + " cannot prove a token was issued to this server"
}

// verifyFailed answers a failed providers.TokenVerifier check: 401 for a
// token that is not ours or not valid, 400 for one the provider cannot
// check, 403 for a missing upstream scope, 500 when the upstream failed.
func (a *api) verifyFailed(provider string, err error) error {
	kind, msg := providers.ClassifyVerify(provider, err)
	switch kind {
	case providers.VerifyNotIssuedToUs, providers.VerifyRejected:
		return unauthorized(msg)
	case providers.VerifyCannotProve:
		return badRequest(msg)
	case providers.VerifyMissingScope:
		return message(http.StatusForbidden, msg)
	}
	return a.upstreamFailed(provider, err)
}

// issueFor maps an upstream identity to an account and makes an API token.
func (a *api) issueFor(c echo.Context, provider string, id providers.Identity, name string) (tokenAnswer, error) {
	acct, _, err := a.Signin.Resolve(c.Request().Context(), signin.Request{Provider: provider, Identity: id, IP: c.RealIP()})
	if _, msg, ok := signin.Refusal(err); ok {
		p := message(http.StatusForbidden, msg) // sign-up policy or admission rules: audited by Resolve
		p.Cause = err
		return tokenAnswer{}, p
	}
	if errors.Is(err, signin.ErrDisabled) {
		p := message(http.StatusForbidden, disabledMsg)
		p.Cause = err
		return tokenAnswer{}, p
	}
	if err != nil {
		return tokenAnswer{}, err
	}
	// The token and its audit event are committed together: a crash cannot
	// leave a working token without its event.
	var t store.APIToken
	var secret string
	err = a.Audit.Change(c.Request().Context(), func(tx store.Store) (_ store.AuditEvent, err error) {
		t, secret, err = apitokens.Issue(c.Request().Context(), tx, acct.ID, name, a.TokenTTL, a.Now())
		return store.AuditEvent{ID: store.NewID(), Time: a.Now(), Type: "login_api.token_issued",
			AccountID: acct.ID, Provider: provider, IP: c.RealIP(), Detail: store.Detail("token_id", t.ID)}, err
	})
	if err != nil {
		return tokenAnswer{}, err
	}
	return tokenAnswer{Data: dataOf(t), Secret: secretValue{secret}}, nil
}

// secretJSON answers JSON that carries an API token's secret: no cache
// (shared or private) may keep it (RFC 9111 §5.2.2.5).
func secretJSON(c echo.Context, v any) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, v)
}

// exchange is POST /v1/oauth2?provider=&access-token=.
func (a *api) exchange(c echo.Context) error {
	name, accessToken := c.QueryParam("provider"), c.QueryParam("access-token")
	var problems []string
	if name == "" {
		problems = append(problems, "provider is required")
	}
	if accessToken == "" {
		problems = append(problems, "access-token is required")
	}
	var tv providers.TokenVerifier
	if p, ok := a.Providers[name]; name != "" && !ok {
		problems = append(problems, "provider "+quote(name)+" is not configured")
	} else if ok {
		if tv, ok = providers.As[providers.TokenVerifier](p); !ok {
			problems = append(problems, cannotProve(name))
		}
	}
	if len(problems) > 0 {
		return badRequest(problems...)
	}
	ctx, cancel := a.upstreamCtx(c)
	defer cancel()
	id, err := tv.VerifyAccessToken(ctx, accessToken)
	if err != nil {
		return a.verifyFailed(name, err)
	}
	ans, err := a.issueFor(c, name, id, "login API ("+name+" token)")
	if err != nil {
		return err
	}
	return secretJSON(c, ans)
}

// tokenInfo is GET /v1/login/token.
func (a *api) tokenInfo(c echo.Context) error {
	secret, ok := apiauth.BearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok {
		return unauthorized("An API token is required: Authorization: Bearer <secret>.")
	}
	t, err := apitokens.Check(c.Request().Context(), a.Store, secret, a.Now())
	if errors.Is(err, apitokens.ErrInvalid) {
		return unauthorized("The token is invalid, revoked or expired.")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dataOf(t))
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}
