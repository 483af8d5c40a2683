// Package server wires Gatehouse together: the Echo app, its middleware, the
// routes of every sub-package, and the process lifecycle. It holds no
// protocol logic of its own.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gatehouse/providers"
	"gatehouse/providers/builtin"
	"gatehouse/server/audit"
	"gatehouse/server/cimd"
	"gatehouse/server/config"
	"gatehouse/server/logout"
	"gatehouse/server/oauth"
	"gatehouse/server/seal"
	"gatehouse/server/session"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/store/gormstore"
	"gatehouse/web"
)

// Server is one running Gatehouse instance.
type Server struct {
	cfg   *config.Config
	log   *slog.Logger
	store store.Store
	echo  *echo.Echo
	web   *web.Web
	keys  *tokens.Keys
	audit *audit.Writer
	// signin is shared by every sign-in path (tests set admission rules on it).
	signin *signin.Service
	// backchannel delivers logout tokens; Serve and Close wait for it.
	backchannel *logout.Backchannel
	now         func() time.Time
	ready       readiness
	// metaOpts: Options.MetadataDocuments (metadata.go)
	metaOpts *cimd.Options
}

// Options are the parts tests replace; production passes the zero value.
type Options struct {
	Now      func() time.Time    // default time.Now
	Registry *providers.Registry // default builtin.Registry()
	Store    store.Store         // default: opened from cfg.Database
	// MetadataDocuments overrides how Client ID Metadata Documents are
	// fetched when apps.metadata_documents is on (nil: the system's CAs,
	// private addresses only in dev mode).
	MetadataDocuments *cimd.Options
}

// New builds a server from validated config: it opens and migrates the
// store, loads the master key, ensures signing keys exist and instantiates
// the providers. Errors name the config key at fault.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	return NewWithOptions(ctx, cfg, log, Options{})
}

// NewWithOptions is New with test seams.
func NewWithOptions(ctx context.Context, cfg *config.Config, log *slog.Logger, o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registry == nil {
		o.Registry = builtin.Registry()
	}
	provs, err := instantiate(cfg, o.Registry, o.Now)
	if err != nil {
		return nil, err
	}
	sealer, err := masterSealer(cfg)
	if err != nil {
		return nil, err
	}
	st := o.Store
	if st == nil {
		if st, err = gormstore.OpenWith(ctx, cfg.Database.Driver, cfg.Database.DSN, gormstore.Options{Synchronous: cfg.Database.Synchronous}); err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
	}
	// Every token request reads its client: keep clients in memory briefly.
	s := &Server{cfg: cfg, log: log, store: store.WithClientCache(st, 10*time.Second, o.Now)}
	s.metaOpts = o.MetadataDocuments
	if err := s.build(ctx, provs, sealer, o.Now); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// instantiate builds every configured provider once, reporting all
// problems: the pages and the login API's web flow share the instance and
// pass their own callback URLs. Every upstream call goes through one
// client, bounded in time and answer size.
func instantiate(cfg *config.Config, reg *providers.Registry, now func() time.Time) ([]providers.Provider, error) {
	client := providers.NewHTTPClient(cfg.HTTP.UpstreamTimeout, cfg.HTTP.UpstreamMaxBytes)
	var out []providers.Provider
	var errs []error
	for i, pc := range cfg.ProviderConfigs() {
		pc.HTTPClient, pc.Now = client, now
		p, err := reg.New(pc, cfg.Dev)
		if err != nil {
			errs = append(errs, fmt.Errorf("providers[%d] (%s): %w", i, pc.Name, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

func masterSealer(cfg *config.Config) (*seal.Sealer, error) {
	key, _, err := cfg.LoadMasterKey()
	if err != nil {
		return nil, err
	}
	return seal.New(key)
}

// build creates the token machinery and the HTTP app.
func (s *Server) build(ctx context.Context, provs []providers.Provider, sealer *seal.Sealer, now func() time.Time) error {
	cfg := s.cfg
	keys, issuer, refresher, err := s.newTokens(ctx, sealer, now)
	if err != nil {
		return err
	}
	s.audit = audit.New(s.store, s.log, 1024)
	secure := cfg.SecureCookies()
	s.signin = newSignin(cfg, s.store, now)
	w, err := web.New(web.Options{TemplatesDir: cfg.UI.TemplatesDir})
	if err != nil {
		return err
	}
	s.web = w
	s.backchannel = logout.NewBackchannel(issuer, s.log, logout.Options{Timeout: cfg.Logout.BackchannelTimeout})
	s.echo = s.newEcho()
	return s.routes(parts{
		provs: provs, sealer: sealer, now: now, keys: keys, issuer: issuer, refresher: refresher, secure: secure,
		lim:      newLimits(cfg.Limits, now),
		sessions: &session.Manager{Store: s.store, CookieName: session.CookieName(cfg.Session.CookieName, secure), TTL: cfg.Session.Lifetime, Secure: secure, Now: now},
		ender:    &logout.Ender{Store: s.store, Back: s.backchannel},
	})
}

// newTokens makes sure there is a signing key and creates the token
// issuer and the refresh-token rotation on it.
func (s *Server) newTokens(ctx context.Context, sealer *seal.Sealer, now func() time.Time) (*tokens.Keys, *tokens.Issuer, *tokens.Refresher, error) {
	cfg := s.cfg
	keys := tokens.NewKeys(s.store, sealer, tokens.KeyOptions{Now: now, Refresh: cfg.Tokens.KeyCacheTTL})
	if err := keys.Ensure(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	s.keys, s.now = keys, now
	issuer := tokens.NewIssuer(keys, tokens.IssuerOptions{
		Issuer: cfg.Issuer, AccessTTL: cfg.Tokens.AccessTTL, AccessAlg: cfg.Tokens.AccessAlg, Now: now, Revoked: s.store})
	refresher := tokens.NewRefresher(s.store, tokens.RefreshOptions{
		IdleTTL: cfg.Tokens.RefreshIdleTTL, AbsoluteTTL: cfg.Tokens.RefreshAbsoluteTTL, Grace: cfg.Tokens.RefreshGrace,
		Sealer: sealer, Now: now})
	return keys, issuer, refresher, nil
}

// newEcho sets up the app and the routes that belong to no sub-package.
func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(s.cfg)
	e.HTTPErrorHandler = s.errorHandler
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	if s.log.Enabled(context.Background(), slog.LevelInfo) {
		e.Use(middleware.RequestID()) // request IDs are for the request log
	}
	e.Use(middleware.Recover(), bodyLimit(maxBody), requestLogger(s.log), m.middleware)
	e.Use(securityHeaders(s.cfg.SecureCookies()))
	if c := s.cors(); c != nil {
		e.Use(c)
	}
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	return e
}

// Handler is the HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return headAsGet(s.echo) }

// Run serves HTTP on cfg.Listen until ctx is cancelled, then shuts down
// gracefully, letting requests in flight finish.
func (s *Server) Run(ctx context.Context) error {
	// Bind before saying we listen, so "listening" means connectable.
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln (bound by the caller, so that a busy port is
// reported before anything else is said) until ctx is cancelled, then
// shuts down gracefully. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.cfg.HTTP.PprofListen != "" {
		pln, err := net.Listen("tcp", s.cfg.HTTP.PprofListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("http.pprof_listen: %w", err)
		}
		go s.servePprof(ctx, pln)
	}
	h := s.cfg.HTTP
	lim := newLimitListener(ln, maxConnections(h.MaxConnections, fdLimit()))
	conns := &connTracker{}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: min(10*time.Second, h.ReadTimeout),
		ReadTimeout: h.ReadTimeout, WriteTimeout: h.WriteTimeout, IdleTimeout: h.IdleTimeout, MaxHeaderBytes: h.MaxHeaderBytes,
		ConnState: conns.hook}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lim) }()
	// The background work ends before Serve returns: the caller closes the
	// store next, and a sweep must not run into a closed database.
	bgctx, stop := context.WithCancel(ctx)
	var bg sync.WaitGroup
	defer bg.Wait()
	defer stop()
	bg.Go(func() { s.rotateKeys(bgctx) })
	bg.Go(func() { s.deleteExpired(bgctx) })
	s.log.Info("gatehouse listening", "addr", ln.Addr().String(), "issuer", s.cfg.Issuer, "max_connections", lim.max)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.drain(srv, conns)
	s.audit.Close()       // the requests are done: store every queued event
	s.backchannel.Close() // and deliver every queued logout token
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// servePprof serves the runtime profiles on ln (the loopback address of
// http.pprof_listen) until ctx ends, on a mux of its own so they can never
// leak onto the public listener.
func (s *Server) servePprof(ctx context.Context, ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: s.cfg.HTTP.PprofListen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	s.log.Warn("serving pprof", "addr", s.cfg.HTTP.PprofListen)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("pprof listener", "err", err)
	}
}

// FlushAudit stores every queued audit event now (tests read them back).
func (s *Server) FlushAudit() { s.audit.Flush() }

// Close stores queued audit events and releases the store.
func (s *Server) Close() error {
	if s.audit != nil {
		s.audit.Close()
	}
	if s.backchannel != nil {
		s.backchannel.Close()
	}
	return s.store.Close()
}

// scopeList converts the configured extra scopes.
func scopeList(cfg *config.Config) []oauth.Scope {
	out := make([]oauth.Scope, len(cfg.Scopes))
	for i, s := range cfg.Scopes {
		out[i] = oauth.Scope{Name: s.Name, Description: s.Description}
	}
	return out
}

// rotateKeys rotates signing keys on the configured schedule until ctx
// ends. The next key is published one JWKS cache period plus the key cache
// lifetime before it signs; a retired key stays published for the longest
// token lifetime.
func (s *Server) rotateKeys(ctx context.Context) {
	// Every instance must hold the next key (key cache) and every client
	// must have fetched it (JWKS cache) before it signs.
	prepublish := jwksCachePeriod + s.cfg.Tokens.KeyCacheTTL
	sched := tokens.Schedule{Every: *s.cfg.Tokens.KeyRotation, Prepublish: prepublish,
		Grace: s.cfg.Tokens.AccessTTL + jwksCachePeriod}
	if sched.Every == 0 {
		return
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		for _, alg := range []string{"ES256", "RS256"} {
			if made, err := s.keys.RotateDue(ctx, alg, sched); err != nil {
				if ctx.Err() == nil { // not a shutdown
					s.log.Error("key rotation failed", "alg", alg, "err", err)
				}
			} else if made {
				s.log.Info("next signing key published", "alg", alg, "active_in", prepublish)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// jwksCachePeriod matches the Cache-Control max-age of /oauth2/jwks.
const jwksCachePeriod = 5 * time.Minute

func byName(ps []providers.Provider) map[string]providers.Provider {
	m := make(map[string]providers.Provider, len(ps))
	for _, p := range ps {
		m[p.Name()] = p
	}
	return m
}

// deleteExpired removes dead rows (expired codes, sessions, …) at start
// and then every ten minutes until ctx ends. It runs in its own goroutine,
// so readiness never waits for it, and sweeping at start means a server
// restarted in a loop still cleans up. The store deletes in small batches,
// so requests' writes get through meanwhile. On several instances each
// does it; the deletes are idempotent.
func (s *Server) deleteExpired(ctx context.Context) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		if n, err := s.store.DeleteExpired(ctx, s.now()); err != nil {
			if ctx.Err() == nil {
				s.log.Error("deleting expired rows", "err", err)
			}
		} else if n > 0 {
			s.log.Debug("deleted expired rows", "rows", n)
		}
		s.deleteIdleClients(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
