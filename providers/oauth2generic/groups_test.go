package oauth2generic_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/oauth2generic"
	"gatehouse/providers/providertest"
)

// groups_claim is a dotted path into the profile; without it the provider
// knows no groups, whatever the profile holds.
func TestGroupsField(t *testing.T) {
	f := fake(t)
	f.Profile.(map[string]any)["data"].(map[string]any)["teams"] = []string{"staff", "ops"}
	for _, tc := range []struct {
		claim string
		want  []string
	}{{"data.teams", []string{"staff", "ops"}}, {"", nil}, {"data.login", []string{"ann"}}, {"data.id", nil}} {
		cfg := config(f)
		cfg.GroupsClaim = tc.claim
		p, err := oauth2generic.New(cfg)
		require.NoError(t, err)
		_, id, err := providertest.SignIn(t, p, "state-groups")
		require.NoError(t, err)
		require.Equal(t, tc.want, id.Groups, "groups_claim %q", tc.claim)
	}
	cfg := config(f)
	cfg.GroupsClaim = "data.teams"
	p, err := oauth2generic.New(cfg)
	require.NoError(t, err)
	_, id, err := providertest.SignIn(t, p, "state-admit")
	require.NoError(t, err)
	require.NoError(t, providers.Admission{Groups: []string{"ops"}}.Admit(id))
	if err := (providers.Admission{Groups: []string{"admins"}}).Admit(id); !errors.Is(err, providers.ErrNotAdmitted) {
		t.Errorf("outside the group: %v", err)
	}
}

// The claims mapping applies to plain OAuth2 profiles too (oauth2base).
func TestClaimsMapping(t *testing.T) {
	f := fake(t)
	cfg := config(f)
	cfg.Claims = map[string]string{"data.login": "name"}
	p, err := oauth2generic.New(cfg)
	require.NoError(t, err)
	_, id, err := providertest.SignIn(t, p, "state-claims")
	require.NoError(t, err)
	require.Equal(t, "ann", id.Name)
}
