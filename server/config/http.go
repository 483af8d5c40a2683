package config

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"gatehouse/providers"
	"gatehouse/server/oauth"
)

// HTTP tunes HTTP behaviour.
type HTTP struct {
	UpstreamTimeout time.Duration `yaml:"upstream_timeout"`
	// UpstreamMaxBytes caps every upstream answer (discovery, JWKS,
	// tokens, profiles): a larger one fails the call, so a hostile or
	// broken upstream cannot make Gatehouse buffer without bound.
	UpstreamMaxBytes int64    `yaml:"upstream_max_bytes"`
	TrustedProxies   []string `yaml:"trusted_proxies"`
	// PprofListen, when set, serves net/http/pprof on this loopback
	// address (for profiling under load); empty turns it off.
	PprofListen string `yaml:"pprof_listen"`
	// ReadTimeout bounds reading one whole request, headers and body, so a
	// client trickling bytes cannot hold a connection.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds a request from its headers to the end of the
	// answer; no handler streams, and it must exceed upstream_timeout.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection waiting for its next request.
	IdleTimeout    time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes int           `yaml:"max_header_bytes"`
	// MaxConnections caps open client connections; over it a new one gets
	// a 503 with Retry-After and is closed. 0 sizes it from the file
	// descriptor limit (RLIMIT_NOFILE) less a reserve for the database,
	// upstream calls and logs.
	MaxConnections int `yaml:"max_connections"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM; connections
	// still open then are closed.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// CORS lists the origins allowed to call the JSON APIs from browsers.
type CORS struct {
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// isLoopback reports whether host names this machine only. A listen
// address may say "localhost" (it is resolved here, not by a client).
func isLoopback(host string) bool { return host == "localhost" || oauth.IsLoopbackIP(host) }

func (h *HTTP) defaults() {
	defDur(&h.UpstreamTimeout, 10*time.Second)
	defDur(&h.ReadTimeout, 20*time.Second)
	defDur(&h.WriteTimeout, 30*time.Second)
	defDur(&h.IdleTimeout, 60*time.Second)
	defDur(&h.ShutdownTimeout, 15*time.Second)
	if h.MaxHeaderBytes == 0 {
		h.MaxHeaderBytes = 64 << 10
	}
	if h.UpstreamMaxBytes == 0 {
		h.UpstreamMaxBytes = providers.DefaultMaxBody
	}
}

func (h *HTTP) validate() []error {
	errs := negatives(map[string]time.Duration{"http.upstream_timeout": h.UpstreamTimeout,
		"http.read_timeout": h.ReadTimeout, "http.idle_timeout": h.IdleTimeout, "http.shutdown_timeout": h.ShutdownTimeout})
	if h.UpstreamMaxBytes < 4<<10 {
		errs = append(errs, fmt.Errorf("http.upstream_max_bytes: must be at least 4096 (bytes), got %d", h.UpstreamMaxBytes))
	}
	if h.PprofListen != "" {
		if host, _, err := net.SplitHostPort(h.PprofListen); err != nil || !isLoopback(host) {
			errs = append(errs, fmt.Errorf("http.pprof_listen: must be a loopback host:port such as 127.0.0.1:6060, got %q", h.PprofListen))
		}
	}
	errs = append(errs, h.validateServing()...)
	for i, cidr := range h.TrustedProxies {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			errs = append(errs, fmt.Errorf("http.trusted_proxies[%d]: not a CIDR: %q", i, cidr))
		}
	}
	return errs
}

// validateServing checks the HTTP server's limits.
func (h *HTTP) validateServing() []error {
	var errs []error
	if h.WriteTimeout <= h.UpstreamTimeout {
		errs = append(errs, fmt.Errorf("http.write_timeout: must exceed http.upstream_timeout (%s), got %s", h.UpstreamTimeout, h.WriteTimeout))
	}
	if h.MaxHeaderBytes < 4<<10 || h.MaxHeaderBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("http.max_header_bytes: must be between 4096 and 1048576, got %d", h.MaxHeaderBytes))
	}
	if h.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("http.max_connections: must be 0 (sized from the file descriptor limit) or positive, got %d", h.MaxConnections))
	}
	return errs
}

func (o *CORS) validate() []error {
	var errs []error
	for i, o := range o.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("cors.allowed_origins[%d]: must be an origin like https://app.example.com, got %q", i, o))
		}
	}
	return errs
}
