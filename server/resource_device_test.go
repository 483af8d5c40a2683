package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
)

// The device flow names its API at the start; the confirmation page shows
// the API's scopes, and the token is for the API.
func TestResourceDevice(t *testing.T) {
	ts := startServer(t, mockOnly)
	addAPI(t, ts, thingsAPI, apiScope("read:things"))
	conf := newApp(t, ts, apps.Spec{Name: "TV App", Public: true, GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"},
		Scopes: []string{"openid", "profile"}, RedirectURIs: []string{}})
	conf.Endpoint.DeviceAuthURL = ts.URL + "/oauth2/device_authorization"
	conf.Scopes = []string{"openid", "read:things"}
	ctx := context.Background()
	_, err := conf.DeviceAuth(ctx, oauth2.SetAuthURLParam("resource", "https://nope.example"))
	wantRetrieve(t, "an unknown resource", err, "invalid_target")
	da, err := conf.DeviceAuth(ctx, oauth2.SetAuthURLParam("resource", thingsAPI))
	require.NoError(t, err)

	b := signedInAgent(t, ts)
	_, page := get(t, b, ts.URL+"/device?user_code="+url.QueryEscape(da.UserCode))
	resp, body := postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrfFrom(t, page)}, "user_code": {da.UserCode}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Things: Use read:things", "the confirmation names the API's scope")
	require.True(t, strings.Contains(decide(t, ts, b, da.UserCode, "approve"), "being signed in"))

	ts.Clock.Add(6 * time.Second)
	resp, m := devicePoll(t, ts, conf.ClientID, da.DeviceCode)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	at := jwtClaims(t, m["access_token"].(string))
	require.Equal(t, []any{thingsAPI}, at["aud"])
	require.Equal(t, "read:things", at["scope"])

	// Polling for another resource is refused (and, as with a code, the
	// device code is spent).
	da, err = conf.DeviceAuth(ctx, oauth2.SetAuthURLParam("resource", thingsAPI))
	require.NoError(t, err)
	decide(t, ts, b, da.UserCode, "approve")
	ts.Clock.Add(6 * time.Second)
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode},
		"client_id": {conf.ClientID}, "resource": {"https://other.example"}}
	resp, m = tokenCall(t, ts, form, "", "")
	wantOAuthErr(t, "polling for another resource", resp, m, http.StatusBadRequest, "invalid_target")
}
