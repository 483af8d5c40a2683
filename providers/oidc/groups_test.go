package oidc_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/oidc"
	"gatehouse/providers/providertest"
)

func groupsOP(t *testing.T, profile map[string]any) *providertest.Fake {
	f := providertest.New(t)
	f.AuthorizePath, f.TokenPath, f.ProfilePath = "/authorize", "/token", "/userinfo"
	f.Profile = profile
	f.EnableOIDC(t)
	return f
}

func newOIDC(t *testing.T, f *providertest.Fake, groupsClaim string, claims map[string]string) providers.Provider {
	t.Helper()
	p, err := oidc.New(providers.Config{Name: "corp", ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}, GroupsClaim: groupsClaim, Claims: claims})
	require.NoError(t, err)
	return p
}

// The groups claim is read from the id_token, else from userinfo; a string
// is one group; another shape is no groups, not a failed sign-in.
func TestGroupsClaim(t *testing.T) {
	for _, tc := range []struct {
		name  string
		claim string
		value any
		omit  bool // left out of the id_token, userinfo has it
		want  []string
	}{
		{"array in the id_token", "", []string{"staff", "ops"}, false, []string{"staff", "ops"}},
		{"from userinfo", "", []string{"staff"}, true, []string{"staff"}},
		{"a single string", "", "staff", false, []string{"staff"}},
		{"configured claim", "roles", []string{"admin"}, false, []string{"admin"}},
		{"a number", "", 42, false, nil},
		{"mixed array", "", []any{"staff", 1}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claim := providers.Or(tc.claim, "groups")
			f := groupsOP(t, map[string]any{"sub": "u-1", claim: tc.value, "email": "ann@acme.test", "email_verified": true})
			if tc.omit {
				f.IDTokenOmit = []string{claim}
			}
			_, id, err := providertest.SignIn(t, newOIDC(t, f, tc.claim, nil), "state-groups")
			require.NoError(t, err)
			require.Equal(t, tc.want, id.Groups)
		})
	}
}

// Admission over the groups: a member of the allowed group passes, anyone
// else is refused; an allowed domain needs a verified address.
func TestGroupAndDomainAdmission(t *testing.T) {
	staff := providers.Admission{Groups: []string{"staff"}}
	domain := providers.Admission{EmailDomains: []string{"acme.test"}}
	f := groupsOP(t, map[string]any{"sub": "u-1", "groups": []string{"staff"}, "email": "ann@acme.test", "email_verified": true})
	p := newOIDC(t, f, "", nil)
	_, id, err := providertest.SignIn(t, p, "state-in")
	require.NoError(t, err)
	require.NoError(t, staff.Admit(id))
	require.NoError(t, domain.Admit(id))

	f.Profile = map[string]any{"sub": "u-2", "groups": []string{"interns"}, "email": "bob@acme.test", "email_verified": false}
	_, id, err = providertest.SignIn(t, p, "state-out")
	require.NoError(t, err)
	if err := staff.Admit(id); !errors.Is(err, providers.ErrNotAdmitted) {
		t.Errorf("outside the group: Admit = %v, want ErrNotAdmitted", err)
	}
	if err := domain.Admit(id); !errors.Is(err, providers.ErrNotAdmitted) {
		t.Errorf("unverified address in the allowed domain: Admit = %v, want ErrNotAdmitted", err)
	}
}

// The claims mapping overrides the standard claims; a mapped e-mail from
// a field the issuer did not vouch for is unverified.
func TestClaimsMapping(t *testing.T) {
	f := groupsOP(t, map[string]any{"sub": "u-1", "preferred_username": "ann", "nickname": "annie",
		"ext": map[string]any{"photo": "https://cdn.example/a.png", "mail": "ann@home.test"}, "email": "ann@acme.test", "email_verified": true})
	p := newOIDC(t, f, "", map[string]string{"nickname": "preferred_username", "ext.photo": "picture", "ext.mail": "email"})
	_, id, err := providertest.SignIn(t, p, "state-claims")
	require.NoError(t, err)
	if id.Username != "annie" || id.AvatarURL != "https://cdn.example/a.png" || id.Subject != "u-1" {
		t.Errorf("mapped identity = %+v", id)
	}
	if id.Email != "ann@home.test" || id.EmailVerified {
		t.Errorf("mapped e-mail %q verified %v, want unverified", id.Email, id.EmailVerified)
	}
}

// A dotted groups_claim reaches into an object claim (Keycloak's realm
// roles).
func TestGroupsClaimDotted(t *testing.T) {
	f := groupsOP(t, map[string]any{"sub": "u-1", "realm_access": map[string]any{"roles": []string{"staff"}}})
	_, id, err := providertest.SignIn(t, newOIDC(t, f, "realm_access.roles", nil), "state-dotted")
	require.NoError(t, err)
	require.Equal(t, []string{"staff"}, id.Groups)
}
