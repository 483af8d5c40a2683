package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/resource"
	"gatehouse/server/apps"
)

// apiBehind is a handler protected by the resource middleware for
// identifier, trusting ts.
func apiBehind(t *testing.T, ts *testServer, identifier string, scopes ...string) *httptest.Server {
	v, err := resource.NewVerifier(context.Background(), resource.Config{Issuer: ts.URL, Identifier: identifier, Now: ts.Clock.Now})
	require.NoError(t, err)
	h := v.Middleware(scopes...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := resource.ClaimsFrom(r.Context())
		_, _ = w.Write([]byte(c.ClientID))
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func callAPI(t *testing.T, srv *httptest.Server, token string) int {
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// Gatehouse's tokens pass the resource middleware of the API they are for
// and no other: the audience is what keeps one API's token from another.
func TestResourceMiddlewareWithGatehouse(t *testing.T) {
	ts := startServer(t, mockOnly)
	addAPI(t, ts, thingsAPI, apiScope("read:things"))
	addAPI(t, ts, otherAPI, apiScope("read:things"))
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	token := func(form url.Values) string {
		form.Set("grant_type", "client_credentials")
		resp, m := tokenCall(t, ts, form, svc.ClientID, svc.ClientSecret)
		require.Equal(t, http.StatusOK, resp.StatusCode, m)
		return m["access_token"].(string)
	}
	things := apiBehind(t, ts, thingsAPI, "read:things")
	other := apiBehind(t, ts, otherAPI)

	forThings := token(url.Values{"resource": {thingsAPI}, "scope": {"read:things"}})
	require.Equal(t, http.StatusOK, callAPI(t, things, forThings))
	require.Equal(t, http.StatusUnauthorized, callAPI(t, other, forThings), "another API refuses it")
	require.Equal(t, http.StatusUnauthorized, callAPI(t, things, token(url.Values{"scope": {"profile"}})), "a token without resource")
	require.Equal(t, http.StatusForbidden, callAPI(t, things, token(url.Values{"resource": {thingsAPI}})), "a token without the scope")
}
