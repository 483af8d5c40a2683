// Package mock is a dev/test provider: it signs in one configurable fake
// user without leaving the server. Its "upstream redirect" goes straight to
// our own callback with a one-time code bound to the pending login, so the
// server's state and single-use checks run exactly as for a real provider.
// The registry refuses it unless the server runs in dev mode.
package mock

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"gatehouse/providers"
)

// TypeName is the config `type:` of this provider.
const TypeName = "mock"

// Type registers the mock provider (dev only).
func Type() providers.Type {
	return providers.Type{Name: TypeName, DevOnly: true, New: New}
}

// Provider is a mock provider instance.
type Provider struct {
	name, display string
	user          providers.Identity
}

var _ providers.Provider = (*Provider)(nil)

var optionDefaults = map[string]string{
	"subject": "mock-user-1", "username": "dev", "email": "dev@example.test", "name": "Dev User", "email_verified": "true",
	"groups": "",
}

// New builds a mock provider from cfg.Options (subject, username, email,
// name, email_verified, groups: comma-separated upstream groups).
func New(cfg providers.Config) (providers.Provider, error) {
	opts := map[string]string{}
	for k, v := range optionDefaults {
		opts[k] = v
	}
	var errs []error
	for _, k := range sortedKeys(cfg.Options) {
		if _, known := optionDefaults[k]; !known {
			errs = append(errs, fmt.Errorf("options.%s: unknown option (known: subject, username, email, name, email_verified, groups)", k))
		}
		opts[k] = cfg.Options[k]
	}
	if v := opts["email_verified"]; v != "true" && v != "false" {
		errs = append(errs, fmt.Errorf("options.email_verified: must be \"true\" or \"false\", got %q", v))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(opts)
	display := cfg.DisplayName
	if display == "" {
		display = "Mock (dev)"
	}
	user := providers.Identity{Subject: opts["subject"], Username: opts["username"], Email: opts["email"], Name: opts["name"],
		EmailVerified: opts["email_verified"] == "true", Groups: splitGroups(opts["groups"]), Raw: raw}
	doc := map[string]any{}
	for k, v := range opts {
		doc[k] = v
	}
	providers.MapClaims(&user, doc, cfg.Claims)
	return &Provider{name: cfg.Name, display: display, user: user}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return p.name }

// DisplayName implements providers.Provider.
func (p *Provider) DisplayName() string { return p.display }

// BeginAuth sends the browser straight to our callback with a fresh code;
// the code is the session, so only this pending login can complete.
func (p *Provider) BeginAuth(_ context.Context, state, callbackURL string) (providers.Start, error) {
	code := rand.Text()
	u := callbackURL + "?" + url.Values{"code": {code}, "state": {state}}.Encode()
	return providers.Start{URL: u, Session: code}, nil
}

// Complete implements providers.Provider.
func (p *Provider) Complete(_ context.Context, session string, params url.Values, _ string) (providers.Identity, error) {
	if err := providers.CallbackError(params); err != nil {
		return providers.Identity{}, err
	}
	code := params.Get("code")
	if session == "" || subtle.ConstantTimeCompare([]byte(code), []byte(session)) != 1 {
		return providers.Identity{}, fmt.Errorf("%w: mock code does not match", providers.ErrUpstream)
	}
	return p.user, nil
}

// splitGroups reads the groups option: names separated by commas.
func splitGroups(s string) []string {
	var out []string
	for g := range strings.SplitSeq(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
