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
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

// Config is the whole configuration.
type Config struct {
	Issuer string `yaml:"issuer"`
	Listen string `yaml:"listen"`
	Dev    bool   `yaml:"dev"`
	// Signup decides whether a first sign-in may create an account: open,
	// invite (default outside dev) or closed.
	Signup        string     `yaml:"signup"`
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
	UI            UI         `yaml:"ui"`
	Logout        Logout     `yaml:"logout"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
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

// defaults fills what the file left out. Order matters where one default
// derives from another: the issuer from listen, the master key file from
// the database, the apps' creators from dev.
func (c *Config) defaults() {
	defStr(&c.Listen, "127.0.0.1:8080")
	defStr(&c.Issuer, "http://"+c.Listen)
	c.Issuer = strings.TrimRight(c.Issuer, "/")
	c.Database.defaults()
	c.defaultMasterKeyFile()
	c.Session.defaults()
	c.Login.defaults()
	c.Limits.defaults()
	c.Tokens.defaults()
	c.HTTP.defaults()
	c.OAuth.defaults()
	c.Apps.defaults(c.Dev)
	c.defaultSignup()
	c.LoginAPI.defaults()
	c.Logout.defaults()
	defStr(&c.Log.Level, "info")
	defStr(&c.Log.Format, "text")
}

// Validate checks the generic parts of the config; each provider type checks
// its own section when the server instantiates it.
func (c *Config) Validate() error {
	errs := c.validateServer()
	errs = append(errs, c.validateSignup()...)
	errs = append(errs, c.Database.validate()...)
	errs = append(errs, c.validateMasterKey()...)
	errs = append(errs, c.Session.validate()...)
	errs = append(errs, c.Login.validate()...)
	errs = append(errs, c.Tokens.validate()...)
	errs = append(errs, c.HTTP.validate()...)
	errs = append(errs, c.Limits.validate()...)
	errs = append(errs, c.CORS.validate()...)
	errs = append(errs, c.Log.validate()...)
	errs = append(errs, c.validateProviders()...)
	errs = append(errs, c.validateScopes()...)
	errs = append(errs, c.LoginAPI.validate()...)
	errs = append(errs, c.Apps.validate()...)
	errs = append(errs, c.UI.validate()...)
	errs = append(errs, c.Logout.validate()...)
	return errors.Join(errs...)
}

// validateServer checks where the server listens and what it calls itself.
func (c *Config) validateServer() []error {
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, keyErr("issuer", "must be an absolute http(s) URL without query or fragment, got %q", c.Issuer))
	} else if u.Scheme != "https" && !c.Dev {
		errs = append(errs, keyErr("issuer", "must use https unless dev is true"))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, keyErr("listen", "must be host:port, got %q", c.Listen))
	}
	return errs
}

func (l *Log) validate() []error {
	var errs []error
	if !map[string]bool{"debug": true, "info": true, "warn": true, "error": true}[l.Level] {
		errs = append(errs, keyErr("log.level", "must be debug, info, warn or error, got %q", l.Level))
	}
	if l.Format != "text" && l.Format != "json" {
		errs = append(errs, keyErr("log.format", "must be text or json, got %q", l.Format))
	}
	return errs
}

// keyErr is a validation error that names its key first.
func keyErr(key, format string, args ...any) error {
	return fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
}

// negatives reports each duration (by key) below zero.
func negatives(ds map[string]time.Duration) []error {
	var errs []error
	for key, d := range ds {
		if d < 0 {
			errs = append(errs, keyErr(key, "must be positive, got %s", d))
		}
	}
	return errs
}

// defStr sets *p to v when the config left it empty.
func defStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// defDur sets *p to v when the config left it zero.
func defDur(p *time.Duration, v time.Duration) {
	if *p == 0 {
		*p = v
	}
}

// SecureCookies is true when the issuer is https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.Issuer, "https://") }

// PasswordsEnabled reports login.passwords.
func (c *Config) PasswordsEnabled() bool { return c.Login.Passwords == nil || *c.Login.Passwords }
