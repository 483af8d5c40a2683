package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gatehouse/server/config"
)

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

// cors allows the configured origins, on the JSON APIs only; other
// origins and other paths get no CORS headers. It is global middleware so
// that preflight requests (which match no route) get their answer.
func (s *Server) cors() echo.MiddlewareFunc {
	origins := s.cfg.CORS.AllowedOrigins
	if len(origins) == 0 {
		return nil
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		Skipper:      func(c echo.Context) bool { return !isAPIPath(c.Request().URL.Path) },
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType},
		MaxAge:       600,
	})
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies.
func ipExtractor(cfg *config.Config) echo.IPExtractor {
	if len(cfg.HTTP.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	var opts []echo.TrustOption
	opts = append(opts, echo.TrustLoopback(false), echo.TrustPrivateNet(false), echo.TrustLinkLocal(false))
	for _, cidr := range cfg.HTTP.TrustedProxies {
		if _, n, err := net.ParseCIDR(cidr); err == nil { // validated by config
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
