package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var apiRoutes = []struct {
	method, path string
	form         url.Values
}{
	{http.MethodGet, "/admin/apis", nil},
	{http.MethodPost, "/admin/apis", url.Values{"identifier": {"https://evil.example"}}},
	{http.MethodPost, "/admin/apis/update", url.Values{"identifier": {thingsAPI}, "name": {"Evil"}}},
	{http.MethodPost, "/admin/apis/delete", url.Values{"identifier": {thingsAPI}}},
}

func TestAdminAPIsGuarded(t *testing.T) {
	s := newAdminSetup(t)
	addAPI(t, s.testServer, thingsAPI, apiScope("read:things"))
	anon := browser(t)
	_, page := get(t, anon, s.URL+"/login")
	anonCSRF := csrfFrom(t, page)
	alice, aliceCSRF := signIn(t, s.testServer, "alice", "alice password")
	root, _ := signIn(t, s.testServer, "root", "root password")
	try := func(b *http.Client, method, path string, form url.Values, csrf string) (*http.Response, string) {
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
	for _, r := range apiRoutes {
		resp, _ := try(noRedirects(anon), r.method, r.path, r.form, anonCSRF)
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login?return_to=") {
			t.Errorf("%s %s anonymous: %d, want a redirect to sign-in", r.method, r.path, resp.StatusCode)
		}
		resp, body := try(alice, r.method, r.path, r.form, aliceCSRF)
		expectPage(t, resp, body, http.StatusForbidden, "Only administrators")
		if r.method == http.MethodPost {
			resp, body = try(root, r.method, r.path, r.form, "")
			expectPage(t, resp, body, http.StatusBadRequest, "Request refused")
		}
	}
	list, err := s.Store.ListAPIs(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "Things", list[0].Name, "nothing changed")
}

var apiSecretRe = regexp.MustCompile(`<output id="api-secret">([^<]+)</output>`)

func TestAdminAPIs(t *testing.T) {
	s := newAdminSetup(t)
	b, csrf := signIn(t, s.testServer, "root", "root password")
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set("_csrf", csrf)
		return postForm(t, b, s.URL+path, form)
	}
	resp, body := post("/admin/apis", url.Values{"identifier": {thingsAPI}, "name": {"Things"},
		"scopes": {"read:things=Read your things\r\nwrite:things\r\n"}, "access_ttl": {"5m"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := apiSecretRe.FindStringSubmatch(body)
	require.NotNil(t, m, "the introspection secret is shown once:\n%s", body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	api, err := s.Store.GetAPI(context.Background(), thingsAPI)
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, api.AccessTTL)
	require.Len(t, api.Scopes, 2)
	require.Equal(t, "Read your things", api.Scopes[0].Description)
	_, body = get(t, b, s.URL+"/admin/apis")
	require.NotContains(t, body, m[1], "the secret is not shown again")

	for _, tt := range []struct {
		name, path string
		form       url.Values
		status     int
		text       string
	}{
		{"duplicate", "/admin/apis", url.Values{"identifier": {thingsAPI}}, http.StatusConflict, "exists already"},
		{"plain http", "/admin/apis", url.Values{"identifier": {"http://api.example"}}, http.StatusBadRequest, "must be https"},
		{"built-in scope", "/admin/apis", url.Values{"identifier": {otherAPI}, "scopes": {"openid"}}, http.StatusBadRequest, "a built-in scope"},
		{"bad TTL", "/admin/apis", url.Values{"identifier": {otherAPI}, "access_ttl": {"soon"}}, http.StatusBadRequest, "a duration"},
		{"update unknown", "/admin/apis/update", url.Values{"identifier": {otherAPI}}, http.StatusNotFound, "There is no API"},
		{"update bad scope", "/admin/apis/update", url.Values{"identifier": {thingsAPI}, "scopes": {"a b"}}, http.StatusBadRequest, `scope &#34;a b&#34;`},
		{"delete unknown", "/admin/apis/delete", url.Values{"identifier": {otherAPI}}, http.StatusNotFound, "There is no API"},
	} {
		resp, body := post(tt.path, tt.form)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.text) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tt.name, resp.StatusCode, tt.status, tt.text, body)
		}
	}

	resp, body = post("/admin/apis/update", url.Values{"identifier": {thingsAPI}, "name": {"Things v2"}, "scopes": {"admin=Everything"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "The API is saved")
	api, err = s.Store.GetAPI(context.Background(), thingsAPI)
	require.NoError(t, err)
	require.Equal(t, "Things v2", api.Name)
	require.Equal(t, time.Duration(0), api.AccessTTL)
	require.Equal(t, "admin", api.Scopes[0].Name)
	resp, body = post("/admin/apis/delete", url.Values{"identifier": {thingsAPI}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "The API is deleted")
	var types []string
	for _, e := range s.audit(t, "") {
		types = append(types, e.Type)
	}
	for _, want := range []string{"api.created", "api.updated", "api.deleted"} {
		require.Contains(t, types, want)
	}
}
