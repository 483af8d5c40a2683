package config

import (
	"fmt"
	"regexp"
	"strings"

	"gatehouse/providers"
)

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
	// Who may sign in through this instance, checked at every sign-in
	// (providers.Admission); the upstream groups and the claims mapping.
	AllowedOrgs         []string          `yaml:"allowed_orgs"`
	AllowedTeams        []string          `yaml:"allowed_teams"`
	AllowedGroups       []string          `yaml:"allowed_groups"`
	AllowedEmailDomains []string          `yaml:"allowed_email_domains"`
	GroupsClaim         string            `yaml:"groups_claim"`
	Claims              map[string]string `yaml:"claims"`
}

// Scope is an extra scope apps may request, with the words the consent
// page shows for it.
type Scope struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

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
		for _, err := range p.validateAdmission() {
			errs = append(errs, fmt.Errorf("%s (%s).%w", key, p.Name, err))
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
			Admission: providers.Admission{Orgs: p.AllowedOrgs, Teams: p.AllowedTeams, Groups: p.AllowedGroups,
				EmailDomains: p.AllowedEmailDomains},
			GroupsClaim: p.GroupsClaim, Claims: p.Claims,
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
