package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"gatehouse/providers"
	"gatehouse/providers/builtin"
	"gatehouse/server/config"
)

func (c *cli) providers(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: providers needs a subcommand (list, test)", errUsage)
	}
	switch args[0] {
	case "list":
		return c.providersList(args[1:])
	case "test":
		return c.providersTest(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown providers subcommand %q", errUsage, args[0])
}

// newProvider builds one configured instance as the server does
// (server.instantiate): upstream calls bounded in time and answer size.
func newProvider(cfg *config.Config, pc providers.Config) (providers.Provider, error) {
	pc.HTTPClient = providers.NewHTTPClient(cfg.HTTP.UpstreamTimeout, cfg.HTTP.UpstreamMaxBytes)
	return builtin.Registry().New(pc, cfg.Dev)
}

// providerInfo is one instance as `providers list` shows it.
type providerInfo struct {
	Name         string        `json:"name"`
	Type         string        `json:"type"`
	DisplayName  string        `json:"display_name,omitempty"`
	CallbackURLs []string      `json:"callback_urls"`
	TrustEmail   bool          `json:"trust_email"`
	Admission    admissionJSON `json:"admission"`
	Error        string        `json:"error,omitempty"` // the instance cannot be built: serve would refuse to start
}

// admissionJSON names the rules by their config keys.
type admissionJSON struct {
	Orgs         []string `json:"allowed_orgs,omitempty"`
	Teams        []string `json:"allowed_teams,omitempty"`
	Groups       []string `json:"allowed_groups,omitempty"`
	EmailDomains []string `json:"allowed_email_domains,omitempty"`
}

func admissionOf(a providers.Admission) admissionJSON {
	return admissionJSON{Orgs: a.Orgs, Teams: a.Teams, Groups: a.Groups, EmailDomains: a.EmailDomains}
}

func describeProvider(cfg *config.Config, pc providers.Config) providerInfo {
	info := providerInfo{Name: pc.Name, Type: pc.Type, TrustEmail: pc.TrustEmail,
		CallbackURLs: []string{providers.LoginCallbackURL(cfg.Issuer, pc.Name), providers.WebCallbackURL(cfg.Issuer, pc.Name)},
		Admission:    admissionOf(pc.Admission)}
	if p, err := newProvider(cfg, pc); err != nil {
		info.Error = err.Error()
	} else {
		info.DisplayName = p.DisplayName()
	}
	return info
}

func (c *cli) providersList(args []string) error {
	fs := flag.NewFlagSet("providers list", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: providers list [--json]", errUsage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	list := []providerInfo{}
	for _, pc := range cfg.ProviderConfigs() {
		list = append(list, describeProvider(cfg, pc))
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(list)
	}
	for _, p := range list {
		printProvider(c.stdout, p)
	}
	return nil
}

func printProvider(w io.Writer, p providerInfo) {
	fmt.Fprintf(w, "%s (type %s)", p.Name, p.Type)
	if p.DisplayName != "" {
		fmt.Fprintf(w, ": %q", p.DisplayName)
	}
	fmt.Fprintf(w, "\n  callback URLs:  %s (pages)\n                  %s (login API web flow)\n", p.CallbackURLs[0], p.CallbackURLs[1])
	fmt.Fprintf(w, "  trust_email:    %s\n  admission:      %s\n", yesNo(p.TrustEmail), admissionText(p.Admission))
	if p.Error != "" {
		fmt.Fprintf(w, "  error:          %s\n", p.Error)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes: its verified addresses may link to existing accounts"
	}
	return "no: its addresses link to no existing account"
}

func admissionText(a admissionJSON) string {
	var rules []string
	for _, r := range []struct {
		key  string
		vals []string
	}{{"allowed_orgs", a.Orgs}, {"allowed_teams", a.Teams}, {"allowed_groups", a.Groups}, {"allowed_email_domains", a.EmailDomains}} {
		if len(r.vals) > 0 {
			rules = append(rules, r.key+" "+strings.Join(r.vals, ", "))
		}
	}
	if len(rules) == 0 {
		return "anyone this provider signs in"
	}
	return strings.Join(rules, "; ")
}
