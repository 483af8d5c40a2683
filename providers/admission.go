package providers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNotAdmitted: the upstream identity fails the provider's admission
// rules (not in an allowed organisation, team or group, or no verified
// address in an allowed domain). Nothing is created or signed in.
var ErrNotAdmitted = errors.New("not admitted by this provider's rules")

// Admission is one provider instance's rules for who may sign in through
// it, checked at every sign-in, not only the first: someone who left the
// organisation is refused at their next sign-in.
//
// Groups, Orgs and Teams are alternatives: an identity passes when it holds
// at least one of the listed names in Identity.Groups (GitHub puts "org"
// and "org/team" there; OIDC and OAuth2 providers their groups claim).
// EmailDomains, when set, must also hold: the identity's e-mail address is
// verified upstream and in one of the domains. Names compare
// case-insensitively (GitHub logins and slugs are case-insensitive).
type Admission struct {
	Orgs         []string // allowed_orgs (github)
	Teams        []string // allowed_teams, "org/team-slug" (github)
	Groups       []string // allowed_groups (oidc, oauth2)
	EmailDomains []string // allowed_email_domains (any type)
}

// Restricted reports whether any rule is set.
func (a Admission) Restricted() bool {
	return len(a.Orgs)+len(a.Teams)+len(a.Groups)+len(a.EmailDomains) > 0
}

// Admit returns nil when id passes the rules, else an error wrapping
// ErrNotAdmitted that says which rule failed (safe to show the user).
func (a Admission) Admit(id Identity) error {
	if allowed := slices.Concat(a.Orgs, a.Teams, a.Groups); len(allowed) > 0 && !holdsAny(id.Groups, allowed) {
		return fmt.Errorf("%w: not a member of an allowed organisation, team or group", ErrNotAdmitted)
	}
	if len(a.EmailDomains) > 0 && !inDomains(id, a.EmailDomains) {
		return fmt.Errorf("%w: no verified e-mail address in an allowed domain", ErrNotAdmitted)
	}
	return nil
}

func holdsAny(have, allowed []string) bool {
	for _, h := range have {
		if slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, h) }) {
			return true
		}
	}
	return false
}

// inDomains: the address must be verified upstream; an unverified address
// proves nothing about who holds it.
func inDomains(id Identity, domains []string) bool {
	at := strings.LastIndexByte(id.Email, '@')
	if !id.EmailVerified || at < 0 {
		return false
	}
	domain := id.Email[at+1:]
	return slices.ContainsFunc(domains, func(d string) bool { return strings.EqualFold(d, domain) })
}
