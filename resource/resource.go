package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Config sets up a Verifier; zero values take defaults.
type Config struct {
	// Issuer is the Gatehouse URL (the iss of its tokens); required.
	Issuer string
	// Identifier is the API's identifier, its resource indicator: tokens
	// must name it in aud; required.
	Identifier string
	// HTTPClient fetches discovery and the JWKS; default: 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp, nbf and iat; default 30 s.
	Leeway time.Duration
	// RefetchInterval is the least time between two JWKS fetches caused by
	// unknown key IDs; default 10 s.
	RefetchInterval time.Duration
	// MaxKeyAge: keys fetched longer ago are fetched again before use, so
	// a key Gatehouse retired stops being trusted; default 1 hour.
	MaxKeyAge time.Duration
}

// Verifier verifies access tokens for one API.
type Verifier struct {
	cfg  Config
	keys *keySet
}

// ErrInvalidToken wraps every reason a token is refused.
var ErrInvalidToken = errors.New("resource: invalid access token")

// NewVerifier reads the issuer's discovery document and its JWKS.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Identifier == "" {
		return nil, errors.New("resource: the issuer and the API's identifier are required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.RefetchInterval == 0 {
		cfg.RefetchInterval = 10 * time.Second
	}
	if cfg.MaxKeyAge == 0 {
		cfg.MaxKeyAge = time.Hour
	}
	jwksURI, err := discover(ctx, cfg.HTTPClient, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	v := &Verifier{cfg: cfg, keys: &keySet{uri: jwksURI, client: cfg.HTTPClient, now: cfg.Now,
		refetch: cfg.RefetchInterval, maxAge: cfg.MaxKeyAge}}
	if err := v.keys.fetch(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// Middleware is NewVerifier with the defaults, and its Middleware.
func Middleware(issuer, identifier string, requiredScopes ...string) (func(http.Handler) http.Handler, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := NewVerifier(ctx, Config{Issuer: issuer, Identifier: identifier})
	if err != nil {
		return nil, err
	}
	return v.Middleware(requiredScopes...), nil
}

// discover returns the jwks_uri of issuer, whose discovery document must
// name issuer itself (OpenID Connect Discovery §4.3).
func discover(ctx context.Context, client *http.Client, issuer string) (string, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, u, &doc); err != nil {
		return "", fmt.Errorf("resource: discovery: %w", err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("resource: discovery at %s names issuer %q, want %q", u, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("resource: discovery at %s names no jwks_uri", u)
	}
	return doc.JWKSURI, nil
}

// getJSON decodes the JSON document at u (at most 1 MiB).
func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(v)
}
