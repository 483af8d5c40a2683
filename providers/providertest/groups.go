package providertest

import (
	"errors"
	"slices"
	"testing"

	"gatehouse/providers"
)

// runGroups: the groups are read afresh at every sign-in, so a change
// upstream (someone leaves a team) shows at the next one.
func runGroups(t *testing.T, factory Factory, opts Options) {
	f, p := newFor(t, factory, opts, okTimeout)
	for _, want := range [][]string{{"acme", "acme/ops", "beta"}, {"acme"}, nil} {
		opts.Groups(f, want)
		_, id, err := SignIn(t, p, "state-groups")
		if err != nil {
			t.Fatalf("sign-in with groups %v: %v", want, err)
		}
		got := slices.Sorted(slices.Values(id.Groups))
		if !slices.Equal(got, want) {
			t.Errorf("groups = %v, want %v", id.Groups, want)
		}
	}
}

// runMissingScope: a token without the scope the groups need is
// ErrMissingScope (the user can fix it by signing in again), not an
// upstream failure.
func runMissingScope(t *testing.T, factory Factory, opts Options) {
	f, p := newFor(t, factory, opts, okTimeout)
	opts.MissingScope(f)
	_, _, err := SignIn(t, p, "state-scope")
	var ms *providers.MissingScopeError
	if !errors.Is(err, providers.ErrMissingScope) || !errors.As(err, &ms) || ms.Scope == "" {
		t.Errorf("err = %v, want a MissingScopeError", err)
	}
	if errors.Is(err, providers.ErrUpstream) {
		t.Errorf("a missing scope counts as an upstream failure: %v", err)
	}
}
