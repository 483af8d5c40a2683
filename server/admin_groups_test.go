package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/tokens"
	"gatehouse/store"
)

// groupRoutes are the group and invite routes of /admin, with the form a
// POST needs to change something if the request were let through.
var groupRoutes = []struct {
	method, path string
	form         url.Values
}{
	{http.MethodGet, "/admin/groups", nil},
	{http.MethodGet, "/admin/invites", nil},
	{http.MethodGet, "/admin/users/ACCOUNT", nil},
	{http.MethodPost, "/admin/groups", url.Values{"name": {"evil"}}},
	{http.MethodPost, "/admin/groups/delete", url.Values{"group": {"ops"}}},
	{http.MethodPost, "/admin/groups/members", url.Values{"group": {"ops"}, "username": {"alice"}}},
	{http.MethodPost, "/admin/groups/members/remove", url.Values{"group": {"ops"}, "username": {"root"}}},
	{http.MethodPost, "/admin/invites", url.Values{"ttl": {"1h"}, "admin": {"1"}}},
	{http.MethodPost, "/admin/invites/INVITE/revoke", nil},
}

// groupSetup is an admin setup with a group "ops" that root is in and a
// pending invite.
type groupSetup struct {
	*adminSetup
	invite store.Invite
}

func newGroupSetup(t *testing.T) *groupSetup {
	s := newAdminSetup(t)
	ctx, now := context.Background(), s.Clock.Now()
	require.NoError(t, s.Store.CreateGroup(ctx, &store.Group{ID: store.NewID(), Name: "ops", CreatedAt: now}))
	require.NoError(t, s.Store.AddAccountToGroup(ctx, s.root.ID, "ops", now))
	inv := store.Invite{ID: store.NewID(), TokenHash: tokens.HashToken("t"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, s.Store.CreateInvite(ctx, &inv))
	return &groupSetup{adminSetup: s, invite: inv}
}

// try sends route r from b (with csrf, if not "") and returns the answer.
func (s *groupSetup) try(t *testing.T, b *http.Client, method, path string, form url.Values, csrf string) (*http.Response, string) {
	t.Helper()
	path = strings.NewReplacer("ACCOUNT", s.alice.ID, "INVITE", s.invite.ID).Replace(path)
	if method == http.MethodGet {
		return get(t, b, s.URL+path)
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if csrf != "" {
		f.Set("_csrf", csrf)
	}
	return postForm(t, b, s.URL+path, f)
}

// unchanged checks that nothing the routes could change has changed.
func (s *groupSetup) unchanged(t *testing.T, how string) {
	t.Helper()
	ctx := context.Background()
	groups, _ := s.Store.ListGroups(ctx)
	members, _ := s.Store.ListGroupMembers(ctx, "ops")
	invites, _ := s.Store.ListInvites(ctx)
	if len(groups) != 1 || len(members) != 1 || members[0].ID != s.root.ID || len(invites) != 1 {
		t.Errorf("%s changed something: groups %+v, members of ops %q, invites %+v", how, groups, usernames(members), invites)
	}
	for _, e := range s.audit(t, "") {
		if strings.HasPrefix(e.Type, "group.") || strings.HasPrefix(e.Type, "invite.") {
			t.Errorf("%s recorded %s", how, e.Type)
		}
	}
}

func usernames(list []store.Account) string {
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.Username
	}
	return strings.Join(names, " ")
}

func TestAdminGroupsGuarded(t *testing.T) {
	s := newGroupSetup(t)
	anon := browser(t)
	_, page := get(t, anon, s.URL+"/login")
	anonCSRF := csrfFrom(t, page)
	alice, aliceCSRF := signIn(t, s.testServer, "alice", "alice password")
	root, _ := signIn(t, s.testServer, "root", "root password")
	for _, r := range groupRoutes {
		resp, _ := s.try(t, noRedirects(anon), r.method, r.path, r.form, anonCSRF)
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login?return_to=") {
			t.Errorf("%s %s anonymous: %d to %q, want a redirect to sign-in", r.method, r.path, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := s.try(t, alice, r.method, r.path, r.form, aliceCSRF)
		expectPage(t, resp, body, http.StatusForbidden, "Only administrators")
		if r.method == http.MethodPost { // an administrator's POST without the CSRF token
			resp, body = s.try(t, root, r.method, r.path, r.form, "")
			expectPage(t, resp, body, http.StatusBadRequest, "Request refused")
		}
	}
	s.unchanged(t, "anonymous, non-admin and CSRF-less requests")
}

func TestAdminGroups(t *testing.T) {
	s := newGroupSetup(t)
	b, csrf := signIn(t, s.testServer, "root", "root password")
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set("_csrf", csrf)
		return postForm(t, b, s.URL+path, form)
	}
	resp, body := post("/admin/groups", url.Values{"name": {"acme/devs"}, "description": {"Developers"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if resp.Request.URL.Path != "/admin/groups" || !strings.Contains(body, "The group is created") || !strings.Contains(body, "Developers") {
		t.Errorf("after creating: at %s:\n%s", resp.Request.URL, body)
	}
	for _, tt := range []struct {
		name, path string
		form       url.Values
		status     int
		text       string
	}{
		{"duplicate name", "/admin/groups", url.Values{"name": {"ops"}}, http.StatusConflict, "exists already"},
		{"name with a space", "/admin/groups", url.Values{"name": {"a b"}}, http.StatusBadRequest, "is not valid"},
		{"markup as name", "/admin/groups", url.Values{"name": {"<script>x</script>"}}, http.StatusBadRequest, "is not valid"},
		{"no name", "/admin/groups", url.Values{}, http.StatusBadRequest, "is not valid"},
		{"long description", "/admin/groups", url.Values{"name": {"x"}, "description": {strings.Repeat("d", 201)}}, http.StatusBadRequest, "at most 200"},
		{"delete unknown group", "/admin/groups/delete", url.Values{"group": {"nope"}}, http.StatusNotFound, "There is no group"},
		{"add to unknown group", "/admin/groups/members", url.Values{"group": {"nope"}, "username": {"alice"}}, http.StatusNotFound, "There is no group"},
		{"add unknown user", "/admin/groups/members", url.Values{"group": {"ops"}, "username": {"nobody"}}, http.StatusNotFound, "There is no account"},
		{"add a member again", "/admin/groups/members", url.Values{"group": {"ops"}, "username": {"root"}}, http.StatusConflict, "already"},
		{"remove a non-member", "/admin/groups/members/remove", url.Values{"group": {"ops"}, "username": {"alice"}}, http.StatusNotFound, "not a local member"},
		{"invalid UTF-8", "/admin/groups/members", url.Values{"group": {"ops"}, "username": {"\xff"}}, http.StatusNotFound, "There is no account"},
	} {
		resp, body := post(tt.path, tt.form)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.text) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tt.name, resp.StatusCode, tt.status, tt.text, body)
		}
		if strings.Contains(body, "<script>x") {
			t.Errorf("%s: the page reflects markup unescaped", tt.name)
		}
	}

	resp, body = post("/admin/groups/members", url.Values{"group": {"acme/devs"}, "username": {"alice"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if !strings.Contains(body, "The account is now in the group") || !strings.Contains(body, `>alice<`) {
		t.Errorf("after adding: %s", body)
	}
	// The account page shows local and upstream groups with their source.
	ctx := context.Background()
	require.NoError(t, s.Store.SetUpstreamGroups(ctx, s.alice.ID, "github", []string{"acme"}, s.Clock.Now()))
	_, body = get(t, b, s.URL+"/admin/users/"+s.alice.ID)
	if !regexp.MustCompile(`(?s)acme/devs</td>\s*<td>local`).MatchString(body) || !regexp.MustCompile(`(?s)acme</td>\s*<td>provider:github`).MatchString(body) {
		t.Errorf("alice's account page:\n%s", body)
	}
	if resp, body := get(t, b, s.URL+"/admin/users/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown account page: %d %s", resp.StatusCode, body)
	}

	resp, body = post("/admin/groups/members/remove", url.Values{"group": {"acme/devs"}, "username": {"alice"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = post("/admin/groups/delete", url.Values{"group": {"ops"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	groups, err := s.Store.ListAccountGroups(ctx, s.root.ID)
	require.NoError(t, err)
	if len(groups) != 0 || !strings.Contains(body, "The group is deleted") {
		t.Errorf("after deleting ops: root's groups %+v, page %s", groups, body)
	}
	for typ, n := range map[string]int{"group.created": 1, "group.member_added": 1, "group.member_removed": 1, "group.deleted": 1} {
		evs := s.eventsOf(t, typ)
		if len(evs) != n {
			t.Errorf("%d %s events, want %d", len(evs), typ, n)
			continue
		}
		var d map[string]string
		require.NoError(t, json.Unmarshal([]byte(evs[0].Detail), &d))
		if d["by"] != s.root.ID || d["group"] == "" {
			t.Errorf("%s event = %+v", typ, evs[0])
		}
	}
}

func TestAdminInvites(t *testing.T) {
	s := newGroupSetup(t)
	b, csrf := signIn(t, s.testServer, "root", "root password")
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set("_csrf", csrf)
		return postForm(t, b, s.URL+path, form)
	}
	resp, body := post("/admin/invites", url.Values{"ttl": {"24h"}, "admin": {"1"}, "group": {"ops"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	m := regexp.MustCompile(`id="invite-link"[^>]*>` + regexp.QuoteMeta(s.URL) + `/invite/([A-Za-z0-9_-]{43})<`).FindStringSubmatch(body)
	require.NotNil(t, m, "no invite link on the page:\n%s", body)
	token := m[1]
	list, err := s.Store.ListInvites(context.Background())
	require.NoError(t, err)
	i := slices.IndexFunc(list, func(inv store.Invite) bool { return inv.TokenHash == tokens.HashToken(token) })
	require.NotEqual(t, -1, i, "no invite with the link's token hash")
	inv := list[i]
	if len(list) != 2 || !inv.Admin || strings.Join(inv.Groups, " ") != "ops" ||
		inv.CreatedBy != s.root.ID || !inv.ExpiresAt.Equal(s.Clock.Now().Add(24*time.Hour)) {
		t.Errorf("stored invite = %+v (of %d)", inv, len(list))
	}
	// The link is shown once: the list never shows it again.
	_, body = get(t, b, s.URL+"/admin/invites")
	if strings.Contains(body, token) || strings.Count(body, ">pending<") != 2 {
		t.Errorf("invite list:\n%s", body)
	}

	for _, tt := range []struct {
		name string
		form url.Values
		text string
	}{
		{"not a duration", url.Values{"ttl": {"forever"}}, "lifetime"},
		{"too short", url.Values{"ttl": {"1s"}}, "lifetime must be between"},
		{"too long", url.Values{"ttl": {"1000h"}}, "lifetime must be between"},
		{"unknown group", url.Values{"ttl": {"1h"}, "group": {"nope"}}, `there is no group &#34;nope&#34;`},
		{"markup as group", url.Values{"ttl": {"1h"}, "group": {"<b>"}}, "is not valid"},
	} {
		resp, body := post("/admin/invites", tt.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.text) || strings.Contains(body, "/invite/") {
			t.Errorf("%s: %d, want 400 with %q and no link:\n%s", tt.name, resp.StatusCode, tt.text, body)
		}
	}

	// Revoke the pending invite; a second revoke, an unknown ID and a
	// redeemed invite are refused.
	resp, body = post("/admin/invites/"+s.invite.ID+"/revoke", url.Values{})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if !strings.Contains(body, "The invite is revoked") {
		t.Errorf("after revoking: %s", body)
	}
	resp, body = post("/admin/invites/"+s.invite.ID+"/revoke", url.Values{})
	expectPage(t, resp, body, http.StatusNotFound, "Invite not found")
	_, err = s.Store.RedeemInvite(context.Background(), inv.TokenHash, s.alice.ID, s.Clock.Now())
	require.NoError(t, err)
	resp, body = post("/admin/invites/"+inv.ID+"/revoke", url.Values{})
	expectPage(t, resp, body, http.StatusNotFound, "Invite not found")

	_, body = get(t, b, s.URL+"/admin/invites")
	if !strings.Contains(body, ">redeemed<") || !strings.Contains(body, "alice") {
		t.Errorf("redeemed invite not shown as such:\n%s", body)
	}
	evs := s.eventsOf(t, "invite.created")
	if len(evs) != 1 || strings.Contains(evs[0].Detail, token) || len(s.eventsOf(t, "invite.revoked")) != 1 {
		t.Errorf("audit events: %+v", evs)
	}
}

func TestAdminInviteExpiredStatus(t *testing.T) {
	s := newGroupSetup(t)
	b, _ := signIn(t, s.testServer, "root", "root password")
	s.Clock.Add(2 * time.Hour)
	_, body := get(t, b, s.URL+"/admin/invites")
	if !strings.Contains(body, ">expired<") || strings.Contains(body, ">pending<") {
		t.Errorf("an invite an hour past expiry:\n%s", body)
	}
}
