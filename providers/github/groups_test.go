package github_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/github"
	"gatehouse/providers/providertest"
)

// withRules builds the provider with admission rules (which make it read
// the memberships) and optional scopes.
func withRules(t *testing.T, f *providertest.Fake, a providers.Admission, scopes ...string) providers.Provider {
	t.Helper()
	p, err := github.New(providers.Config{Name: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret, Scopes: scopes,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}, Admission: a,
		AuthURL: f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath), EmailsURL: f.At(f.EmailsPath)})
	require.NoError(t, err)
	return p
}

func setMemberships(f *providertest.Fake, groups []string) {
	var orgs, teams []string
	for _, g := range groups {
		if strings.Contains(g, "/") {
			teams = append(teams, g)
		} else {
			orgs = append(orgs, g)
		}
	}
	f.SetMemberships(orgs, teams)
}

// The shared behaviour with org rules set: groups afresh at every
// sign-in, and a token without read:org is ErrMissingScope.
func TestProviderSuiteGroups(t *testing.T) {
	providertest.Run(t, func(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
		p, err := github.New(providers.Config{Name: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret, HTTPClient: c,
			Admission: providers.Admission{Orgs: []string{"acme"}},
			AuthURL:   f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath), EmailsURL: f.At(f.EmailsPath)})
		require.NoError(t, err)
		return p
	}, providertest.Options{
		Setup: func(f *providertest.Fake) { setupGitHub(f); f.Orgs = []string{"Acme"} },
		Want: providers.Identity{Subject: "583231", Username: "octocat", Name: "The Octocat", Email: "octo@example.test",
			EmailVerified: true, AvatarURL: "https://avatars.example/u/1", Groups: []string{"acme"}},
		PKCE: true,
		Unverified: func(f *providertest.Fake) {
			f.Emails = []map[string]any{{"email": "octo@example.test", "primary": true, "verified": false}}
		},
		Groups:       setMemberships,
		MissingScope: func(f *providertest.Fake) { f.DenyScopes = []string{"read:org"} },
	})
}

// read:org is asked for only when a rule needs it (or the operator lists
// it), and the memberships are read only then.
func TestReadOrgOnlyWhenNeeded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a      providers.Admission
		scopes []string
		want   string // scope of the authorize request
		groups bool
	}{
		{"no rules", providers.Admission{}, nil, "read:user user:email", false},
		{"e-mail domains only", providers.Admission{EmailDomains: []string{"acme.test"}}, nil, "read:user user:email", false},
		{"org rule", providers.Admission{Orgs: []string{"acme"}}, nil, "read:user user:email read:org", true},
		{"team rule", providers.Admission{Teams: []string{"acme/ops"}}, []string{"read:user"}, "read:user read:org", true},
		{"read:org listed", providers.Admission{}, []string{"read:user", "read:org"}, "read:user read:org", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fakeGitHub(t)
			f.SetMemberships([]string{"acme"}, nil)
			start, id, err := providertest.SignIn(t, withRules(t, f, tc.a, tc.scopes...), "state-scope")
			require.NoError(t, err)
			au, _ := url.Parse(start.URL)
			if got := au.Query().Get("scope"); got != tc.want {
				t.Errorf("scope = %q, want %q", got, tc.want)
			}
			if read := len(f.Requests(f.OrgsPath)) > 0; read != tc.groups || (id.Groups != nil) != tc.groups {
				t.Errorf("memberships read: %v, groups %v; want read %v", read, id.Groups, tc.groups)
			}
		})
	}
}

// Admission over what the provider read: org and team members pass, others
// are refused, and leaving the team refuses the next sign-in. Org logins
// and team slugs compare case-insensitively (GitHub's are).
func TestOrgAndTeamAdmission(t *testing.T) {
	f := fakeGitHub(t)
	team := providers.Admission{Teams: []string{"ACME/ops"}}
	org := providers.Admission{Orgs: []string{"acme"}}
	p := withRules(t, f, team)
	f.SetMemberships([]string{"Acme"}, []string{"Acme/Ops", "other/ops"})
	_, id, err := providertest.SignIn(t, p, "state-team")
	require.NoError(t, err)
	require.Equal(t, []string{"acme", "acme/ops", "other", "other/ops"}, id.Groups)
	require.NoError(t, team.Admit(id))
	require.NoError(t, org.Admit(id))

	f.SetMemberships([]string{"Acme"}, []string{"other/ops"}) // left acme/ops
	_, id, err = providertest.SignIn(t, p, "state-left")
	require.NoError(t, err)
	if err := team.Admit(id); !errors.Is(err, providers.ErrNotAdmitted) {
		t.Errorf("after leaving the team: Admit = %v, want ErrNotAdmitted", err)
	}
	require.NoError(t, org.Admit(id), "still in the org")

	f.SetMemberships([]string{"elsewhere"}, nil)
	_, id, err = providertest.SignIn(t, p, "state-out")
	require.NoError(t, err)
	if err := org.Admit(id); !errors.Is(err, providers.ErrNotAdmitted) {
		t.Errorf("outside the org: Admit = %v, want ErrNotAdmitted", err)
	}
}

// Memberships span pages (Link rel="next"); past ten pages the sign-in
// fails rather than judging a partial list.
func TestMembershipPages(t *testing.T) {
	f := fakeGitHub(t)
	f.PageSize = 1
	orgs := []string{"a1", "a2", "a3"}
	f.SetMemberships(orgs, []string{"a1/t1", "a2/t2"})
	_, id, err := providertest.SignIn(t, withRules(t, f, providers.Admission{Orgs: []string{"a1"}}), "state-pages")
	require.NoError(t, err)
	require.Equal(t, []string{"a1", "a1/t1", "a2", "a2/t2", "a3"}, id.Groups)
	if n := len(f.Requests(f.OrgsPath)); n != 3 {
		t.Errorf("%d requests for 3 one-org pages", n)
	}

	many := make([]string, 11)
	for i := range many {
		many[i] = "org" + string(rune('a'+i))
	}
	f.SetMemberships(many, nil)
	_, _, err = providertest.SignIn(t, withRules(t, f, providers.Admission{Orgs: []string{"orga"}}), "state-many")
	if !errors.Is(err, providers.ErrUpstream) || !strings.Contains(err.Error(), "more than 10 pages") {
		t.Errorf("11 pages: err = %v, want ErrUpstream (more than 10 pages)", err)
	}
	if n := len(f.Requests(f.OrgsPath)); n != 3+10 {
		t.Errorf("%d requests, want 3 + 10 (the cap)", n)
	}
}
