// Package github is our own goth-shaped GitHub provider. goth's lacks PKCE,
// refresh and the device flow; this one has them, plus configurable
// endpoints (GitHub Enterprise, a fake in tests) and the primary verified
// e-mail from /user/emails when the profile hides it.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"

	"gatehouse/providers"
)

// TypeName is the config `type:` of this provider.
const TypeName = "github"

// Default endpoints (github.com).
const (
	DefaultAuthURL    = "https://github.com/login/oauth/authorize"
	DefaultTokenURL   = "https://github.com/login/oauth/access_token"
	DefaultDeviceURL  = "https://github.com/login/device/code"
	DefaultProfileURL = "https://api.github.com/user"
	DefaultEmailsURL  = "https://api.github.com/user/emails"
)

const accept = "application/vnd.github+json"

// Type registers the provider.
func Type() providers.Type { return providers.Type{Name: TypeName, New: New} }

// Provider implements goth.Provider for GitHub.
type Provider struct {
	name       string
	HTTPClient *http.Client
	config     *oauth2.Config
	profileURL string
	emailsURL  string
	scopes     []string
}

var (
	_ goth.Provider              = (*Provider)(nil)
	_ providers.EmailVerifier    = (*Provider)(nil)
	_ providers.TokenVerifier    = (*Provider)(nil)
	_ providers.DeviceAuthorizer = (*Provider)(nil)
	_ providers.Refresher        = (*Provider)(nil)
)

// New validates cfg and returns the provider wrapped for Gatehouse.
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	for key, v := range map[string]string{"auth_url": cfg.AuthURL, "token_url": cfg.TokenURL,
		"profile_url": cfg.ProfileURL, "emails_url": cfg.EmailsURL, "device_url": cfg.DeviceURL} {
		if err := providers.CheckURL(key, v); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.APIURL != "" {
		errs = append(errs, errors.New("api_url: not used by github; set auth_url, token_url, profile_url, emails_url"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return providers.WrapGoth(NewProvider(cfg), providers.Or(cfg.DisplayName, "GitHub")), nil
}

// NewProvider builds the goth provider itself.
func NewProvider(cfg providers.Config) *Provider {
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	return &Provider{
		name:       cfg.Name,
		HTTPClient: providers.DefaultHTTPClient(cfg.HTTPClient),
		profileURL: providers.Or(cfg.ProfileURL, DefaultProfileURL),
		emailsURL:  providers.Or(cfg.EmailsURL, DefaultEmailsURL),
		scopes:     scopes,
		config: &oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.CallbackURL, Scopes: scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL: providers.Or(cfg.AuthURL, DefaultAuthURL), TokenURL: providers.Or(cfg.TokenURL, DefaultTokenURL),
				DeviceAuthURL: providers.Or(cfg.DeviceURL, DefaultDeviceURL), AuthStyle: oauth2.AuthStyleInParams,
			},
		},
	}
}

// Name implements goth.Provider.
func (p *Provider) Name() string { return p.name }

// SetName implements goth.Provider.
func (p *Provider) SetName(name string) { p.name = name }

// Debug implements goth.Provider (no-op).
func (p *Provider) Debug(bool) {}

func (p *Provider) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.HTTPClient)
}

// BeginAuth implements goth.Provider: an authorize URL with state and a
// PKCE S256 challenge; the verifier stays in the session.
func (p *Provider) BeginAuth(state string) (goth.Session, error) {
	v := oauth2.GenerateVerifier()
	return &Session{AuthURL: p.config.AuthCodeURL(state, oauth2.S256ChallengeOption(v)), CodeVerifier: v}, nil
}

// FetchUser implements goth.Provider.
func (p *Provider) FetchUser(s goth.Session) (goth.User, error) {
	sess := s.(*Session)
	if sess.AccessToken == "" {
		return goth.User{}, fmt.Errorf("%s: cannot fetch user without an access token", p.name)
	}
	u, err := p.fetchUser(context.Background(), sess.AccessToken)
	u.RefreshToken, u.ExpiresAt = sess.RefreshToken, sess.ExpiresAt
	return u, err
}

type profile struct {
	ID        *int64 `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	AvatarURL string `json:"avatar_url"`
}

type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// fetchUser reads /user and, when the scopes allow, /user/emails. RawData
// is the /user document plus "email_verified" (named as in OIDC): true only
// when the chosen address is in GitHub's list of verified addresses.
func (p *Provider) fetchUser(ctx context.Context, token string) (goth.User, error) {
	var raw map[string]any
	if err := providers.GetJSON(ctx, p.HTTPClient, p.profileURL, token, accept, &raw); err != nil {
		return goth.User{}, err
	}
	var pr profile
	if err := providers.Remarshal(raw, &pr); err != nil || pr.ID == nil {
		return goth.User{}, fmt.Errorf("%w: GitHub profile has no numeric id", providers.ErrUpstream)
	}
	addr, verified := pr.Email, false
	if p.mayReadEmails() {
		var list []email
		if err := providers.GetJSON(ctx, p.HTTPClient, p.emailsURL, token, accept, &list); err != nil {
			return goth.User{}, err
		}
		addr, verified = pickEmail(pr.Email, list)
	}
	raw["email_verified"] = verified
	return goth.User{
		RawData: raw, Provider: p.name, UserID: strconv.FormatInt(*pr.ID, 10), NickName: pr.Login,
		Name: pr.Name, Email: addr, AvatarURL: pr.AvatarURL, AccessToken: token,
	}, nil
}

// pickEmail keeps the profile's address if GitHub lists it as verified,
// else takes the primary verified one; none verified is "no e-mail", not an
// error.
func pickEmail(profileEmail string, list []email) (string, bool) {
	for _, e := range list {
		if e.Verified && profileEmail != "" && strings.EqualFold(e.Email, profileEmail) {
			return e.Email, true
		}
	}
	for _, e := range list {
		if e.Primary && e.Verified {
			return e.Email, true
		}
	}
	return "", false
}

func (p *Provider) mayReadEmails() bool {
	for _, s := range p.scopes {
		if s == "user" || s == "user:email" {
			return true
		}
	}
	return false
}

// EmailVerified implements providers.EmailVerifier.
func (p *Provider) EmailVerified(u goth.User) bool {
	v, _ := u.RawData["email_verified"].(bool)
	return v
}

// VerifyAccessToken implements providers.TokenVerifier: the token is good
// if GitHub returns a profile for it.
func (p *Provider) VerifyAccessToken(ctx context.Context, token string) (providers.Identity, error) {
	u, err := p.fetchUser(ctx, token)
	if err != nil {
		return providers.Identity{}, err
	}
	return providers.IdentityFromGoth(p, u)
}

// RefreshTokenAvailable implements goth.Provider: GitHub Apps with expiring
// user tokens issue refresh tokens.
func (p *Provider) RefreshTokenAvailable() bool { return true }

// RefreshToken implements goth.Provider.
func (p *Provider) RefreshToken(rt string) (*oauth2.Token, error) {
	return p.Refresh(context.Background(), rt)
}

// Refresh implements providers.Refresher.
func (p *Provider) Refresh(ctx context.Context, rt string) (*oauth2.Token, error) {
	tok, err := p.config.TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		return nil, fmt.Errorf("%w: refresh: %v", providers.ErrUpstream, err)
	}
	return tok, nil
}
