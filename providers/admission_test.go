package providers

import (
	"errors"
	"testing"
)

func TestAdmit(t *testing.T) {
	gh := Admission{Orgs: []string{"Acme"}, Teams: []string{"other/ops"}}
	cases := []struct {
		name string
		a    Admission
		id   Identity
		ok   bool
	}{
		{"no rules admit anyone", Admission{}, Identity{}, true},
		{"org member", gh, Identity{Groups: []string{"acme", "acme/dev"}}, true},
		{"team member of another org", gh, Identity{Groups: []string{"other", "other/ops"}}, true},
		{"org of a team is not the org rule", gh, Identity{Groups: []string{"other", "other/dev"}}, false},
		{"no groups", gh, Identity{}, false},
		{"group", Admission{Groups: []string{"staff"}}, Identity{Groups: []string{"staff"}}, true},
		{"a group name is not a prefix match", Admission{Groups: []string{"staff"}}, Identity{Groups: []string{"staff-ex"}}, false},
		{"verified domain", Admission{EmailDomains: []string{"example.com"}}, Identity{Email: "a@Example.com", EmailVerified: true}, true},
		{"an unverified address must not pass a domain rule", Admission{EmailDomains: []string{"example.com"}}, Identity{Email: "a@example.com"}, false},
		{"subdomain is another domain", Admission{EmailDomains: []string{"example.com"}}, Identity{Email: "a@evil.example.com", EmailVerified: true}, false},
		{"domain rule and group rule both hold", Admission{Groups: []string{"staff"}, EmailDomains: []string{"example.com"}},
			Identity{Groups: []string{"staff"}, Email: "a@other.org", EmailVerified: true}, false},
	}
	for _, c := range cases {
		err := c.a.Admit(c.id)
		if (err == nil) != c.ok {
			t.Errorf("%s: Admit = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrNotAdmitted) {
			t.Errorf("%s: error %v does not wrap ErrNotAdmitted", c.name, err)
		}
	}
}
