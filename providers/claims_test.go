package providers

import (
	"reflect"
	"testing"
)

func TestMapClaims(t *testing.T) {
	doc := map[string]any{"profile": map[string]any{"display": "Ada L.", "handle": "ada"}, "nick": 7, "mail": "ada@other.test", "Mail": "ADA@acme.test"}
	id := Identity{Subject: "1", Name: "Ada", Username: "alovelace", Email: "ada@acme.test", EmailVerified: true}
	MapClaims(&id, doc, map[string]string{"profile.display": "name", "profile.handle": "preferred_username", "nick": "given_name", "missing.x": "family_name"})
	want := Identity{Subject: "1", Name: "Ada L.", Username: "ada", Email: "ada@acme.test", EmailVerified: true}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("mapped = %+v, want %+v (non-strings and missing fields leave the field alone)", id, want)
	}
	same := id
	MapClaims(&same, doc, map[string]string{"Mail": "email"})
	if !same.EmailVerified || same.Email != "ada@acme.test" {
		t.Errorf("the same address from another field lost its verification: %+v", same)
	}
	// An address from a field the upstream did not vouch for is not verified.
	MapClaims(&id, doc, map[string]string{"mail": "email"})
	if id.Email != "ada@other.test" || id.EmailVerified {
		t.Errorf("mapped e-mail = %q verified %v, want the mapped address unverified", id.Email, id.EmailVerified)
	}
}

func TestCheckClaims(t *testing.T) {
	if err := CheckClaims(map[string]string{"a.b": "name", "c": "picture"}); err != nil {
		t.Errorf("allowed targets refused: %v", err)
	}
	for _, target := range []string{"sub", "iss", "aud", "email_verified", "groups", "exp", ""} {
		if CheckClaims(map[string]string{"x": target}) == nil {
			t.Errorf("target %q accepted", target)
		}
	}
	if CheckClaims(map[string]string{"": "name"}) == nil {
		t.Errorf("empty source accepted")
	}
}

func TestGroupsOf(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want []string
		ok   bool
	}{
		{nil, nil, true},
		{"ops", []string{"ops"}, true},
		{[]any{"ops", "dev"}, []string{"ops", "dev"}, true},
		{[]any{"ops", 3}, nil, false},
		{42.0, nil, false},
		{map[string]any{"ops": true}, nil, false},
	} {
		got, ok := GroupsOf(tc.in)
		if !reflect.DeepEqual(got, tc.want) || ok != tc.ok {
			t.Errorf("GroupsOf(%v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
