package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// adminRoutes are every /admin route, with the form a POST needs.
var adminRoutes = []struct {
	method, path string
	form         url.Values
}{
	{http.MethodGet, "/admin", nil},
	{http.MethodGet, "/admin/users", nil},
	{http.MethodGet, "/admin/users?q=a&after=b", nil},
	{http.MethodGet, "/admin/apps", nil},
	{http.MethodGet, "/admin/keys", nil},
	{http.MethodGet, "/admin/audit", nil},
	{http.MethodGet, "/admin/no-such-page", nil},
	{http.MethodPost, "/admin/users/%s/disable", url.Values{}},
	{http.MethodPost, "/admin/users/%s/enable", url.Values{}},
	{http.MethodPost, "/admin/users/%s/admin", url.Values{}},
	{http.MethodPost, "/admin/users/%s/unadmin", url.Values{}},
	{http.MethodPost, "/admin/keys/rotate", url.Values{"alg": {"ES256"}}},
}

// adminSetup is a server with an administrator "root" and a user "alice",
// both with passwords.
type adminSetup struct {
	*testServer
	root, alice store.Account
}

func newAdminSetup(t *testing.T) *adminSetup {
	ts := startServer(t, mockOnly)
	root := addUser(t, ts, "root", "root password")
	yes := true
	require.NoError(t, ts.Store.SetAccountFlags(context.Background(), root.ID, store.AccountFlags{IsAdmin: &yes}, ts.Clock.Now()))
	return &adminSetup{testServer: ts, root: root, alice: addUser(t, ts, "alice", "alice password")}
}

// signIn signs a new browser in with a password and returns it with the
// CSRF token of its pages.
func signIn(t *testing.T, ts *testServer, username, pw string) (*http.Client, string) {
	t.Helper()
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login")
	resp, body := postForm(t, b, ts.URL+"/login", url.Values{"_csrf": {csrfFrom(t, page)}, "username": {username}, "password": {pw}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "/account", resp.Request.URL.Path)
	return b, csrfFrom(t, body)
}

// noRedirects returns a copy of b that reports redirects instead of following them.
func noRedirects(b *http.Client) *http.Client {
	c := *b
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func (s *adminSetup) account(t *testing.T, id string) store.Account {
	a, err := s.Store.GetAccount(context.Background(), id)
	require.NoError(t, err)
	return a
}

func (s *adminSetup) keyIDs(t *testing.T) []string {
	keys, err := s.Store.ListSigningKeys(context.Background(), s.Clock.Now())
	require.NoError(t, err)
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

// eventsOf returns the audit events of the given type.
func (s *adminSetup) eventsOf(t *testing.T, typ string) []store.AuditEvent {
	var out []store.AuditEvent
	for _, e := range s.audit(t, "") {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestAdminAnonymousGoesToSignIn(t *testing.T) {
	s := newAdminSetup(t)
	b := browser(t)
	_, page := get(t, b, s.URL+"/login") // a CSRF cookie and token, so POSTs get past CSRF
	csrf := csrfFrom(t, page)
	nb := noRedirects(b)
	for _, r := range adminRoutes {
		path := r.path
		if strings.Contains(path, "%s") {
			path = fmt.Sprintf(path, s.alice.ID)
		}
		var resp *http.Response
		if r.method == http.MethodGet {
			resp, _ = get(t, nb, s.URL+path)
		} else {
			form := url.Values{"_csrf": {csrf}}
			for k, v := range r.form {
				form[k] = v
			}
			resp, _ = postForm(t, nb, s.URL+path, form)
		}
		back := "/admin"
		if r.method == http.MethodGet {
			back = path
		}
		if want := "/login?return_to=" + url.QueryEscape(back); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("%s %s anonymous: %d to %q, want 302 to %q", r.method, path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	// Signing in comes back to the page asked for.
	resp, body := postForm(t, b, s.URL+"/login", url.Values{"_csrf": {csrf}, "username": {"root"}, "password": {"root password"},
		"return_to": {"/admin/users?q=al"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if resp.Request.URL.RequestURI() != "/admin/users?q=al" || !strings.Contains(body, "alice") {
		t.Errorf("after sign-in at %s", resp.Request.URL)
	}
	if a := s.account(t, s.alice.ID); a.Disabled || a.IsAdmin {
		t.Errorf("anonymous requests changed alice: %+v", a)
	}
}

func TestAdminRefusesNonAdmins(t *testing.T) {
	s := newAdminSetup(t)
	b, csrf := signIn(t, s.testServer, "alice", "alice password")
	keysBefore := s.keyIDs(t)
	for _, r := range adminRoutes {
		path := r.path
		if strings.Contains(path, "%s") {
			path = fmt.Sprintf(path, s.root.ID) // even aimed at someone else
		}
		var resp *http.Response
		var body string
		if r.method == http.MethodGet {
			resp, body = get(t, b, s.URL+path)
		} else {
			form := url.Values{"_csrf": {csrf}}
			for k, v := range r.form {
				form[k] = v
			}
			resp, body = postForm(t, b, s.URL+path, form)
		}
		expectPage(t, resp, body, http.StatusForbidden, "Only administrators")
	}
	if a := s.account(t, s.root.ID); a.Disabled || !a.IsAdmin {
		t.Errorf("a non-admin changed root: %+v", a)
	}
	if a := s.account(t, s.alice.ID); a.IsAdmin {
		t.Errorf("alice made herself admin")
	}
	require.Equal(t, keysBefore, s.keyIDs(t), "a non-admin rotated a key")
	_, page := get(t, b, s.URL+"/account")
	if strings.Contains(page, `href="/admin"`) {
		t.Errorf("non-admin sees the admin link")
	}
}

func TestAdminCSRF(t *testing.T) {
	s := newAdminSetup(t)
	b, _ := signIn(t, s.testServer, "root", "root password")
	keysBefore := s.keyIDs(t)
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
	}{
		{"no token", url.Values{}, http.StatusBadRequest},
		{"wrong token", url.Values{"_csrf": {"forged"}}, http.StatusForbidden},
	} {
		for _, path := range []string{"/admin/users/" + s.alice.ID + "/disable", "/admin/users/" + s.alice.ID + "/admin", "/admin/keys/rotate"} {
			tt.form.Set("alg", "ES256")
			resp, body := postForm(t, b, s.URL+path, tt.form)
			expectPage(t, resp, body, tt.status, "Request refused")
		}
	}
	if a := s.account(t, s.alice.ID); a.Disabled || a.IsAdmin {
		t.Errorf("a POST without a valid CSRF token changed alice: %+v", a)
	}
	require.Equal(t, keysBefore, s.keyIDs(t), "a POST without a valid CSRF token rotated a key")
	if evs := s.audit(t, ""); len(evs) != 1 || evs[0].Type != "login" {
		t.Errorf("audit events = %+v, want only root's login", evs)
	}
}

func TestAdminDisableEndsAccess(t *testing.T) {
	s := newAdminSetup(t)
	admin, csrf := signIn(t, s.testServer, "root", "root password")
	alice, _ := signIn(t, s.testServer, "alice", "alice password")
	_, refresh := login(t, s.testServer, "alice", "alice password")

	resp, body := postForm(t, admin, s.URL+"/admin/users/"+s.alice.ID+"/disable", url.Values{"_csrf": {csrf}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if resp.Request.URL.Path != "/admin/users" || !strings.Contains(body, "The account is disabled") {
		t.Errorf("after disabling: at %s:\n%s", resp.Request.URL, body)
	}
	if !s.account(t, s.alice.ID).Disabled {
		t.Fatalf("alice is not disabled")
	}
	// Her browser session, her refresh token and her password stop working.
	resp, _ = get(t, alice, s.URL+"/account")
	if resp.Request.URL.Path != "/login" {
		t.Errorf("disabled user's session still opens /account (at %s)", resp.Request.URL)
	}
	r, m := postJSON(t, s.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": refresh})
	if r.StatusCode == http.StatusOK {
		t.Errorf("disabled user's refresh token still works: %v", m)
	}
	_, page := get(t, alice, s.URL+"/login")
	resp, body = postForm(t, alice, s.URL+"/login", url.Values{"_csrf": {csrfFrom(t, page)}, "username": {"alice"}, "password": {"alice password"}})
	expectPage(t, resp, body, http.StatusUnauthorized, "Unable to sign in")
	r, _ = postJSON(t, s.URL+"/api/token-auth/", map[string]string{"username": "alice", "password": "alice password"})
	if r.StatusCode == http.StatusOK {
		t.Errorf("disabled user got a token from /api/token-auth/")
	}

	evs := s.eventsOf(t, "admin.user_disabled")
	require.Len(t, evs, 1)
	var d map[string]string
	require.NoError(t, json.Unmarshal([]byte(evs[0].Detail), &d))
	if evs[0].AccountID != s.alice.ID || d["by"] != s.root.ID || d["username"] != "alice" {
		t.Errorf("audit event = %+v", evs[0])
	}

	// Disabling again changes nothing and records nothing.
	_, body = postForm(t, admin, s.URL+"/admin/users/"+s.alice.ID+"/disable", url.Values{"_csrf": {csrf}})
	if !strings.Contains(body, "Nothing changed") || len(s.eventsOf(t, "admin.user_disabled")) != 1 {
		t.Errorf("disabling twice: %q", body)
	}
	// Enabled again, she can sign in.
	resp, body = postForm(t, admin, s.URL+"/admin/users/"+s.alice.ID+"/enable", url.Values{"_csrf": {csrf}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if s.account(t, s.alice.ID).Disabled || len(s.eventsOf(t, "admin.user_enabled")) != 1 {
		t.Errorf("enable did not enable or was not recorded")
	}
	signIn(t, s.testServer, "alice", "alice password")
}

func TestAdminUserChanges(t *testing.T) {
	s := newAdminSetup(t)
	b, csrf := signIn(t, s.testServer, "root", "root password")
	post := func(path string) (*http.Response, string) {
		return postForm(t, b, s.URL+path, url.Values{"_csrf": {csrf}})
	}

	t.Run("grant and revoke admin", func(t *testing.T) {
		resp, body := post("/admin/users/" + s.alice.ID + "/admin")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		if !s.account(t, s.alice.ID).IsAdmin || !strings.Contains(body, "now an administrator") {
			t.Errorf("grant admin: %s", body)
		}
		// The new admin gets in at once.
		ab, _ := signIn(t, s.testServer, "alice", "alice password")
		resp, _ = get(t, ab, s.URL+"/admin")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp, body = post("/admin/users/" + s.alice.ID + "/unadmin")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		if s.account(t, s.alice.ID).IsAdmin {
			t.Errorf("revoke admin left alice an admin")
		}
		resp, _ = get(t, ab, s.URL+"/admin")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "revoked admin still gets in")
		if len(s.eventsOf(t, "admin.user_admin_granted")) != 1 || len(s.eventsOf(t, "admin.user_admin_revoked")) != 1 {
			t.Errorf("admin changes not audited")
		}
	})

	t.Run("not to oneself", func(t *testing.T) {
		for _, tt := range []struct{ action, text string }{
			{"disable", "cannot disable your own account"},
			{"unadmin", "cannot remove your own administrator rights"},
		} {
			resp, body := post("/admin/users/" + s.root.ID + "/" + tt.action)
			expectPage(t, resp, body, http.StatusConflict, tt.text)
		}
		if a := s.account(t, s.root.ID); a.Disabled || !a.IsAdmin {
			t.Errorf("root changed itself: %+v", a)
		}
		if len(s.eventsOf(t, "admin.user_disabled"))+len(s.eventsOf(t, "admin.user_admin_revoked")) != 1 {
			t.Errorf("a refused change was audited")
		}
	})

	t.Run("unknown account", func(t *testing.T) {
		for _, id := range []string{"0123456789abcdef0123456789abcdef", "nope", strings.Repeat("a", 5000), "%FF%FE", "%00"} {
			for _, action := range []string{"disable", "enable", "admin", "unadmin"} {
				resp, body := post("/admin/users/" + id + "/" + action)
				expectPage(t, resp, body, http.StatusNotFound, "no account with that ID")
			}
		}
	})

	t.Run("GET does not change", func(t *testing.T) {
		resp, body := get(t, b, s.URL+"/admin/users/"+s.alice.ID+"/disable")
		if resp.StatusCode == http.StatusOK || s.account(t, s.alice.ID).Disabled {
			t.Errorf("GET disable: %d %s", resp.StatusCode, body)
		}
	})
}

var nextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

func TestAdminUserList(t *testing.T) {
	s := newAdminSetup(t)
	ctx := context.Background()
	for i := range 60 {
		a := store.Account{ID: store.NewID(), Username: fmt.Sprintf("user%02d", i), CreatedAt: s.Clock.Now(), UpdatedAt: s.Clock.Now()}
		require.NoError(t, s.Store.CreateAccount(ctx, &a))
	}
	for _, u := range []string{"al_ice", "al%ce"} {
		addUser(t, s.testServer, u, "")
	}
	b, _ := signIn(t, s.testServer, "root", "root password")
	rows := func(body string) int { return strings.Count(body, `<tr id="user-`) }

	// 64 accounts: 50, then 14 through the next link.
	resp, body := get(t, b, s.URL+"/admin/users")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if rows(body) != 50 || !strings.Contains(body, "al%ce") || !strings.Contains(body, `rel="next"`) {
		t.Fatalf("first page: %d rows", rows(body))
	}
	next := nextLink.FindStringSubmatch(body)
	require.NotNil(t, next, "no next link")
	resp, body = get(t, b, s.URL+strings.ReplaceAll(next[1], "&amp;", "&"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if rows(body) != 14 || !strings.Contains(body, "user59") || strings.Contains(body, `rel="next"`) {
		t.Errorf("second page: %d rows", rows(body))
	}

	for _, tt := range []struct {
		name, query string
		status      int
		rows        int
		text        string
	}{
		{"prefix", "q=USER5", http.StatusOK, 10, "user50"},
		{"underscore is no wildcard", "q=" + url.QueryEscape("al_"), http.StatusOK, 1, "al_ice"},
		{"percent is no wildcard", "q=" + url.QueryEscape("%"), http.StatusOK, 0, "No accounts whose username starts with"},
		{"percent inside", "q=" + url.QueryEscape("al%"), http.StatusOK, 1, "al%ce"},
		{"markup is text", "q=" + url.QueryEscape("<b>x"), http.StatusOK, 0, "&lt;b&gt;x"},
		{"after", "after=user57", http.StatusOK, 2, "user59"},
		{"after the end", "after=zzz", http.StatusOK, 0, "No accounts"},
		{"q too long", "q=" + strings.Repeat("a", 300), http.StatusBadRequest, 0, "not valid"},
		{"after too long", "after=" + strings.Repeat("a", 5000), http.StatusBadRequest, 0, "not valid"},
		{"q not UTF-8", "q=%FF", http.StatusBadRequest, 0, "not valid"},
		{"after not UTF-8", "after=%C3%28", http.StatusBadRequest, 0, "not valid"},
		{"NUL", "q=a%00b", http.StatusBadRequest, 0, "not valid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, b, s.URL+"/admin/users?"+tt.query)
			expectPage(t, resp, body, tt.status, tt.text)
			if rows(body) != tt.rows {
				t.Errorf("%d rows, want %d", rows(body), tt.rows)
			}
		})
	}
}
