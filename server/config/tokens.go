package config

import "time"

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

// OAuth tunes the authorization server.
type OAuth struct {
	CodeTTL        time.Duration `yaml:"code_ttl"`
	AllowPlainPKCE bool          `yaml:"allow_plain_pkce"`
}

func (t *Tokens) defaults() {
	defDur(&t.AccessTTL, 15*time.Minute)
	defStr(&t.AccessAlg, "ES256")
	defDur(&t.RefreshIdleTTL, 30*24*time.Hour)
	defDur(&t.RefreshAbsoluteTTL, 90*24*time.Hour)
	defDur(&t.RefreshGrace, 10*time.Second)
	defDur(&t.KeyCacheTTL, time.Minute)
	if t.KeyRotation == nil {
		d := 30 * 24 * time.Hour
		t.KeyRotation = &d
	}
}

func (t *Tokens) validate() []error {
	errs := negatives(map[string]time.Duration{"tokens.access_ttl": t.AccessTTL,
		"tokens.refresh_idle_ttl": t.RefreshIdleTTL, "tokens.refresh_absolute_ttl": t.RefreshAbsoluteTTL})
	bad := func(key, format string, args ...any) { errs = append(errs, keyErr(key, format, args...)) }
	if *t.KeyRotation != 0 && *t.KeyRotation < time.Hour {
		bad("tokens.key_rotation", "must be 0 (off) or at least 1h, got %s", *t.KeyRotation)
	}
	if t.RefreshGrace < time.Second || t.RefreshGrace > time.Minute {
		bad("tokens.refresh_grace", "must be between 1s and 1m, got %s", t.RefreshGrace)
	}
	if t.KeyCacheTTL < time.Second || t.KeyCacheTTL > time.Hour {
		bad("tokens.key_cache_ttl", "must be between 1s and 1h, got %s", t.KeyCacheTTL)
	}
	if t.RefreshIdleTTL > t.RefreshAbsoluteTTL {
		bad("tokens.refresh_idle_ttl", "must not exceed tokens.refresh_absolute_ttl")
	}
	if t.AccessAlg != "ES256" && t.AccessAlg != "RS256" {
		bad("tokens.access_alg", "must be ES256 or RS256, got %q", t.AccessAlg)
	}
	return errs
}

func (o *OAuth) defaults() { defDur(&o.CodeTTL, time.Minute) }
