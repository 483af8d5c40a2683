package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/providers"
)

// Provider types that know a person's upstream groups, and so take the
// rules that read them: GitHub organisations and teams (its API), OIDC and
// plain OAuth2 groups (a claim or profile field).
const (
	typeGitHub = "github"
	typeOIDC   = "oidc"
	typeOAuth2 = "oauth2"
)

// validateAdmission checks the admission rules, groups_claim and claims of
// one provider; each error starts with the key it is about.
func (p Provider) validateAdmission() []error {
	var errs []error
	onlyFor := func(key string, set bool, types ...string) {
		if set && !slices.Contains(types, p.Type) {
			errs = append(errs, fmt.Errorf("%s: only for type %s (this provider is %q)", key, strings.Join(types, " or "), p.Type))
		}
	}
	onlyFor("allowed_orgs", len(p.AllowedOrgs) > 0, typeGitHub)
	onlyFor("allowed_teams", len(p.AllowedTeams) > 0, typeGitHub)
	onlyFor("allowed_groups", len(p.AllowedGroups) > 0, typeOIDC, typeOAuth2)
	onlyFor("groups_claim", p.GroupsClaim != "", typeOIDC, typeOAuth2)
	if p.Type == typeOAuth2 && len(p.AllowedGroups) > 0 && p.GroupsClaim == "" {
		errs = append(errs, errors.New("allowed_groups: needs groups_claim (the profile field holding the groups) for type oauth2"))
	}
	errs = append(errs, names("allowed_orgs", p.AllowedOrgs, func(s string) bool { return s != "" && !strings.Contains(s, "/") }, "an organisation login"))
	errs = append(errs, names("allowed_teams", p.AllowedTeams, isTeam, `"org/team-slug"`))
	errs = append(errs, names("allowed_groups", p.AllowedGroups, func(s string) bool { return s != "" }, "a group name"))
	errs = append(errs, names("allowed_email_domains", p.AllowedEmailDomains,
		func(s string) bool { return s != "" && !strings.ContainsAny(s, "@ /") }, `a domain such as "example.com"`))
	errs = append(errs, providers.CheckClaims(p.Claims))
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

func isTeam(s string) bool {
	org, team, ok := strings.Cut(s, "/")
	return ok && org != "" && team != "" && !strings.Contains(team, "/")
}

// names checks every entry of a list key; nil when all are valid.
func names(key string, list []string, valid func(string) bool, want string) error {
	for i, s := range list {
		if !valid(strings.TrimSpace(s)) || s != strings.TrimSpace(s) {
			return fmt.Errorf("%s[%d]: want %s, got %q", key, i, want, s)
		}
	}
	return nil
}
