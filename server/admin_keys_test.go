package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

func TestAdminOverviewAppsAudit(t *testing.T) {
	s := newAdminSetup(t)
	ctx := context.Background()
	app := store.Client{ID: "alices-app", Name: "Alice's App", OwnerID: s.alice.ID, RedirectURIs: []string{"http://127.0.0.1/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, CreatedAt: s.Clock.Now(), UpdatedAt: s.Clock.Now()}
	require.NoError(t, s.Store.CreateClient(ctx, &app))
	b, csrf := signIn(t, s.testServer, "root", "root password")

	resp, body := get(t, b, s.URL+"/admin")
	expectPage(t, resp, body, http.StatusOK, `<dd id="account-count">2</dd>`)
	if !strings.Contains(body, `<dd id="app-count">1</dd>`) || !strings.Contains(body, `href="/admin/keys"`) {
		t.Errorf("overview:\n%s", body)
	}
	_, page := get(t, b, s.URL+"/account")
	if !strings.Contains(page, `href="/admin"`) {
		t.Errorf("admin sees no admin link")
	}
	resp, body = get(t, b, s.URL+"/admin/apps")
	expectPage(t, resp, body, http.StatusOK, `href="/apps/alices-app"`)
	if !strings.Contains(body, "Alice&#39;s App") || !strings.Contains(body, s.alice.ID) {
		t.Errorf("apps page:\n%s", body)
	}
	resp, body = get(t, b, s.URL+"/apps/alices-app")
	expectPage(t, resp, body, http.StatusOK, "alices-app")

	s.Clock.Add(time.Second) // after root's sign-in
	postForm(t, b, s.URL+"/admin/users/"+s.alice.ID+"/disable", url.Values{"_csrf": {csrf}})
	s.gh.FlushAudit()
	resp, body = get(t, b, s.URL+"/admin/audit")
	expectPage(t, resp, body, http.StatusOK, "admin.user_disabled")
	if !strings.Contains(body, "login") || strings.Index(body, "admin.user_disabled") > strings.Index(body, "<td>login</td>") {
		t.Errorf("audit page lacks events or is not newest first:\n%s", body)
	}
}

func TestAdminKeyRotation(t *testing.T) {
	s := newAdminSetup(t)
	b, csrf := signIn(t, s.testServer, "root", "root password")
	before := s.keyIDs(t)
	require.Len(t, before, 2) // one ES256, one RS256
	resp, body := get(t, b, s.URL+"/admin/keys")
	expectPage(t, resp, body, http.StatusOK, before[0])
	if strings.Count(body, `class="key-signing"`) != 2 {
		t.Errorf("keys page does not show two signing keys:\n%s", body)
	}

	for _, alg := range []string{"", "HS256", "none", "es256", strings.Repeat("x", 1000)} {
		resp, body := postForm(t, b, s.URL+"/admin/keys/rotate", url.Values{"_csrf": {csrf}, "alg": {alg}})
		expectPage(t, resp, body, http.StatusBadRequest, "ES256 or RS256")
	}
	require.Equal(t, before, s.keyIDs(t), "a bad alg made a key")

	oldES := signingKid(t, s.testServer, "ES256")
	resp, body = postForm(t, b, s.URL+"/admin/keys/rotate", url.Values{"_csrf": {csrf}, "alg": {"ES256"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if resp.Request.URL.Path != "/admin/keys" || !strings.Contains(body, "A new signing key was made") {
		t.Errorf("after rotating: at %s", resp.Request.URL)
	}
	keys, err := s.Store.ListSigningKeys(context.Background(), s.Clock.Now())
	require.NoError(t, err)
	require.Len(t, keys, 3)
	var newKey store.SigningKey
	for _, k := range keys {
		if !slices.Contains(before, k.ID) {
			newKey = k
		}
	}
	if newKey.Alg != "ES256" || newKey.ID == oldES {
		t.Fatalf("new key = %s %s", newKey.ID, newKey.Alg)
	}
	// The old key retires now and stays published for the access-token
	// lifetime (15m by default) plus the JWKS cache period.
	for _, k := range keys {
		if k.ID == oldES && (k.RetireAt == nil || !k.RetireAt.Equal(s.Clock.Now()) || !k.ExpireAt.Equal(s.Clock.Now().Add(20*time.Minute))) {
			t.Errorf("old key retire %v expire %v", k.RetireAt, k.ExpireAt)
		}
	}
	_, jwks := get(t, browser(t), s.URL+"/oauth2/jwks")
	if !strings.Contains(jwks, `"kid":"`+newKey.ID+`"`) || !strings.Contains(jwks, `"kid":"`+oldES+`"`) {
		t.Errorf("JWKS lacks the new or the old key:\n%s", jwks)
	}
	if got := signingKid(t, s.testServer, "ES256"); got != newKey.ID {
		t.Errorf("tokens are signed by %s, want the new key %s", got, newKey.ID)
	}
	if !strings.Contains(body, newKey.ID) || strings.Count(body, `class="key-retired"`) != 1 {
		t.Errorf("keys page after rotation:\n%s", body)
	}
	evs := s.eventsOf(t, "admin.key_rotated")
	if len(evs) != 1 || evs[0].AccountID != s.root.ID || !strings.Contains(evs[0].Detail, newKey.ID) {
		t.Errorf("rotation audit = %+v", evs)
	}
}

// signingKid is the kid of a fresh first-party access token (ES256 by
// default).
func signingKid(t *testing.T, ts *testServer, alg string) string {
	tok, _ := login(t, ts, "root", "root password")
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	require.NoError(t, err)
	require.Equal(t, alg, parsed.Header["alg"])
	return parsed.Header["kid"].(string)
}
