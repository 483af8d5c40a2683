package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
)

// Admission keys on a type that cannot honour them, malformed entries and
// claims that would set a trust-deciding claim are refused, naming the key.
func TestAdmissionKeysRefused(t *testing.T) {
	p := func(typ, keys string) string {
		return "dev: true\nproviders:\n  - name: p\n    type: " + typ + "\n" + keys
	}
	tests := []struct{ body, want string }{
		{p("oidc", "    allowed_orgs: [acme]\n"), "providers[0] (p).allowed_orgs: only for type github"},
		{p("lego", "    allowed_teams: [acme/ops]\n"), "providers[0] (p).allowed_teams: only for type github"},
		{p("github", "    allowed_groups: [ops]\n"), "providers[0] (p).allowed_groups: only for type oidc or oauth2"},
		{p("github", "    groups_claim: roles\n"), "providers[0] (p).groups_claim: only for type oidc or oauth2"},
		{p("oauth2", "    allowed_groups: [ops]\n"), "providers[0] (p).allowed_groups: needs groups_claim"},
		{p("github", "    allowed_teams: [ops]\n"), `providers[0] (p).allowed_teams[0]: want "org/team-slug"`},
		{p("github", "    allowed_teams: [acme/ops/x]\n"), `providers[0] (p).allowed_teams[0]`},
		{p("github", "    allowed_orgs: [acme/ops]\n"), `providers[0] (p).allowed_orgs[0]: want an organisation login`},
		{p("github", "    allowed_orgs: [\"\"]\n"), `providers[0] (p).allowed_orgs[0]`},
		{p("oidc", "    allowed_email_domains: [\"@acme.test\"]\n"), "providers[0] (p).allowed_email_domains[0]"},
		{p("oidc", "    claims: {nick: sub}\n"), `providers[0] (p).claims.nick: "sub" is not a claim a provider may set`},
		{p("oidc", "    claims: {verified: email_verified}\n"), `claims.verified: "email_verified" is not`},
		{p("oidc", "    claims: {roles: groups}\n"), `claims.roles: "groups" is not`},
		{p("oidc", "    claims: {x: iss}\n"), `claims.x: "iss" is not`},
		{p("oidc", "    claims: {x: aud}\n"), `claims.x: "aud" is not`},
		{p("oidc", "    claims: {x: locale}\n"), `claims.x: "locale" is not`},
	}
	for _, tt := range tests {
		_, err := Load(write(t, tt.body), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("config %q: err = %v, want it to contain %q", tt.body, err, tt.want)
		}
	}
}

// The keys reach providers.Config: the Admission the server checks, the
// groups claim and the claims mapping.
func TestAdmissionKeysPassed(t *testing.T) {
	body := `dev: true
providers:
  - name: gh
    type: github
    allowed_orgs: [Acme]
    allowed_teams: [acme/ops]
    allowed_email_domains: [acme.test]
    claims: {display: name}
  - name: sso
    type: oidc
    allowed_groups: [staff]
    groups_claim: roles
  - name: any
    type: lego
    allowed_email_domains: [acme.test]
`
	c, err := Load(write(t, body), nil)
	require.NoError(t, err)
	pcs := c.ProviderConfigs()
	want := providers.Admission{Orgs: []string{"Acme"}, Teams: []string{"acme/ops"}, EmailDomains: []string{"acme.test"}}
	if !reflect.DeepEqual(pcs[0].Admission, want) || pcs[0].Claims["display"] != "name" {
		t.Errorf("github: %+v", pcs[0])
	}
	if !reflect.DeepEqual(pcs[1].Admission, providers.Admission{Groups: []string{"staff"}}) || pcs[1].GroupsClaim != "roles" {
		t.Errorf("oidc: %+v", pcs[1])
	}
	if !pcs[2].Admission.Restricted() {
		t.Errorf("lego: allowed_email_domains not passed: %+v", pcs[2].Admission)
	}
}
