package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Only administrators restrict apps to groups on /apps: an owner's form
// has no field, a posted one is ignored, and an owner's edit keeps the
// restriction an administrator set. /admin/apps lists the groups.
func TestAppPagesAllowedGroups(t *testing.T) {
	s := newAdminSetup(t)
	ctx := context.Background()
	alice, aliceCSRF := signIn(t, s.testServer, "alice", "alice password")
	root, rootCSRF := signIn(t, s.testServer, "root", "root password")
	_, page := get(t, alice, s.URL+"/apps")
	if strings.Contains(page, `name="allowed_groups"`) {
		t.Errorf("an owner's form offers allowed groups")
	}
	form := func(groups string) url.Values {
		return url.Values{"name": {"Wiki"}, "redirect_uris": {"https://wiki.example/cb"}, "grant": {"authorization_code"},
			"scope": {"openid"}, "allowed_groups": {groups}}
	}
	status, id := createAppOnPage(t, s.testServer, alice, aliceCSRF, form("alice-friends"))
	require.Equal(t, http.StatusOK, status)
	allowed := func() []string {
		cl, err := s.Store.GetClient(ctx, id)
		require.NoError(t, err)
		return cl.AllowedGroups
	}
	if g := allowed(); len(g) != 0 {
		t.Errorf("an owner set allowed groups %q", g)
	}

	resp, body := postForm(t, root, s.URL+"/apps/"+id, withCSRF(form("staff\n  acme/ops \n\n"), rootCSRF))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if g := allowed(); !slices.Equal(g, []string{"staff", "acme/ops"}) {
		t.Errorf("after the administrator's edit: %q", g)
	}
	resp, body = postForm(t, alice, s.URL+"/apps/"+id, withCSRF(form(""), aliceCSRF))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if g := allowed(); !slices.Equal(g, []string{"staff", "acme/ops"}) {
		t.Errorf("an owner's edit changed the allowed groups to %q", g)
	}
	if !strings.Contains(body, "acme/ops") {
		t.Errorf("the owner's page does not show the restriction")
	}
	resp, body = postForm(t, root, s.URL+"/apps/"+id, withCSRF(form("two words"), rootCSRF))
	expectPage(t, resp, body, http.StatusBadRequest, "allowed-group")

	_, list := get(t, root, s.URL+"/admin/apps")
	if !strings.Contains(list, "<code>staff</code>, <code>acme/ops</code>") {
		t.Errorf("/admin/apps does not list the allowed groups:\n%s", list)
	}
}

func withCSRF(v url.Values, csrf string) url.Values { v.Set("_csrf", csrf); return v }
