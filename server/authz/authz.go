// Package authz is Gatehouse's OAuth 2.0 / OpenID Connect authorization
// server: /oauth2/authorize and the consent page, /oauth2/token with its
// grants (one file each, every grant read as parse → validate → act →
// respond), discovery, JWKS, userinfo, revocation and introspection.
//
// Order of checks at /oauth2/authorize (RFC 6749 §4.1.2.1): the client and
// the redirect URI are validated first, and until both are known good every
// error is an error page, never a redirect.
package authz

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/providers"
	"gatehouse/server/audit"
	"gatehouse/server/cimd"
	"gatehouse/server/oauth"
	"gatehouse/server/ratelimit"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// Deps is what the authorization server needs.
type Deps struct {
	Store     store.Store
	Issuer    *tokens.Issuer
	Keys      *tokens.Keys
	Refresher *tokens.Refresher
	Signin    *signin.Service
	Web       *web.Web
	Scopes    *oauth.Scopes
	IssuerURL string
	// CodeTTL bounds authorization codes (default 1 minute).
	CodeTTL time.Duration
	// AllowPlainPKCE accepts code_challenge_method=plain (off by default).
	AllowPlainPKCE bool
	// PendingTTL bounds an authorization request waiting for sign-in or
	// consent (default 10 minutes).
	PendingTTL time.Duration
	// SecureCookies marks the browser-binding cookie Secure.
	SecureCookies bool
	// RegistrationEnabled advertises registration_endpoint (RFC 7591
	// registration is on when apps.registration_token is set).
	RegistrationEnabled bool
	// Metadata resolves https client_ids from their Client ID Metadata
	// Documents; nil: such client_ids are unknown clients.
	Metadata *cimd.Resolver
	Now      func() time.Time
	Log      *slog.Logger
	Audit    *audit.Writer

	// Per-address limits (nil: none): authorization requests that become
	// pending rows, device authorizations, and user-code entries on /device.
	AuthorizeLimit, DeviceLimit, DeviceEntryLimit *ratelimit.Limiter

	// Providers by instance name: token exchange verifies upstream tokens
	// with their providers.TokenVerifier.
	Providers map[string]providers.Provider
}

// Server holds the handlers.
type Server struct {
	Deps
	discovery []byte // pre-rendered
}

// New prepares the server (discovery is rendered once here).
func New(d Deps) (*Server, error) {
	if d.CodeTTL == 0 {
		d.CodeTTL = time.Minute
	}
	if d.PendingTTL == 0 {
		d.PendingTTL = 10 * time.Minute
	}
	a := &Server{Deps: d}
	var err error
	if a.discovery, err = a.renderDiscovery(); err != nil {
		return nil, err
	}
	return a, nil
}

// Register mounts the routes: pages (authorize, consent) on the page group
// (sessions and CSRF), the JSON endpoints on api (CORS for listed origins).
func (a *Server) Register(pages, api *echo.Group) {
	pages.GET("/oauth2/authorize", a.authorize)
	pages.POST("/oauth2/authorize", a.authorize)
	pages.GET("/consent", a.consentPage)
	pages.POST("/consent", a.consentDecision)
	pages.GET("/device", a.devicePage)
	pages.POST("/device", a.deviceSubmit)
	api.POST("/oauth2/device_authorization", a.deviceAuthorization)
	api.POST("/oauth2/token", a.token)
	api.POST("/oauth2/revoke", a.revoke)
	api.POST("/oauth2/introspect", a.introspect)
	api.GET("/oauth2/userinfo", a.userinfo)
	api.POST("/oauth2/userinfo", a.userinfo)
	api.GET("/oauth2/jwks", a.jwks)
	api.GET("/.well-known/openid-configuration", a.wellKnown)
	api.GET("/.well-known/oauth-authorization-server", a.wellKnown)
}

// noStoreJSON answers v with the caching headers token responses need.
func noStoreJSON(c echo.Context, v any) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, v)
}
