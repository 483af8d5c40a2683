package providers

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ClaimTargets are the claim names a provider's `claims` mapping may fill,
// each an Identity field. Anything that decides trust (sub, iss, aud,
// email_verified, groups) is not here: a profile field must never forge it.
var ClaimTargets = []string{"name", "given_name", "family_name", "preferred_username", "picture", "email"}

// CheckClaims refuses a mapping whose target is not in ClaimTargets or
// whose source is empty.
func CheckClaims(claims map[string]string) error {
	var errs []error
	for _, src := range slices.Sorted(maps.Keys(claims)) {
		target := claims[src]
		if src == "" {
			errs = append(errs, errors.New("claims: an empty upstream field name"))
		}
		if !slices.Contains(ClaimTargets, target) {
			errs = append(errs, fmt.Errorf("claims.%s: %q is not a claim a provider may set (allowed: %s)", src, target, strings.Join(ClaimTargets, ", ")))
		}
	}
	return errors.Join(errs...)
}

// MapClaims applies a `claims` mapping (upstream field, a dotted path into
// doc → one of ClaimTargets) to id: a mapped field that holds a non-empty
// string overrides the Identity field. An e-mail taken from another field
// than the one the upstream vouched for is unverified, unless it is the
// same address.
func MapClaims(id *Identity, doc map[string]any, claims map[string]string) {
	for _, src := range slices.Sorted(maps.Keys(claims)) {
		v, _ := Lookup(doc, src).(string)
		if v == "" {
			continue
		}
		switch claims[src] {
		case "name":
			id.Name = v
		case "given_name":
			id.FirstName = v
		case "family_name":
			id.LastName = v
		case "preferred_username":
			id.Username = v
		case "picture":
			id.AvatarURL = v
		case "email":
			if !strings.EqualFold(v, id.Email) {
				id.Email, id.EmailVerified = v, false
			}
		}
	}
}

// Lookup follows a dotted path ("data.user.id") through nested JSON
// objects; nil if path is empty or any step is missing or not an object.
func Lookup(doc map[string]any, path string) any {
	if path == "" {
		return nil
	}
	var cur any = doc
	for key := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}

// GroupsOf reads a groups claim or field: a string is one group, an array
// of strings is the groups; anything else (absent, a number, an array with
// a non-string) is no groups, and ok is false when something was there but
// not of those shapes.
func GroupsOf(v any) (groups []string, ok bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		if x == "" {
			return nil, true
		}
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				return nil, false
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}
