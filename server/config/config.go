// Package config reads, defaults and validates Gatehouse's configuration:
// one YAML file (or the embedded dev default), then GATEHOUSE_* environment
// overrides, then secrets from *_file keys. Validation reports every
// problem at once, each naming its key.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"gatehouse/providers"
	"gatehouse/server/seal"
)

//go:embed default.yaml
var defaultYAML []byte

// Config is the whole configuration.
type Config struct {
	Issuer        string     `yaml:"issuer"`
	Listen        string     `yaml:"listen"`
	Dev           bool       `yaml:"dev"`
	Database      Database   `yaml:"database"`
	MasterKey     string     `yaml:"master_key"`
	MasterKeyFile string     `yaml:"master_key_file"`
	Session       Session    `yaml:"session"`
	Login         Login      `yaml:"login"`
	Tokens        Tokens     `yaml:"tokens"`
	CORS          CORS       `yaml:"cors"`
	HTTP          HTTP       `yaml:"http"`
	Log           Log        `yaml:"log"`
	OAuth         OAuth      `yaml:"oauth"`
	Apps          Apps       `yaml:"apps"`
	LoginAPI      LoginAPI   `yaml:"login_api"`
	Limits        Limits     `yaml:"limits"`
	Scopes        []Scope    `yaml:"scopes"`
	Providers     []Provider `yaml:"providers"`
}

// OAuth tunes the authorization server.
type OAuth struct {
	CodeTTL        time.Duration `yaml:"code_ttl"`
	AllowPlainPKCE bool          `yaml:"allow_plain_pkce"`
}

// Apps configures app registration.
type Apps struct {
	// Creators: "admins" (the default) or "anyone" (any signed-in user;
	// the default in dev mode). Apps of non-admins are not vetted: their
	// authorization errors are pages, not redirects.
	Creators string `yaml:"creators"`
	// RegistrationToken guards RFC 7591 dynamic registration at
	// /oauth2/register; empty disables it.
	RegistrationToken     string `yaml:"registration_token"`
	RegistrationTokenFile string `yaml:"registration_token_file"`
}

// LoginAPI configures the login API for CLIs (/v1) and API tokens.
type LoginAPI struct {
	// RedirectAllowlist: where the web flow may send the browser after
	// sign-in (exact URLs, or loopback URLs with any port).
	RedirectAllowlist []string      `yaml:"redirect_allowlist"`
	TokenDefaultTTL   time.Duration `yaml:"token_default_ttl"`
	TokenMaxTTL       time.Duration `yaml:"token_max_ttl"`
	StateTTL          time.Duration `yaml:"state_ttl"`
}

// Limits are the per-address request limits of the endpoints that write
// rows for anyone who asks (see server/ratelimit). They are counted in
// memory by each instance.
type Limits struct {
	// MaxClients bounds the addresses each limit tracks per window; more
	// addresses share one count.
	MaxClients int `yaml:"max_clients"`
	// LoginStart: GET /login/{provider}, the login API's web authorize and
	// device start (one budget).
	LoginStart Limit `yaml:"login_start"`
	// Authorize: /oauth2/authorize requests that must wait for sign-in or
	// consent (a pending row each); answered requests are not counted.
	Authorize           Limit `yaml:"authorize"`
	DeviceAuthorization Limit `yaml:"device_authorization"` // POST /oauth2/device_authorization
	DeviceEntry         Limit `yaml:"device_entry"`         // POST /device (user-code guesses)
	Registration        Limit `yaml:"registration"`         // POST /oauth2/register
}

// Limit is Requests per Window per client address.
type Limit struct {
	Requests int           `yaml:"requests"`
	Window   time.Duration `yaml:"window"`
}

// Scope is an extra scope apps may request, with the words the consent
// page shows for it.
type Scope struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// Database selects the store.
type Database struct {
	Driver string `yaml:"driver"` // sqlite | postgres
	DSN    string `yaml:"dsn"`
	// Synchronous is SQLite's PRAGMA synchronous: "normal" (the default;
	// in WAL mode a power loss may lose the last commits, never corrupts)
	// or "full" (every commit survives a power loss; slower writes).
	Synchronous string `yaml:"synchronous"`
}

// Session configures browser sessions.
type Session struct {
	Lifetime   time.Duration `yaml:"lifetime"`
	CookieName string        `yaml:"cookie_name"`
}

// Login configures sign-in.
type Login struct {
	// PendingTTL bounds an upstream sign-in and an authorization request
	// waiting for sign-in and consent.
	PendingTTL time.Duration `yaml:"pending_ttl"`
	Passwords  *bool         `yaml:"passwords"`
	// PasswordAttempts per PasswordWindow per username from one IP
	// address (an address gets five times as many over all usernames);
	// the counters are shared by all instances.
	PasswordAttempts int           `yaml:"password_attempts"`
	PasswordWindow   time.Duration `yaml:"password_window"`
	// PasswordUserAttempts per PasswordWindow per username over all
	// addresses (default ten times PasswordAttempts): a slower back-off
	// that one address alone cannot reach, so it cannot lock the owner out.
	PasswordUserAttempts int `yaml:"password_user_attempts"`
}

// Tokens configures our tokens.
type Tokens struct {
	AccessTTL          time.Duration `yaml:"access_ttl"`
	AccessAlg          string        `yaml:"access_alg"`
	RefreshIdleTTL     time.Duration `yaml:"refresh_idle_ttl"`
	RefreshAbsoluteTTL time.Duration `yaml:"refresh_absolute_ttl"`
	// RefreshGrace is how long a just-rotated refresh token may be presented
	// again and get the same successor back (clients that refresh from
	// several requests at once); an app's own refresh_grace > 0 overrides it.
	RefreshGrace time.Duration `yaml:"refresh_grace"`
	// KeyRotation is how long a signing key signs before the next one
	// takes over; 0 turns scheduled rotation off.
	KeyRotation *time.Duration `yaml:"key_rotation"`
	// KeyCacheTTL is how long an instance trusts its in-memory copy of the
	// signing keys before reading them from the store again: the longest
	// time another instance's rotation takes to show in its JWKS.
	KeyCacheTTL time.Duration `yaml:"key_cache_ttl"`
}

// CORS lists the origins allowed to call the JSON APIs from browsers.
type CORS struct {
	AllowedOrigins []string `yaml:"allowed_origins"`
}

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

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Provider is one upstream provider instance.
type Provider struct {
	Name             string            `yaml:"name"`
	Type             string            `yaml:"type"`
	DisplayName      string            `yaml:"display_name"`
	ClientID         string            `yaml:"client_id"`
	ClientSecret     string            `yaml:"client_secret"`
	ClientSecretFile string            `yaml:"client_secret_file"`
	Scopes           []string          `yaml:"scopes"`
	APIURL           string            `yaml:"api_url"`
	AuthURL          string            `yaml:"auth_url"`
	TokenURL         string            `yaml:"token_url"`
	ProfileURL       string            `yaml:"profile_url"`
	EmailsURL        string            `yaml:"emails_url"`
	DeviceURL        string            `yaml:"device_url"`
	CheckTokenURL    string            `yaml:"check_token_url"`
	IntrospectionURL string            `yaml:"introspection_url"`
	TrustEmail       bool              `yaml:"trust_email"`
	Options          map[string]string `yaml:"options"`
}

// Load reads the config at path ("" = the embedded dev default), applies
// env (KEY=VALUE strings, normally os.Environ()), reads secret files,
// fills defaults and validates.
func Load(path string, env []string) (*Config, error) {
	data, src := defaultYAML, "embedded default"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		data, src = b, path
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", src, err)
	}
	if err := c.applyEnv(env); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.readSecretFiles(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s:\n%w", src, err)
	}
	return &c, nil
}

// applyEnv overrides keys from GATEHOUSE_* variables.
func (c *Config) applyEnv(env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "GATEHOUSE_") {
			vars[k] = v
		}
	}
	str := map[string]*string{
		"GATEHOUSE_ISSUER": &c.Issuer, "GATEHOUSE_LISTEN": &c.Listen,
		"GATEHOUSE_DATABASE_DRIVER": &c.Database.Driver, "GATEHOUSE_DATABASE_DSN": &c.Database.DSN,
		"GATEHOUSE_MASTER_KEY": &c.MasterKey, "GATEHOUSE_MASTER_KEY_FILE": &c.MasterKeyFile,
		"GATEHOUSE_LOG_LEVEL": &c.Log.Level, "GATEHOUSE_HTTP_PPROF_LISTEN": &c.HTTP.PprofListen,
	}
	for k, p := range str {
		if v, ok := vars[k]; ok {
			*p = v
		}
	}
	if v, ok := vars["GATEHOUSE_DEV"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("GATEHOUSE_DEV: %q is not a boolean", v)
		}
		c.Dev = b
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		prefix := "GATEHOUSE_PROVIDERS_" + strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")) + "_"
		if v, ok := vars[prefix+"CLIENT_ID"]; ok {
			p.ClientID = v
		}
		if v, ok := vars[prefix+"CLIENT_SECRET"]; ok {
			p.ClientSecret = v
		}
	}
	return nil
}

func (c *Config) readSecretFiles() error {
	var errs []error
	if f := c.Apps.RegistrationTokenFile; f != "" {
		if c.Apps.RegistrationToken != "" {
			errs = append(errs, errors.New("apps.registration_token_file: set either registration_token or registration_token_file, not both"))
		} else if b, err := os.ReadFile(f); err != nil {
			errs = append(errs, fmt.Errorf("apps.registration_token_file: %w", err))
		} else {
			c.Apps.RegistrationToken = strings.TrimSpace(string(b))
		}
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.ClientSecretFile == "" {
			continue
		}
		key := fmt.Sprintf("providers[%d] (%s).client_secret_file", i, p.Name)
		if p.ClientSecret != "" {
			errs = append(errs, fmt.Errorf("%s: set either client_secret or client_secret_file, not both", key))
			continue
		}
		b, err := os.ReadFile(p.ClientSecretFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		p.ClientSecret = strings.TrimRight(string(b), "\r\n")
	}
	return errors.Join(errs...)
}

func (c *Config) defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Listen, "127.0.0.1:8080")
	def(&c.Issuer, "http://"+c.Listen)
	c.Issuer = strings.TrimRight(c.Issuer, "/")
	def(&c.Database.Driver, "sqlite")
	def(&c.Database.DSN, "gatehouse.db")
	if c.MasterKey == "" && c.Database.Driver == "sqlite" {
		def(&c.MasterKeyFile, filepath.Join(filepath.Dir(c.Database.DSN), "gatehouse.key"))
	}
	dur(&c.Session.Lifetime, 24*time.Hour)
	def(&c.Session.CookieName, "gatehouse_session")
	dur(&c.Login.PendingTTL, 10*time.Minute)
	if c.Login.Passwords == nil {
		yes := true
		c.Login.Passwords = &yes
	}
	if c.Login.PasswordAttempts == 0 {
		c.Login.PasswordAttempts = 10
	}
	dur(&c.Login.PasswordWindow, 15*time.Minute)
	if c.Login.PasswordUserAttempts == 0 {
		c.Login.PasswordUserAttempts = 10 * c.Login.PasswordAttempts
	}
	c.Limits.defaults()
	dur(&c.Tokens.AccessTTL, 15*time.Minute)
	def(&c.Tokens.AccessAlg, "ES256")
	dur(&c.Tokens.RefreshIdleTTL, 30*24*time.Hour)
	dur(&c.Tokens.RefreshAbsoluteTTL, 90*24*time.Hour)
	dur(&c.Tokens.RefreshGrace, 10*time.Second)
	dur(&c.HTTP.UpstreamTimeout, 10*time.Second)
	dur(&c.HTTP.ReadTimeout, 20*time.Second)
	dur(&c.HTTP.WriteTimeout, 30*time.Second)
	dur(&c.HTTP.IdleTimeout, 60*time.Second)
	dur(&c.HTTP.ShutdownTimeout, 15*time.Second)
	if c.HTTP.MaxHeaderBytes == 0 {
		c.HTTP.MaxHeaderBytes = 64 << 10
	}
	if c.Database.Driver == "sqlite" {
		def(&c.Database.Synchronous, "normal")
	}
	if c.HTTP.UpstreamMaxBytes == 0 {
		c.HTTP.UpstreamMaxBytes = providers.DefaultMaxBody
	}
	dur(&c.Tokens.KeyCacheTTL, time.Minute)
	if c.Tokens.KeyRotation == nil {
		d := 30 * 24 * time.Hour
		c.Tokens.KeyRotation = &d
	}
	dur(&c.OAuth.CodeTTL, time.Minute)
	// Whoever registers an app chooses where people are sent after
	// sign-in: outside dev mode that is for administrators unless the
	// operator opens it up.
	if c.Dev {
		def(&c.Apps.Creators, "anyone")
	}
	def(&c.Apps.Creators, "admins")
	dur(&c.LoginAPI.TokenDefaultTTL, 30*24*time.Hour)
	dur(&c.LoginAPI.TokenMaxTTL, 365*24*time.Hour)
	dur(&c.LoginAPI.StateTTL, 10*time.Minute)
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "text")
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Validate checks the generic parts of the config; each provider type checks
// its own section when the server instantiates it.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if u, err := url.Parse(c.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		bad("issuer", "must be an absolute http(s) URL without query or fragment, got %q", c.Issuer)
	} else if u.Scheme != "https" && !c.Dev {
		bad("issuer", "must use https unless dev is true")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "must be host:port, got %q", c.Listen)
	}
	if c.Database.Driver != "sqlite" && c.Database.Driver != "postgres" {
		bad("database.driver", "must be sqlite or postgres, got %q", c.Database.Driver)
	}
	if c.MasterKey != "" {
		if _, err := seal.DecodeKey(c.MasterKey); err != nil {
			bad("master_key", "%v", err)
		}
	} else if c.MasterKeyFile == "" {
		bad("master_key_file", "required (or master_key / GATEHOUSE_MASTER_KEY)")
	}
	for key, d := range map[string]time.Duration{"session.lifetime": c.Session.Lifetime, "login.pending_ttl": c.Login.PendingTTL,
		"tokens.access_ttl": c.Tokens.AccessTTL, "tokens.refresh_idle_ttl": c.Tokens.RefreshIdleTTL,
		"tokens.refresh_absolute_ttl": c.Tokens.RefreshAbsoluteTTL, "http.upstream_timeout": c.HTTP.UpstreamTimeout,
		"http.read_timeout": c.HTTP.ReadTimeout, "http.idle_timeout": c.HTTP.IdleTimeout, "http.shutdown_timeout": c.HTTP.ShutdownTimeout} {
		if d < 0 {
			bad(key, "must be positive, got %s", d)
		}
	}
	if *c.Tokens.KeyRotation != 0 && *c.Tokens.KeyRotation < time.Hour {
		bad("tokens.key_rotation", "must be 0 (off) or at least 1h, got %s", *c.Tokens.KeyRotation)
	}
	if c.Tokens.RefreshGrace < time.Second || c.Tokens.RefreshGrace > time.Minute {
		bad("tokens.refresh_grace", "must be between 1s and 1m, got %s", c.Tokens.RefreshGrace)
	}
	if c.Tokens.KeyCacheTTL < time.Second || c.Tokens.KeyCacheTTL > time.Hour {
		bad("tokens.key_cache_ttl", "must be between 1s and 1h, got %s", c.Tokens.KeyCacheTTL)
	}
	if c.HTTP.UpstreamMaxBytes < 4<<10 {
		bad("http.upstream_max_bytes", "must be at least 4096 (bytes), got %d", c.HTTP.UpstreamMaxBytes)
	}
	if c.HTTP.PprofListen != "" {
		if host, _, err := net.SplitHostPort(c.HTTP.PprofListen); err != nil || !isLoopback(host) {
			bad("http.pprof_listen", "must be a loopback host:port such as 127.0.0.1:6060, got %q", c.HTTP.PprofListen)
		}
	}
	errs = append(errs, c.validateServing()...)
	if c.Login.PasswordAttempts < 0 {
		bad("login.password_attempts", "must be positive, got %d", c.Login.PasswordAttempts)
	}
	if c.Login.PasswordUserAttempts < 0 {
		bad("login.password_user_attempts", "must be positive, got %d", c.Login.PasswordUserAttempts)
	}
	errs = append(errs, c.Limits.validate()...)
	if c.Tokens.RefreshIdleTTL > c.Tokens.RefreshAbsoluteTTL {
		bad("tokens.refresh_idle_ttl", "must not exceed tokens.refresh_absolute_ttl")
	}
	if c.Tokens.AccessAlg != "ES256" && c.Tokens.AccessAlg != "RS256" {
		bad("tokens.access_alg", "must be ES256 or RS256, got %q", c.Tokens.AccessAlg)
	}
	for i, o := range c.CORS.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad(fmt.Sprintf("cors.allowed_origins[%d]", i), "must be an origin like https://app.example.com, got %q", o)
		}
	}
	for i, cidr := range c.HTTP.TrustedProxies {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			bad(fmt.Sprintf("http.trusted_proxies[%d]", i), "not a CIDR: %q", cidr)
		}
	}
	if !map[string]bool{"debug": true, "info": true, "warn": true, "error": true}[c.Log.Level] {
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	errs = append(errs, c.validateProviders()...)
	errs = append(errs, c.validateScopes()...)
	if c.LoginAPI.TokenDefaultTTL > c.LoginAPI.TokenMaxTTL {
		bad("login_api.token_default_ttl", "must not exceed login_api.token_max_ttl")
	}
	for i, u := range c.LoginAPI.RedirectAllowlist {
		if p, err := url.Parse(u); err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
			bad(fmt.Sprintf("login_api.redirect_allowlist[%d]", i), "must be an absolute http(s) URL, got %q", u)
		}
	}
	if c.Apps.Creators != "anyone" && c.Apps.Creators != "admins" {
		bad("apps.creators", "must be anyone or admins, got %q", c.Apps.Creators)
	}
	if t := c.Apps.RegistrationToken; t != "" && len(t) < 32 {
		bad("apps.registration_token", "must be at least 32 characters")
	}
	return errors.Join(errs...)
}

// validateServing checks the HTTP server's limits and the database
// durability setting.
func (c *Config) validateServing() []error {
	var errs []error
	h := c.HTTP
	if h.WriteTimeout <= h.UpstreamTimeout {
		errs = append(errs, fmt.Errorf("http.write_timeout: must exceed http.upstream_timeout (%s), got %s", h.UpstreamTimeout, h.WriteTimeout))
	}
	if h.MaxHeaderBytes < 4<<10 || h.MaxHeaderBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("http.max_header_bytes: must be between 4096 and 1048576, got %d", h.MaxHeaderBytes))
	}
	if h.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("http.max_connections: must be 0 (sized from the file descriptor limit) or positive, got %d", h.MaxConnections))
	}
	switch {
	case c.Database.Driver != "sqlite" && c.Database.Synchronous != "":
		errs = append(errs, fmt.Errorf("database.synchronous: applies to sqlite only"))
	case c.Database.Driver == "sqlite" && c.Database.Synchronous != "normal" && c.Database.Synchronous != "full":
		errs = append(errs, fmt.Errorf("database.synchronous: must be normal or full, got %q", c.Database.Synchronous))
	}
	return errs
}

func (c *Config) validateProviders() []error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range c.Providers {
		key := fmt.Sprintf("providers[%d]", i)
		if !nameRe.MatchString(p.Name) {
			errs = append(errs, fmt.Errorf("%s.name: must match [a-z0-9-]+ (at most 40), got %q", key, p.Name))
		} else if seen[p.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is used twice", key, p.Name))
		}
		seen[p.Name] = true
		if p.Type == "" {
			errs = append(errs, fmt.Errorf("%s (%s).type: required", key, p.Name))
		}
	}
	return errs
}

var scopeRe = regexp.MustCompile(`^[\x21\x23-\x5b\x5d-\x7e]{1,64}$`) // RFC 6749 §3.3 scope-token

func (c *Config) validateScopes() []error {
	var errs []error
	for i, s := range c.Scopes {
		key := fmt.Sprintf("scopes[%d]", i)
		if !scopeRe.MatchString(s.Name) {
			errs = append(errs, fmt.Errorf("%s.name: not a valid scope token: %q", key, s.Name))
		}
		if strings.TrimSpace(s.Description) == "" {
			errs = append(errs, fmt.Errorf("%s (%s).description: required (the consent page shows it)", key, s.Name))
		}
	}
	return errs
}

// ProviderConfigs converts the provider sections for the registry.
func (c *Config) ProviderConfigs() []providers.Config {
	out := make([]providers.Config, len(c.Providers))
	for i, p := range c.Providers {
		out[i] = providers.Config{
			Name: p.Name, Type: p.Type, DisplayName: p.DisplayName, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			Scopes: p.Scopes, APIURL: p.APIURL, AuthURL: p.AuthURL, TokenURL: p.TokenURL, ProfileURL: p.ProfileURL,
			EmailsURL: p.EmailsURL, DeviceURL: p.DeviceURL, CheckTokenURL: p.CheckTokenURL, IntrospectionURL: p.IntrospectionURL,
			TrustEmail: p.TrustEmail, Options: p.Options, Issuer: c.Issuer,
		}
	}
	return out
}

// TrustedEmailProviders names the instances marked trust_email.
func (c *Config) TrustedEmailProviders() map[string]bool {
	m := map[string]bool{}
	for _, p := range c.Providers {
		if p.TrustEmail {
			m[p.Name] = true
		}
	}
	return m
}

// SecureCookies is true when the issuer is https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.Issuer, "https://") }

// PasswordsEnabled reports login.passwords.
func (c *Config) PasswordsEnabled() bool { return c.Login.Passwords == nil || *c.Login.Passwords }

// LoadMasterKey returns the master key: master_key if set, else the key in
// master_key_file, which is created (created=true) only in dev mode.
func (c *Config) LoadMasterKey() (key []byte, created bool, err error) {
	if c.MasterKey != "" {
		k, err := seal.DecodeKey(c.MasterKey)
		return k, false, err
	}
	k, created, err := seal.LoadOrCreateKeyFile(c.MasterKeyFile, c.Dev)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("master_key_file: %s does not exist (generate one with `head -c 32 /dev/urandom | base64`, or set GATEHOUSE_MASTER_KEY)", c.MasterKeyFile)
	}
	if err != nil {
		return nil, false, fmt.Errorf("master_key_file: %w", err)
	}
	return k, created, nil
}
