package config

import (
	"fmt"
	"net/url"
	"slices"
	"time"
)

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

// LoginAPI configures the login API for CLIs (/v1) and API tokens.
type LoginAPI struct {
	// RedirectAllowlist: where the web flow may send the browser after
	// sign-in (exact URLs, or loopback URLs with any port).
	RedirectAllowlist []string      `yaml:"redirect_allowlist"`
	TokenDefaultTTL   time.Duration `yaml:"token_default_ttl"`
	TokenMaxTTL       time.Duration `yaml:"token_max_ttl"`
	StateTTL          time.Duration `yaml:"state_ttl"`
}

func (s *Session) defaults() {
	defDur(&s.Lifetime, 24*time.Hour)
	defStr(&s.CookieName, "gatehouse_session")
}

func (s *Session) validate() []error {
	return negatives(map[string]time.Duration{"session.lifetime": s.Lifetime})
}

func (l *Login) defaults() {
	defDur(&l.PendingTTL, 10*time.Minute)
	if l.Passwords == nil {
		yes := true
		l.Passwords = &yes
	}
	if l.PasswordAttempts == 0 {
		l.PasswordAttempts = 10
	}
	defDur(&l.PasswordWindow, 15*time.Minute)
	if l.PasswordUserAttempts == 0 {
		l.PasswordUserAttempts = 10 * l.PasswordAttempts
	}
}

func (l *Login) validate() []error {
	errs := negatives(map[string]time.Duration{"login.pending_ttl": l.PendingTTL})
	if l.PasswordAttempts < 0 {
		errs = append(errs, fmt.Errorf("login.password_attempts: must be positive, got %d", l.PasswordAttempts))
	}
	if l.PasswordUserAttempts < 0 {
		errs = append(errs, fmt.Errorf("login.password_user_attempts: must be positive, got %d", l.PasswordUserAttempts))
	}
	return errs
}

func (l *LoginAPI) defaults() {
	defDur(&l.TokenDefaultTTL, 30*24*time.Hour)
	defDur(&l.TokenMaxTTL, 365*24*time.Hour)
	defDur(&l.StateTTL, 10*time.Minute)
}

func (l *LoginAPI) validate() []error {
	var errs []error
	if l.TokenDefaultTTL > l.TokenMaxTTL {
		errs = append(errs, fmt.Errorf("login_api.token_default_ttl: must not exceed login_api.token_max_ttl"))
	}
	for i, u := range l.RedirectAllowlist {
		if p, err := url.Parse(u); err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
			errs = append(errs, fmt.Errorf("login_api.redirect_allowlist[%d]: must be an absolute http(s) URL, got %q", i, u))
		}
	}
	return errs
}

// Sign-up policies (key signup), as signin.Signup spells them.
var signupPolicies = []string{"open", "invite", "closed"}

// defaultSignup: a dev server lets anyone in; a real one, from this
// version on, needs an invite for a new account.
func (c *Config) defaultSignup() {
	if c.Dev {
		defStr(&c.Signup, "open")
	}
	defStr(&c.Signup, "invite")
}

func (c *Config) validateSignup() []error {
	if !slices.Contains(signupPolicies, c.Signup) {
		return []error{keyErr("signup", "must be open, invite or closed, got %q", c.Signup)}
	}
	return nil
}
