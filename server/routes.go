package server

import (
	"time"

	"gatehouse/providers"
	"gatehouse/server/admin"
	"gatehouse/server/apitokens"
	"gatehouse/server/apps"
	"gatehouse/server/authz"
	"gatehouse/server/config"
	"gatehouse/server/jwtapi"
	"gatehouse/server/loginapi"
	"gatehouse/server/logout"
	"gatehouse/server/oauth"
	"gatehouse/server/pages"
	"gatehouse/server/seal"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/web"
)

// parts are what the route groups are built from (see build).
type parts struct {
	provs     []providers.Provider
	sealer    *seal.Sealer
	now       func() time.Time
	keys      *tokens.Keys
	issuer    *tokens.Issuer
	refresher *tokens.Refresher
	secure    bool
	lim       limits
	sessions  *session.Manager
	ender     *logout.Ender
}

// routes mounts every sub-package on the app: the pages (sessions and
// CSRF) and the APIs.
func (s *Server) routes(p parts) error {
	cfg := s.cfg
	web.RegisterStatic(s.echo)
	pageGroup := pages.Register(s.echo, pages.Deps{
		Web: s.web, Store: s.store, Sessions: p.sessions, Signin: s.signin,
		Providers: p.provs, IssuerURL: cfg.Issuer, PasswordsEnabled: cfg.PasswordsEnabled(),
		PendingTTL: cfg.Login.PendingTTL, UpstreamTimeout: cfg.HTTP.UpstreamTimeout, SecureCookies: p.secure,
		Now: p.now, Log: s.log, Issuer: p.issuer, Refresher: p.refresher,
		APITokenDefaultTTL: cfg.LoginAPI.TokenDefaultTTL, APITokenMaxTTL: cfg.LoginAPI.TokenMaxTTL, Audit: s.audit,
		LoginLimit: p.lim.loginStart, Logout: p.ender,
	})
	(&logout.Endpoint{Store: s.store, Issuer: p.issuer, Sessions: p.sessions, Ender: p.ender, Web: s.web, Audit: s.audit}).Register(pageGroup)
	api := s.echo.Group("")
	jwtapi.Register(api, jwtapi.Deps{
		Store: s.store, Signin: s.signin, Issuer: p.issuer, Refresher: p.refresher, Audience: cfg.Issuer,
		Verifier:         &apitokens.Verifier{Issuer: p.issuer, Store: s.store, Now: p.now},
		PasswordsEnabled: cfg.PasswordsEnabled(), AbsoluteTTL: cfg.Tokens.RefreshAbsoluteTTL, Now: p.now, Log: s.log, Audit: s.audit,
	})
	az, err := authz.New(authz.Deps{
		Store: s.store, Issuer: p.issuer, Keys: p.keys, Refresher: p.refresher, Signin: s.signin, Web: s.web,
		Scopes: oauth.NewScopes(scopeList(cfg)), IssuerURL: cfg.Issuer, CodeTTL: cfg.OAuth.CodeTTL,
		AllowPlainPKCE: cfg.OAuth.AllowPlainPKCE, Now: p.now, Log: s.log, Audit: s.audit,
		PendingTTL: cfg.Login.PendingTTL, SecureCookies: p.secure, RegistrationEnabled: cfg.Apps.Registration != config.RegistrationOff,
		Metadata: s.metadataResolver(p.now), Providers: byName(p.provs),
		AuthorizeLimit: p.lim.authorize, DeviceLimit: p.lim.deviceAuth, DeviceEntryLimit: p.lim.deviceEntry,
	})
	if err != nil {
		return err
	}
	az.Register(pageGroup, api)
	loginapi.Register(api, loginapi.Deps{
		Store: s.store, Signin: s.signin, Sealer: p.sealer, Providers: byName(p.provs), IssuerURL: cfg.Issuer,
		RedirectAllowlist: cfg.LoginAPI.RedirectAllowlist,
		TokenTTL:          cfg.LoginAPI.TokenDefaultTTL, StateTTL: cfg.LoginAPI.StateTTL, UpstreamTimeout: cfg.HTTP.UpstreamTimeout,
		Web: s.web, Audit: s.audit, Now: p.now, Log: s.log, StartLimit: p.lim.loginStart,
	})
	(&apps.Registration{Store: s.store, Scopes: az.Scopes, Mode: cfg.Apps.Registration, Token: cfg.Apps.RegistrationToken, Now: p.now, Audit: s.audit,
		Limit: p.lim.registration}).Register(api)
	(&apps.Pages{Store: s.store, Web: s.web, Scopes: az.Scopes, AdminsOnly: cfg.Apps.Creators == "admins", Now: p.now, Audit: s.audit,
		Issuer: cfg.Issuer, Endpoints: az.Endpoints()}).Register(pageGroup)
	(&admin.Pages{Store: s.store, Web: s.web, Keys: p.keys, Audit: s.audit, KeyGrace: cfg.Tokens.AccessTTL + jwksCachePeriod, Issuer: cfg.Issuer, Now: p.now,
		Logout: p.ender}).Register(pageGroup)
	return nil
}
