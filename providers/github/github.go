// Package github is our own GitHub provider. goth's lacks PKCE and the
// device flow; this one is the shared OAuth2 base (PKCE) plus GitHub's
// specifics: configurable endpoints (GitHub
// Enterprise, a fake in tests), the primary verified e-mail from
// /user/emails when the profile hides it, the device flow, the token
// check that proves an access token was issued to our app (check.go), and
// the person's organisations and teams as Identity.Groups when org or team
// rules are set or read:org is among the scopes (groups.go).
package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gatehouse/providers"
	"gatehouse/providers/oauth2base"
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

// Provider is a GitHub provider instance.
type Provider struct {
	*oauth2base.Provider
	emailsURL  string
	profileURL string // also the base of /orgs and /teams (groups.go)
	scopes     []string
	// withGroups: read org and team memberships into Identity.Groups.
	withGroups bool
	// checkURL, clientID, clientSecret: GitHub's token check, which the
	// app calls with its own credentials (see VerifyAccessToken).
	checkURL, clientID, clientSecret string
}

var (
	_ providers.Provider         = (*Provider)(nil)
	_ providers.TokenVerifier    = (*Provider)(nil)
	_ providers.DeviceAuthorizer = (*Provider)(nil)
)

// New validates cfg and returns the provider.
func New(cfg providers.Config) (providers.Provider, error) {
	errs := providers.CheckClient(cfg)
	for key, v := range map[string]string{"auth_url": cfg.AuthURL, "token_url": cfg.TokenURL,
		"profile_url": cfg.ProfileURL, "emails_url": cfg.EmailsURL, "device_url": cfg.DeviceURL, "check_token_url": cfg.CheckTokenURL} {
		if err := providers.CheckURL(key, v); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.APIURL != "" {
		errs = append(errs, errors.New("api_url: not used by github; set auth_url, token_url, profile_url, emails_url"))
	}
	if cfg.IntrospectionURL != "" {
		errs = append(errs, errors.New("introspection_url: not used by github; GitHub's token check is check_token_url"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewProvider(cfg), nil
}

// NewProvider builds the provider without validating cfg.
func NewProvider(cfg providers.Config) *Provider {
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	withGroups := wantsGroups(cfg, scopes)
	if withGroups && !hasOrgScope(scopes) {
		scopes = append(scopes, "read:org") // org and team rules need it
	}
	p := &Provider{emailsURL: providers.Or(cfg.EmailsURL, DefaultEmailsURL), profileURL: providers.Or(cfg.ProfileURL, DefaultProfileURL),
		scopes: scopes, withGroups: withGroups, checkURL: checkTokenURL(cfg), clientID: cfg.ClientID, clientSecret: cfg.ClientSecret}
	p.Provider = oauth2base.New(cfg, oauth2base.Spec{DisplayName: "GitHub",
		AuthURL: providers.Or(cfg.AuthURL, DefaultAuthURL), TokenURL: providers.Or(cfg.TokenURL, DefaultTokenURL),
		ProfileURL: p.profileURL, DeviceURL: providers.Or(cfg.DeviceURL, DefaultDeviceURL),
		Scopes: scopes, Accept: accept, Profile: p.profile,
	})
	return p
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

// profile maps /user and, when the scopes allow, /user/emails. The e-mail
// is verified only when the chosen address is in GitHub's list of verified
// addresses (the profile alone does not say).
func (p *Provider) profile(ctx context.Context, raw map[string]any, token string) (providers.Identity, error) {
	var pr profile
	if err := providers.Remarshal(raw, &pr); err != nil || pr.ID == nil {
		return providers.Identity{}, fmt.Errorf("GitHub profile has no numeric id")
	}
	addr, verified := pr.Email, false
	if p.mayReadEmails() {
		var list []email
		if err := providers.GetJSON(ctx, p.HTTPClient, p.emailsURL, token, accept, &list); err != nil {
			return providers.Identity{}, err
		}
		addr, verified = pickEmail(pr.Email, list)
	}
	id := providers.Identity{Subject: strconv.FormatInt(*pr.ID, 10), Username: pr.Login, Name: pr.Name,
		Email: addr, EmailVerified: verified, AvatarURL: pr.AvatarURL}
	if p.withGroups {
		var err error
		if id.Groups, err = p.groups(ctx, token); err != nil {
			return providers.Identity{}, err
		}
	}
	return id, nil
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
