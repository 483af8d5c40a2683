// Package apps creates and checks OAuth2 client registrations: the one
// place that decides what a valid app is, used by the CLI, the
// app-management pages and dynamic registration.
package apps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Spec is what a registration asks for.
type Spec struct {
	Name         string
	LogoURL      string
	RedirectURIs []string
	GrantTypes   []string
	Scopes       []string
	Public       bool
	OwnerID      string
	// Operator: an operator asks (the CLI, or an administrator on /apps).
	// Only an operator may enable the operator-only grants, and only an
	// operator's apps are vetted (see store.Client.Vetted).
	Operator bool
	// IDTokenAlg is "RS256" (default) or "ES256".
	IDTokenAlg string
	// AccessTTL overrides the server's access-token lifetime (0 = default).
	AccessTTL time.Duration
	// RefreshGrace lets a just-rotated refresh token be presented again for
	// this long and get the same successor (0 = the server's default).
	RefreshGrace time.Duration
	// RefreshIdleTTL overrides how long an unused refresh token lives (0 = default).
	RefreshIdleTTL time.Duration
	// AllowedGroups restricts the app to members of these groups (empty:
	// everyone). Set only by operators: the pages read it from
	// administrators alone and registration refuses it.
	AllowedGroups []string
	// Sign-out (see store.Client and validateLogout).
	PostLogoutRedirectURIs           []string
	BackchannelLogoutURI             string
	BackchannelLogoutSessionRequired bool
	// Kind is store.Client.Kind: store.ClientDynamic for registration.
	Kind string
	// ExchangeProviders: the provider instances whose upstream access
	// tokens the app may exchange (store.Client.ExchangeProviders); set
	// only by operators, and only with the token-exchange grant.
	ExchangeProviders []string
}

// Defaults for an app that names no grants or scopes.
var (
	DefaultGrants = []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken}
	DefaultScopes = []string{"openid", "profile", "email", "offline_access"}
)

// operatorOnly are the grants only an operator may enable: the password
// grant hands the app the user's password, and implicit puts tokens in URLs
// (RFC 9700 §2.1.2, §2.4); both are legacy flows for apps an operator vouches for.
// Token exchange lets an app mint tokens for a user it never sent through
// consent (from an upstream token, or another app's token narrowed), so
// only an operator may trust an app with it.
var operatorOnly = map[string]bool{oauth.GrantPassword: true, oauth.GrantImplicit: true, oauth.GrantTokenExchange: true}

// Validate fills defaults and reports every problem with the spec.
// scopes may be nil to skip the scope check (no server config at hand).
func Validate(s *Spec, scopes *oauth.Scopes) error {
	var errs []error
	if s.Name == "" || len(s.Name) > 100 {
		errs = append(errs, errors.New("name: required, at most 100 characters"))
	}
	if len(s.GrantTypes) == 0 {
		s.GrantTypes = append([]string{}, DefaultGrants...)
	}
	if len(s.Scopes) == 0 {
		s.Scopes = append([]string{}, DefaultScopes...)
	}
	errs = append(errs, validateGrants(s)...)
	if s.LogoURL != "" {
		if u, err := url.Parse(s.LogoURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, errors.New("logo-url: must be an https URL"))
		}
	}
	errs = append(errs, validateTokens(s)...)
	for _, g := range s.AllowedGroups {
		if err := store.CheckGroupName(g); err != nil {
			errs = append(errs, fmt.Errorf("allowed-group: %w", err))
		}
	}
	errs = append(errs, validateLogout(s)...)
	if scopes != nil {
		for _, sc := range s.Scopes {
			if !scopes.Known(sc) {
				errs = append(errs, fmt.Errorf("scope: unknown scope %q", sc))
			}
		}
	}
	return errors.Join(errs...)
}

// validateGrants checks the grants against the app's type and who asks,
// and the redirect URIs the grants need.
func validateGrants(s *Spec) []error {
	var errs []error
	for _, g := range s.GrantTypes {
		if !slices.Contains(oauth.GrantTypes(), g) {
			errs = append(errs, fmt.Errorf("grant: unknown grant type %q", g))
		}
	}
	needsRedirect := slices.Contains(s.GrantTypes, oauth.GrantAuthorizationCode) || slices.Contains(s.GrantTypes, oauth.GrantImplicit)
	if needsRedirect && len(s.RedirectURIs) == 0 {
		errs = append(errs, errors.New("redirect-uri: at least one is required for the code or implicit flow"))
	}
	for _, r := range s.RedirectURIs {
		if !oauth.ValidRedirectURI(r) {
			errs = append(errs, fmt.Errorf("redirect-uri: %q must be https, http on a loopback IP, or a private-use scheme, without fragment", r))
		}
	}
	if s.Public && slices.Contains(s.GrantTypes, oauth.GrantClientCredentials) {
		errs = append(errs, errors.New("grant: a public app cannot use client_credentials"))
	}
	if s.Public && slices.Contains(s.GrantTypes, oauth.GrantPassword) {
		errs = append(errs, errors.New("grant: a public app cannot use the password grant (anyone holding its client ID could try passwords)"))
	}
	errs = append(errs, validateExchange(s)...)
	for _, g := range s.GrantTypes {
		if operatorOnly[g] && !s.Operator {
			errs = append(errs, fmt.Errorf("grant: %s may be enabled only by an operator (gatehouse apps create, or an administrator)", g))
		}
	}
	return errs
}

// validateTokens checks the app's token settings and fills the ID token
// algorithm's default.
func validateTokens(s *Spec) []error {
	var errs []error
	switch s.IDTokenAlg {
	case "":
		s.IDTokenAlg = "RS256"
	case "RS256", "ES256":
	default:
		errs = append(errs, fmt.Errorf("id-token-alg: must be RS256 or ES256, got %q", s.IDTokenAlg))
	}
	if s.AccessTTL < 0 || s.AccessTTL > 24*time.Hour {
		errs = append(errs, errors.New("access-ttl: must be between 0 (default) and 24h"))
	}
	if s.RefreshIdleTTL < 0 {
		errs = append(errs, errors.New("refresh-idle-ttl: must not be negative"))
	}
	if s.RefreshGrace < 0 || s.RefreshGrace > time.Minute {
		errs = append(errs, errors.New("refresh-grace: must be between 0 (the server default) and 1m"))
	}
	return errs
}

// Create validates spec and stores a new app. It returns the client and,
// for confidential apps, the secret: shown once, stored only as a hash.
func Create(ctx context.Context, st store.Clients, spec Spec, scopes *oauth.Scopes, now time.Time) (store.Client, string, error) {
	if err := Validate(&spec, scopes); err != nil {
		return store.Client{}, "", err
	}
	cl := store.Client{ID: "app_" + store.NewID()[:24], Name: spec.Name, LogoURL: spec.LogoURL, RedirectURIs: spec.RedirectURIs,
		Scopes: spec.Scopes, GrantTypes: spec.GrantTypes, Public: spec.Public, IDTokenAlg: spec.IDTokenAlg, OwnerID: spec.OwnerID,
		Vetted: spec.Operator, Kind: spec.Kind, AccessTTL: spec.AccessTTL, RefreshGrace: spec.RefreshGrace, RefreshIdleTTL: spec.RefreshIdleTTL,
		AllowedGroups:          spec.AllowedGroups,
		PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs, BackchannelLogoutURI: spec.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: spec.BackchannelLogoutSessionRequired, ExchangeProviders: spec.ExchangeProviders,
		CreatedAt: now, UpdatedAt: now}
	var secret string
	if !spec.Public {
		secret = tokens.RandomToken()
		cl.SecretHash = tokens.HashToken(secret)
	}
	if err := st.CreateClient(ctx, &cl); err != nil {
		return store.Client{}, "", err
	}
	return cl, secret, nil
}

// RotateSecret gives a confidential app a new secret (the old one stops
// working at once) and returns it.
func RotateSecret(ctx context.Context, st store.Clients, cl store.Client, now time.Time) (string, error) {
	if cl.Public {
		return "", errors.New("a public app has no secret")
	}
	secret := tokens.RandomToken()
	return secret, st.SetClientSecret(ctx, cl.ID, tokens.HashToken(secret), now)
}
