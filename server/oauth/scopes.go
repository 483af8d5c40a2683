package oauth

import (
	"slices"
	"strings"
)

// Scope is a scope and the plain words the consent page shows for it.
type Scope struct {
	Name        string
	Description string
}

// ScopeGroups puts the account's groups (every source) in the id_token,
// userinfo and the access token as the groups claim.
const ScopeGroups = "groups"

// BuiltinScopes are the OpenID Connect scopes every server knows, and
// groups (not OIDC's, but the name Dex and oauth2-proxy use).
var BuiltinScopes = []Scope{
	{"openid", "Sign you in with your Gatehouse account"},
	{"profile", "See your name, username and picture"},
	{"email", "See your e-mail address"},
	{"offline_access", "Stay signed in when you are away (refresh tokens)"},
	{ScopeGroups, "See your groups"},
}

// Scopes is the set of scopes the server knows.
type Scopes struct {
	byName map[string]Scope
	order  []string
}

// NewScopes returns the built-in scopes plus extra (from config).
func NewScopes(extra []Scope) *Scopes {
	s := &Scopes{byName: map[string]Scope{}}
	for _, sc := range append(append([]Scope{}, BuiltinScopes...), extra...) {
		if _, dup := s.byName[sc.Name]; !dup {
			s.order = append(s.order, sc.Name)
		}
		s.byName[sc.Name] = sc
	}
	return s
}

// Names lists every known scope, built-ins first.
func (s *Scopes) Names() []string { return append([]string{}, s.order...) }

// Describe returns the scopes of a request in display order.
func (s *Scopes) Describe(names []string) []Scope {
	out := make([]Scope, 0, len(names))
	for _, n := range names {
		if sc, ok := s.byName[n]; ok {
			out = append(out, sc)
		}
	}
	return out
}

// Known reports whether name is a known scope.
func (s *Scopes) Known(name string) bool { _, ok := s.byName[name]; return ok }

// ParseScope splits a scope parameter (RFC 6749 §3.3: space-separated) into
// a sorted, de-duplicated set.
func ParseScope(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(s) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// JoinScope renders a scope set as a scope parameter.
func JoinScope(s []string) string { return strings.Join(s, " ") }

// HasScope reports whether the scope parameter scope holds want.
func HasScope(scope, want string) bool { return slices.Contains(strings.Fields(scope), want) }

// SubsetOf reports whether every scope in a is in b.
func SubsetOf(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
