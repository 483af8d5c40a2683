// Package oauth2base is the provider that plain OAuth2 upstreams (GitHub,
// Lego, LaMetric, Gitea, any from config) share: authorization code with
// state and PKCE S256, client credentials in the body (or Basic), a Bearer
// profile request. A provider package supplies only its endpoints, scope
// separator and profile mapping (Spec); the base implements
// providers.Provider directly, with the request's context on every
// upstream call and the callback URL passed per call.
package oauth2base

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"gatehouse/providers"
)

// Spec is what differs between plain OAuth2 upstreams.
type Spec struct {
	// DisplayName is the default button label (config display_name wins).
	DisplayName                   string
	AuthURL, TokenURL, ProfileURL string
	// DeviceURL is the RFC 8628 device authorization endpoint, if any.
	DeviceURL string
	Scopes    []string
	// ScopeSep joins scopes in the authorize URL (" " by default; Lego ",").
	ScopeSep string
	// Accept is the Accept header of the profile request.
	Accept string
	// Profile maps the decoded profile document to an Identity; Subject is
	// required and the base fills in Raw. It sets EmailVerified only when
	// the upstream vouches for the address. It gets the access token for
	// providers that need a second request (GitHub's e-mail list).
	Profile func(ctx context.Context, raw map[string]any, token string) (providers.Identity, error)
	// BasicAuth sends the client credentials in an Authorization header
	// (client_secret_basic, OpenID Connect's default) instead of the body.
	BasicAuth bool
}

// Provider is a plain OAuth2 upstream described by a Spec.
type Provider struct {
	name, display string
	spec          Spec
	claims        map[string]string // config `claims`, applied after Spec.Profile
	HTTPClient    *http.Client
	config        oauth2.Config // RedirectURL is set per call
}

var _ providers.Provider = (*Provider)(nil)

// New builds a provider for cfg's client credentials and spec's endpoints.
func New(cfg providers.Config, spec Spec) *Provider {
	scopes := spec.Scopes
	if spec.ScopeSep != "" && spec.ScopeSep != " " && len(scopes) > 0 {
		// x/oauth2 joins with spaces; one pre-joined element keeps ours.
		scopes = []string{strings.Join(scopes, spec.ScopeSep)}
	}
	if spec.Accept == "" {
		spec.Accept = "application/json"
	}
	style := oauth2.AuthStyleInParams
	if spec.BasicAuth {
		style = oauth2.AuthStyleInHeader
	}
	return &Provider{name: cfg.Name, display: providers.Or(cfg.DisplayName, spec.DisplayName), spec: spec, claims: cfg.Claims,
		HTTPClient: providers.DefaultHTTPClient(cfg.HTTPClient),
		config: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: scopes,
			Endpoint: oauth2.Endpoint{AuthURL: spec.AuthURL, TokenURL: spec.TokenURL, DeviceAuthURL: spec.DeviceURL, AuthStyle: style},
		}}
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return p.name }

// DisplayName implements providers.Provider.
func (p *Provider) DisplayName() string { return p.display }

// OAuth2Config is the client configuration without a redirect URL (for
// capabilities built on top, such as GitHub's device flow).
func (p *Provider) OAuth2Config() *oauth2.Config { return p.withCallback("") }

func (p *Provider) withCallback(callbackURL string) *oauth2.Config {
	c := p.config
	c.RedirectURL = callbackURL
	return &c
}

// Context returns ctx carrying the provider's HTTP client for x/oauth2.
func (p *Provider) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.HTTPClient)
}

// Session is a sign-in in flight. It holds the PKCE verifier: keep it
// server-side, never in a cookie or a log.
type Session struct {
	CodeVerifier string
}

// BeginAuth implements providers.Provider: the authorize URL with state and
// a fresh PKCE S256 challenge.
func (p *Provider) BeginAuth(_ context.Context, state, callbackURL string) (providers.Start, error) {
	v := oauth2.GenerateVerifier()
	sess, err := json.Marshal(Session{CodeVerifier: v})
	if err != nil {
		return providers.Start{}, err
	}
	u := p.withCallback(callbackURL).AuthCodeURL(state, oauth2.S256ChallengeOption(v))
	return providers.Start{URL: u, Session: string(sess)}, nil
}

// Complete implements providers.Provider: the code exchange, then the
// profile.
func (p *Provider) Complete(ctx context.Context, session string, params url.Values, callbackURL string) (providers.Identity, error) {
	tok, err := p.Exchange(ctx, session, params, callbackURL)
	if err != nil {
		return providers.Identity{}, err
	}
	return p.FetchIdentity(ctx, tok.AccessToken)
}

// Exchange checks the callback (an upstream ?error=, a missing code) and
// exchanges the code with the session's PKCE verifier, for providers that
// read more than the access token (OpenID Connect's id_token).
func (p *Provider) Exchange(ctx context.Context, session string, params url.Values, callbackURL string) (*oauth2.Token, error) {
	if err := providers.CallbackError(params); err != nil {
		return nil, err
	}
	code := params.Get("code")
	if code == "" {
		return nil, fmt.Errorf("%w: callback without code", providers.ErrUpstream)
	}
	var s Session
	if err := json.Unmarshal([]byte(session), &s); err != nil || s.CodeVerifier == "" {
		return nil, errors.New("oauth2base: unreadable session")
	}
	tok, err := p.withCallback(callbackURL).Exchange(p.Context(ctx), code, oauth2.VerifierOption(s.CodeVerifier))
	if err != nil {
		return nil, fmt.Errorf("%w: token exchange: %v", providers.ErrUpstream, err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: token exchange returned no access token", providers.ErrUpstream)
	}
	return tok, nil
}

// FetchIdentity reads the profile behind token. It proves whose token it
// is, not that it was issued to us: outside a sign-in, call it only for a
// token the upstream has proved is ours (see WithIntrospection, GitHub's
// token check).
func (p *Provider) FetchIdentity(ctx context.Context, token string) (providers.Identity, error) {
	var raw map[string]any
	if err := providers.GetJSON(ctx, p.HTTPClient, p.spec.ProfileURL, token, p.spec.Accept, &raw); err != nil {
		return providers.Identity{}, err
	}
	id, err := p.spec.Profile(ctx, raw, token)
	if errors.Is(err, providers.ErrMissingScope) {
		return providers.Identity{}, err // the user can fix it; not the upstream's failure
	}
	if err != nil {
		return providers.Identity{}, fmt.Errorf("%w: profile: %w", providers.ErrUpstream, err)
	}
	if id.Subject == "" {
		return providers.Identity{}, fmt.Errorf("%w: profile has no id", providers.ErrUpstream)
	}
	providers.MapClaims(&id, raw, p.claims)
	if id.Raw, err = json.Marshal(raw); err != nil {
		return providers.Identity{}, fmt.Errorf("%w: profile: %w", providers.ErrUpstream, err)
	}
	return id, nil
}
