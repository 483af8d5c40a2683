package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// introspectAs posts an introspection request with Basic credentials.
func introspectAs(t *testing.T, ts *testServer, id, secret, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func TestIntrospectionByAPI(t *testing.T) {
	ts := startServer(t, mockOnly)
	thingsSecret := addAPI(t, ts, thingsAPI, apiScope("read:things"))
	otherSecret := addAPI(t, ts, otherAPI, apiScope("read:other"))
	svc := newApp(t, ts, apps.Spec{Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	token := func(form url.Values) string {
		form.Set("grant_type", "client_credentials")
		resp, m := tokenCall(t, ts, form, svc.ClientID, svc.ClientSecret)
		require.Equal(t, http.StatusOK, resp.StatusCode, m)
		return m["access_token"].(string)
	}
	forThings := token(url.Values{"resource": {thingsAPI}, "scope": {"read:things"}})
	forOther := token(url.Values{"resource": {otherAPI}, "scope": {"read:other"}})
	forApp := token(url.Values{"scope": {"profile"}})

	status, m := introspectAs(t, ts, thingsAPI, thingsSecret, forThings)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, m["active"], m)
	require.Equal(t, "read:things", m["scope"])
	require.Equal(t, svc.ClientID, m["client_id"])
	for what, tok := range map[string]string{"another API's token": forOther, "the app's own token": forApp} {
		_, m = introspectAs(t, ts, thingsAPI, thingsSecret, tok)
		require.Equal(t, map[string]any{"active": false}, m, what)
	}
	status, m = introspectAs(t, ts, thingsAPI, otherSecret, forThings)
	require.Equal(t, http.StatusUnauthorized, status, "another API's secret")
	require.Equal(t, "invalid_client", m["error"])

	// Once the app is deleted its tokens are inactive for the API too
	// (deleted behind the server's back: seen once the client cache lets go).
	require.NoError(t, ts.Store.DeleteClient(context.Background(), svc.ClientID, ts.Clock.Now()))
	ts.Clock.Add(11 * time.Second)
	_, m = introspectAs(t, ts, thingsAPI, thingsSecret, forThings)
	require.Equal(t, false, m["active"], "a deleted app's token")
}
