package server_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
	"gatehouse/server/oauth"
	"gatehouse/store"
)

// appCount is how many apps the store holds.
func appCount(t *testing.T, ts *testServer) int {
	list, err := ts.Store.ListClients(context.Background(), "")
	require.NoError(t, err)
	return len(list)
}

var appIDRe = regexp.MustCompile(`<code id="client-id">([^<]+)</code>`)

// createAppOnPage registers an app on /apps and returns its client ID ("" if refused).
func createAppOnPage(t *testing.T, ts *testServer, b *http.Client, csrf string, form url.Values) (int, string) {
	t.Helper()
	form.Set("_csrf", csrf)
	resp, body := postForm(t, b, ts.URL+"/apps", form)
	if m := appIDRe.FindStringSubmatch(body); m != nil {
		return resp.StatusCode, m[1]
	}
	return resp.StatusCode, ""
}

// The password grant and the implicit flow are for operators only (the
// CLI, or an administrator on /apps); never password for public apps.
func TestAppOperatorOnlyGrants(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	_, page := get(t, alice, s.URL+"/apps")
	if strings.Contains(page, `value="password"`) || strings.Contains(page, `value="implicit"`) {
		t.Errorf("the form offers operator-only grants to a non-admin")
	}
	base := func(grants ...string) url.Values {
		return url.Values{"name": {"App"}, "redirect_uris": {"https://app.example/cb"}, "grant": grants, "scope": {"openid"}}
	}
	// Form tampering: the boxes are not shown, but posted anyway.
	for _, grants := range [][]string{{"authorization_code", "password"}, {"implicit"}, {"authorization_code", "implicit"}} {
		before := appCount(t, s.testServer)
		status, id := createAppOnPage(t, s.testServer, alice, csrf, base(grants...))
		if status != http.StatusBadRequest || id != "" || appCount(t, s.testServer) != before {
			t.Errorf("non-admin with grants %v: %d, app %q", grants, status, id)
		}
	}
	status, id := createAppOnPage(t, s.testServer, alice, csrf, base("authorization_code"))
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, id)
	form := base("authorization_code", "implicit")
	form.Set("_csrf", csrf)
	resp, body := postForm(t, alice, s.URL+"/apps/"+id, form)
	cl, err := s.Store.GetClient(context.Background(), id)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(strings.Join(cl.GrantTypes, " "), "implicit") {
		t.Errorf("non-admin enabling implicit on edit: %d %v\n%s", resp.StatusCode, cl.GrantTypes, body)
	}

	root, rootCSRF := signIn(t, s.testServer, "root", "root password")
	status, adminApp := createAppOnPage(t, s.testServer, root, rootCSRF, base("password", "refresh_token"))
	if status != http.StatusOK || adminApp == "" {
		t.Fatalf("an administrator may enable the password grant: %d", status)
	}
	// Only an administrator's apps are vetted.
	for id, want := range map[string]bool{adminApp: true, id: false} {
		if cl, err := s.Store.GetClient(context.Background(), id); err != nil || cl.Vetted != want {
			t.Errorf("app %s: vetted %v (%v), want %v", id, cl.Vetted, err, want)
		}
	}
	pub := base("password")
	pub.Set("public", "1")
	if status, id := createAppOnPage(t, s.testServer, root, rootCSRF, pub); status != http.StatusBadRequest || id != "" {
		t.Errorf("password grant for a public app, by an administrator: %d %q", status, id)
	}
}

// RFC 7591 registration never enables the password grant or implicit.
func TestRegistrationRefusesOperatorGrants(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	h := http.Header{"Authorization": {"Bearer " + token}}
	for name, body := range map[string]string{
		"password grant":       `{"redirect_uris":["https://a.example/cb"],"grant_types":["password"]}`,
		"implicit grant":       `{"redirect_uris":["https://a.example/cb"],"grant_types":["implicit"]}`,
		"token response type":  `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`,
		"public with password": `{"redirect_uris":["https://a.example/cb"],"grant_types":["password"],"token_endpoint_auth_method":"none"}`,
	} {
		resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(body), h)
		wantOAuthErr(t, name, resp, m, http.StatusBadRequest, "invalid_client_metadata")
	}
	if n := appCount(t, ts); n != 0 {
		t.Errorf("%d apps registered", n)
	}
}

// An app that no operator vetted (registered by a non-admin or by RFC 7591
// registration) does not get automatic error redirects from
// /oauth2/authorize: the user sees a page with a plain link (RFC 9700
// §4.11.2), so Gatehouse is no open redirector. A vetted app still gets
// the redirect.
func TestUnvettedAppErrorsArePages(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	h := http.Header{"Authorization": {"Bearer " + token}}
	resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json",
		strings.NewReader(`{"redirect_uris":["`+appRedirect+`"],"scope":"openid"}`), h)
	require.Equal(t, http.StatusCreated, resp.StatusCode, m)
	unvetted := m["client_id"].(string)
	vetted := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})

	authURL := func(clientID string) string {
		q := url.Values{"client_id": {clientID}, "redirect_uri": {appRedirect}, "response_type": {"code"}, "scope": {"admin"}, "state": {"s<1>"}}
		return ts.URL + "/oauth2/authorize?" + q.Encode()
	}
	for name, b := range map[string]*http.Client{"signed out": agent(t), "signed in": signedInAgent(t, ts)} {
		resp, body := get(t, b, authURL(unvetted))
		expectPage(t, resp, body, http.StatusBadRequest, "")
		if resp.Request.URL.Host != strings.TrimPrefix(ts.URL, "http://") {
			t.Errorf("%s: redirected to %s", name, resp.Request.URL)
		}
		link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(appRedirect) + `\?[^"]+)"`).FindStringSubmatch(body)
		if link == nil {
			t.Fatalf("%s: no link back to the app:\n%s", name, body)
		}
		u, err := url.Parse(html.UnescapeString(link[1]))
		require.NoError(t, err)
		if q := u.Query(); q.Get("error") != "invalid_scope" || q.Get("state") != "s<1>" || q.Get("iss") != ts.URL {
			t.Errorf("%s: link %s", name, u)
		}
		back := authorize(t, b, authURL(vetted.ClientID), "approve")
		if back.Query().Get("error") != "invalid_scope" {
			t.Errorf("%s: vetted app's redirect %s", name, back)
		}
	}
}

// RFC 7591 §2: unknown client metadata is ignored, not refused; the
// answer carries the secret, so no cache may keep it.
func TestRegistrationUnknownMetadataAndNoStore(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	h := http.Header{"Authorization": {"Bearer " + token}}
	body := `{"redirect_uris":["https://a.example/cb"],"client_name":"Wiki","jwks":{"keys":[]},"software_id":"x","contacts":["a@b.example"]}`
	resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(body), h)
	require.Equal(t, http.StatusCreated, resp.StatusCode, m)
	if m["client_secret"] == nil || m["jwks"] != nil {
		t.Errorf("registered = %v", m)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on an answer with a secret", cc)
	}
}

// Every change to an app is an audit event naming who made it.
func TestAppAuditEvents(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	status, id := createAppOnPage(t, s.testServer, alice, csrf, url.Values{"name": {"App"}, "redirect_uris": {"https://app.example/cb"},
		"grant": {"authorization_code"}, "scope": {"openid"}})
	require.Equal(t, http.StatusOK, status)
	postForm(t, alice, s.URL+"/apps/"+id, url.Values{"_csrf": {csrf}, "name": {"Renamed"}, "redirect_uris": {"https://app.example/cb"},
		"grant": {"authorization_code"}, "scope": {"openid"}})
	postForm(t, alice, s.URL+"/apps/"+id+"/secret", url.Values{"_csrf": {csrf}})
	postForm(t, alice, s.URL+"/apps/"+id+"/delete", url.Values{"_csrf": {csrf}})
	for _, typ := range []string{"app.created", "app.updated", "app.secret_rotated", "app.deleted"} {
		evs := s.eventsOf(t, typ)
		if len(evs) != 1 || evs[0].AccountID != s.alice.ID || !strings.Contains(evs[0].Detail, id) || !strings.Contains(evs[0].Detail, `"by":"`+s.alice.ID+`"`) {
			t.Errorf("%s: %+v", typ, evs)
		}
	}
	for _, e := range s.audit(t, "") {
		if strings.Contains(e.Detail, "secret\":") {
			t.Errorf("an audit event holds a secret: %+v", e)
		}
	}
}

func TestRegistrationAuditEvent(t *testing.T) {
	token := strings.Repeat("r", 40)
	ts := startServer(t, mockOnly+"apps:\n  registration_token: "+token+"\n")
	h := http.Header{"Authorization": {"Bearer " + token}}
	resp, m := call(t, http.MethodPost, ts.URL+"/oauth2/register", "application/json", strings.NewReader(`{"redirect_uris":["https://a.example/cb"]}`), h)
	require.Equal(t, http.StatusCreated, resp.StatusCode, m)
	var found bool
	for _, e := range ts.audit(t, "") {
		found = found || (e.Type == "app.registered" && strings.Contains(e.Detail, m["client_id"].(string)) && e.IP != "")
	}
	if !found {
		t.Errorf("no app.registered event: %+v", ts.audit(t, ""))
	}
}

// An operator vouched for a vetted app's redirect URIs: a non-admin owner
// who changes them un-vets the app; other edits keep it vetted.
func TestOwnerRedirectChangeUnvets(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	status, id := createAppOnPage(t, s.testServer, alice, csrf, url.Values{"name": {"App"}, "redirect_uris": {"https://app.example/cb"},
		"grant": {"authorization_code"}, "scope": {"openid"}})
	require.Equal(t, http.StatusOK, status)
	ctx := context.Background()
	cl, err := s.Store.GetClient(ctx, id)
	require.NoError(t, err)
	cl.Vetted = true // as migration 00010 leaves an app whose owner was an administrator
	require.NoError(t, s.Store.UpdateClient(ctx, &cl))
	edit := func(redirect string) bool {
		resp, body := postForm(t, alice, s.URL+"/apps/"+id, url.Values{"_csrf": {csrf}, "name": {"App 2"}, "redirect_uris": {redirect},
			"grant": {"authorization_code"}, "scope": {"openid"}})
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		cl, err := s.Store.GetClient(ctx, id)
		require.NoError(t, err)
		return cl.Vetted
	}
	if !edit("https://app.example/cb") {
		t.Errorf("renaming un-vetted the app")
	}
	if edit("https://evil.example/cb") {
		t.Errorf("a non-admin changed the redirect URIs and the app stayed vetted")
	}
}

// A public app that got the password grant before the rule existed (a row
// from an older version) still cannot use it: a public client proves
// nothing, so the grant would be a password oracle for anyone.
func TestPasswordGrantRefusedForLegacyPublicApp(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "alice password")
	ctx := context.Background()
	cl := store.Client{ID: "legacy-public", Name: "Legacy", Public: true, RedirectURIs: []string{appRedirect},
		Scopes: []string{"profile"}, GrantTypes: []string{oauth.GrantPassword}, CreatedAt: ts.Clock.Now(), UpdatedAt: ts.Clock.Now()}
	require.NoError(t, ts.Store.CreateClient(ctx, &cl))
	resp, m := tokenCall(t, ts, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice password"},
		"client_id": {cl.ID}}, "", "")
	wantOAuthErr(t, "password grant of a public app", resp, m, http.StatusBadRequest, "unauthorized_client")
}
