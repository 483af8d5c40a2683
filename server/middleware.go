package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"gatehouse/server/config"
	"gatehouse/server/oauth"
	"gatehouse/server/ratelimit"
	"gatehouse/web"
)

// isAPIPath reports whether a path belongs to the JSON APIs, which answer
// errors as JSON and are the only routes with CORS.
func isAPIPath(p string) bool {
	if p == "/oauth2/authorize" {
		return false // a page: the user's browser is there
	}
	for _, prefix := range []string{"/api/", "/v1/", "/oauth2/", "/.well-known/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// errorHandler is the single writer of error answers. Handlers and
// middleware return errors as values: OAuth errors (*oauth.Error) get RFC
// 6749 §5.2 JSON, a protected resource's refusals (*oauth.BearerError) RFC
// 6750's challenge and JSON, the APIs' own shapes (*oauth.Problem) their
// body; otherwise pages get a readable page and JSON APIs a JSON body. The
// cause of a 5xx is logged, never sent.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := statusOf(err)
	s.logRefusal(c, status, err)
	var (
		oe *oauth.Error
		be *oauth.BearerError
		pe *oauth.Problem
	)
	switch {
	case errors.As(err, &oe):
		writeOAuthError(c, oe)
	case errors.As(err, &be):
		writeBearerError(c, be)
	case errors.As(err, &pe):
		writeProblem(c, pe)
	case isAPIPath(c.Request().URL.Path):
		writeJSONError(c, status)
	default:
		if rerr := s.web.RenderError(c, err); rerr != nil {
			s.log.Error("error page failed", "err", rerr)
			_ = c.String(http.StatusInternalServerError, "internal error")
		}
	}
}

// logRefusal logs an error answer: a 5xx with its cause as an error, the
// rest at debug level.
func (s *Server) logRefusal(c echo.Context, status int, err error) {
	if status >= 500 {
		s.log.Error("request failed", "path", logPath(c, c.Request().URL.Path), "err", err)
	} else {
		s.log.Debug("request refused", "path", logPath(c, c.Request().URL.Path), "status", status, "err", err)
	}
}

// secretPaths are the routes whose path carries a secret (an invite link's
// token): logs show the route, never the path.
var secretPaths = map[string]bool{"/invite/:token": true}

// logPath is the path to log for c's request.
func logPath(c echo.Context, path string) string {
	if secretPaths[c.Path()] {
		return c.Path()
	}
	return path
}

// writeOAuthError answers e as RFC 6749 §5.2 JSON: never cached, a
// challenge when e calls for one (Basic for a client that authenticated
// with Basic, §5.2; Bearer at a protected resource), and Retry-After when e
// says when to come back.
func writeOAuthError(c echo.Context, e *oauth.Error) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if ch := e.Challenge(); ch != "" {
		h.Set(echo.HeaderWWWAuthenticate, ch)
	}
	if e.RetryAfter > 0 {
		ratelimit.SetRetryAfter(c, e.RetryAfter)
	}
	_ = c.JSON(e.Status, e)
}

// writeBearerError answers RFC 6750 §3.1: the challenge, and for a 401 (an
// answer about credentials) no caching.
func writeBearerError(c echo.Context, e *oauth.BearerError) {
	h := c.Response().Header()
	h.Set(echo.HeaderWWWAuthenticate, e.Challenge())
	if e.Status == http.StatusUnauthorized {
		h.Set("Cache-Control", "no-store")
	}
	_ = c.JSON(e.Status, e.Body())
}

// writeProblem answers an API's own error shape.
func writeProblem(c echo.Context, p *oauth.Problem) {
	if p.RetryAfter > 0 {
		ratelimit.SetRetryAfter(c, p.RetryAfter)
	}
	_ = c.JSON(p.Status, p.Body)
}

// statusOf is the HTTP status an error will be answered with.
func statusOf(err error) int {
	var (
		oe *oauth.Error
		be *oauth.BearerError
		pe *oauth.Problem
		he *echo.HTTPError
		we *web.PageError
	)
	switch {
	case errors.As(err, &oe):
		return oe.Status
	case errors.As(err, &be):
		return be.Status
	case errors.As(err, &pe):
		return pe.Status
	case errors.As(err, &we):
		return we.Status
	case errors.As(err, &he):
		return he.Code
	}
	return http.StatusInternalServerError
}

func writeJSONError(c echo.Context, status int) {
	code := "server_error"
	switch {
	case status == http.StatusNotFound:
		code = "not_found"
	case status == http.StatusMethodNotAllowed:
		code = "method_not_allowed"
	case status == http.StatusRequestEntityTooLarge:
		code = "request_too_large"
	case status < 500:
		code = "invalid_request"
	}
	_ = c.JSON(status, map[string]string{"error": code})
}

// requestLogger logs method, route path, status and latency at info level
// (nothing at all when the logger is above info). It logs the path only,
// never the query: queries carry codes and tokens.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, LogRequestID: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("path", logPath(c, v.URIPath)),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
				slog.String("request_id", v.RequestID))
			return nil
		},
	})
}

// headAsGet answers HEAD as GET (RFC 9110 §9.3.2): Echo routes methods
// exactly, and monitors and load balancers probe with HEAD. It wraps the
// Echo app, not a middleware inside it, because Echo routes on the request
// it was handed: the app gets a copy saying GET, while net/http still holds
// the original HEAD request and so drops the body itself.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			get := *r
			get.Method = http.MethodGet
			r = &get
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the response headers every answer carries. The
// values are built once; assigning them by canonical key costs no
// allocation per request. HSTS goes with an https issuer, not with the
// connection: behind a TLS-terminating proxy the connection is plain http.
func securityHeaders(https bool) echo.MiddlewareFunc {
	fixed := map[string][]string{
		"X-Frame-Options":         {"DENY"},
		"X-Content-Type-Options":  {"nosniff"},
		"Referrer-Policy":         {"no-referrer"},
		"Content-Security-Policy": {"default-src 'self'; img-src 'self' https:; frame-ancestors 'none'; form-action 'self' https: http:"},
	}
	hsts := []string{"max-age=31536000; includeSubDomains"}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			for k, v := range fixed {
				h[k] = v
			}
			if https {
				h["Strict-Transport-Security"] = hsts
			}
			return next(c)
		}
	}
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
