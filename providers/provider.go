package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"
)

// Provider is the one interface every upstream sign-in plugin implements.
//
// The server calls BeginAuth from GET /login/{name}: it stores Start.Session
// server-side (a store row keyed by the hash of state, never a cookie or a
// log line, because it holds the PKCE verifier), sets state in a short-lived
// cookie and redirects the browser to Start.URL. The server checks state
// itself on the callback (no provider ever does) and then calls Complete with
// the stored session and the callback's query parameters.
//
// One instance serves every flow that signs in with it: the pages
// (/login/{name}/callback) and the login API's web flow
// (/v1/login/oauth2/web/callback/{name}) each pass their own callback URL.
// The caller passes the same callbackURL to Complete as to BeginAuth, since
// the code exchange must repeat the authorize step's redirect_uri
// (RFC 6749 §4.1.3).
//
// ctx is the request's: it reaches every upstream call (discovery, code
// exchange, profile, e-mails), so a request that goes away stops them.
// Upstream calls are also bounded by the *http.Client's timeout
// (Config.HTTPClient).
type Provider interface {
	// Name is the instance name from config ("github", "github-enterprise");
	// it is the {provider} path segment of /login/{provider}.
	Name() string
	// DisplayName is the label on the sign-in button.
	DisplayName() string
	// BeginAuth prepares an upstream authorization for the given state,
	// to come back to callbackURL.
	BeginAuth(ctx context.Context, state, callbackURL string) (Start, error)
	// Complete finishes the authorization from the callback parameters:
	// it reports an upstream ?error= (ErrAccessDenied for access_denied),
	// exchanges the code (with the PKCE verifier from session and the
	// callbackURL given to BeginAuth) and fetches the profile.
	Complete(ctx context.Context, session string, params url.Values, callbackURL string) (Identity, error)
}

// Start is where to send the browser, and the secret session to keep until
// the callback.
type Start struct {
	URL     string
	Session string
}

// Identity is what the upstream says about the person who signed in.
type Identity struct {
	// Subject is the upstream's stable, unique user id (never the e-mail).
	Subject  string
	Username string
	Email    string
	// EmailVerified is true only when the upstream vouches for the address
	// (GitHub's primary verified address, an OIDC email_verified claim).
	EmailVerified bool
	Name          string
	FirstName     string
	LastName      string
	AvatarURL     string
	// Groups are the upstream groups the person belongs to, as plain
	// names: GitHub "org" and "org/team-slug", an OIDC or OAuth2 groups
	// claim. Nil when the provider does not know or was not asked. They
	// decide admission (see Admission) and become the account's groups
	// from this provider.
	Groups []string
	// Raw is the upstream profile document as received.
	Raw json.RawMessage
}

// Errors a provider returns from Complete (wrapped with %w where useful).
var (
	// ErrAccessDenied: the user (or the upstream) refused the authorization.
	ErrAccessDenied = errors.New("upstream: access denied")
	// ErrUpstream: the upstream failed, timed out or answered something we
	// cannot use. Wrap the cause; the message must not contain secrets.
	ErrUpstream = errors.New("upstream: request failed")
	// ErrTokenRejected: the upstream refused the access token we presented
	// (401/403, inactive, expired, a bad signature). It also matches
	// ErrUpstream.
	ErrTokenRejected = fmt.Errorf("%w: access token rejected", ErrUpstream)
	// ErrNotIssuedToUs: the token is valid upstream but was issued to
	// another client (another OAuth app the user authorized, a personal
	// access token). It also matches ErrTokenRejected.
	ErrNotIssuedToUs = fmt.Errorf("%w: not issued to this client", ErrTokenRejected)
	// ErrCannotProveAudience: the provider has no way to check that this
	// kind of token was issued to us (an OIDC access token when the issuer
	// offers no introspection). The exchange is refused, not attempted.
	ErrCannotProveAudience = errors.New("cannot prove a token was issued to this server")
)

// Optional capabilities. A provider implements only what its upstream
// supports and pins it at compile time:
//
//	var _ providers.DeviceAuthorizer = (*Provider)(nil)
//
// Callers find a capability with As, which also looks through adapters.

// Scope is one upstream scope and its plain-words description.
type Scope struct {
	Name        string
	Description string
}

// ScopeDescriber describes the upstream scopes a provider requests, so the
// pages can say what signing in with it grants.
type ScopeDescriber interface {
	Scopes() []Scope
}

// DeviceAuthorizer runs the upstream's RFC 8628 device flow.
type DeviceAuthorizer interface {
	// DeviceAuth asks the upstream for a device and user code.
	DeviceAuth(ctx context.Context) (*oauth2.DeviceAuthResponse, error)
	// DevicePoll asks the upstream once whether the user has approved.
	// It returns the upstream's RFC 8628 error (authorization_pending,
	// slow_down, expired_token, access_denied) as *oauth2.RetrieveError.
	DevicePoll(ctx context.Context, da *oauth2.DeviceAuthResponse) (*oauth2.Token, error)
}

// TokenVerifier turns an upstream token that a client presents to us into
// the identity it belongs to, after the upstream proved that the token was
// issued to OUR client: GitHub's token check, an OpenID Connect id_token
// with our client_id in aud, or RFC 7662 introspection naming our client.
// A profile endpoint alone is not enough: it answers for any token of the
// user, including one they gave another app, which could then sign in here
// as them. The login API's exchange (POST /v1/oauth2) and device flow call
// it.
//
// A provider implements it only when it can make that check (plain OAuth2
// providers only with an introspection_url; see WithTokenVerifier).
// Errors: ErrNotIssuedToUs (another client's token), ErrTokenRejected
// (invalid, inactive, expired), ErrCannotProveAudience (this kind of token
// cannot be checked), other ErrUpstream (the upstream failed).
type TokenVerifier interface {
	VerifyAccessToken(ctx context.Context, token string) (Identity, error)
}

// WithTokenVerifier returns p with the TokenVerifier capability tv: for
// providers that can prove a token's audience only when configured to
// (an introspection_url). Other capabilities of p are still found by As.
func WithTokenVerifier(p Provider, tv TokenVerifier) Provider {
	return &verifying{Provider: p, tv: tv}
}

type verifying struct {
	Provider
	tv TokenVerifier
}

// VerifyAccessToken implements TokenVerifier.
func (v *verifying) VerifyAccessToken(ctx context.Context, token string) (Identity, error) {
	return v.tv.VerifyAccessToken(ctx, token)
}

// Unwrap lets As look through to p.
func (v *verifying) Unwrap() any { return v.Provider }

// Unwrapper is implemented by adapters (see Goth) so As can reach the
// provider inside.
type Unwrapper interface {
	Unwrap() any
}

// As returns p as capability T, looking through adapters.
func As[T any](p Provider) (T, bool) {
	var v any = p
	for v != nil {
		if t, ok := v.(T); ok {
			return t, true
		}
		u, ok := v.(Unwrapper)
		if !ok {
			break
		}
		v = u.Unwrap()
	}
	var zero T
	return zero, false
}

// ErrMissingScope: the user did not grant a scope this server needs (a
// GitHub token without read:org when organisation rules are set). It does
// not match ErrUpstream: signing in again and granting it helps.
var ErrMissingScope = errors.New("upstream: a required scope was not granted")

// MissingScopeError names the scope and what it is needed for; it matches
// ErrMissingScope. Its words are safe to show the user.
type MissingScopeError struct {
	Scope string // e.g. "read:org"
	Why   string // e.g. "to check your organisation"
}

func (e *MissingScopeError) Error() string {
	return fmt.Sprintf("%v: %s (needed %s)", ErrMissingScope, e.Scope, e.Why)
}

// Unwrap makes errors.Is(err, ErrMissingScope) hold.
func (e *MissingScopeError) Unwrap() error { return ErrMissingScope }
