package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

func devicePoll(t *testing.T, ts *testServer, clientID, code string) (*http.Response, map[string]any) {
	return tokenCall(t, ts, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {code}, "client_id": {clientID}}, "", "")
}

// decide enters the user code on /device and answers.
func decide(t *testing.T, ts *testServer, b *http.Client, userCode, decision string) string {
	_, page := get(t, b, ts.URL+"/device?user_code="+url.QueryEscape(userCode))
	csrf := csrfFrom(t, page)
	resp, body := postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrf}, "user_code": {strings.ToLower(userCode)}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if !strings.Contains(body, "TV App") {
		t.Fatalf("confirmation does not name the app:\n%s", body)
	}
	_, body = postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrf}, "user_code": {userCode}, "decision": {decision}})
	return body
}

func TestDeviceFlow(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Name: "TV App", Public: true, GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
		Scopes: []string{"openid", "profile", "offline_access"}, RedirectURIs: []string{}})
	conf.Endpoint.DeviceAuthURL = ts.URL + "/oauth2/device_authorization"
	conf.Scopes = []string{"openid", "profile", "offline_access"}
	da, err := conf.DeviceAuth(context.Background())
	require.NoError(t, err)
	if da.VerificationURI != ts.URL+"/device" || len(da.UserCode) != 9 || da.Interval != 5 {
		t.Fatalf("device auth = %+v", da)
	}

	resp, m := devicePoll(t, ts, conf.ClientID, da.DeviceCode)
	wantOAuthErr(t, "before approval", resp, m, http.StatusBadRequest, "authorization_pending")
	resp, m = devicePoll(t, ts, conf.ClientID, da.DeviceCode)
	wantOAuthErr(t, "polled too fast", resp, m, http.StatusBadRequest, "slow_down")

	b := signedInAgent(t, ts)
	if body := decide(t, ts, b, da.UserCode, "approve"); !strings.Contains(body, "being signed in") {
		t.Errorf("after approve:\n%s", body)
	}
	ts.Clock.Add(6 * time.Second)
	resp, m = devicePoll(t, ts, conf.ClientID, da.DeviceCode)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	if m["access_token"] == "" || m["id_token"] == nil || m["refresh_token"] == nil {
		t.Errorf("device tokens = %v", m)
	}
	ts.Clock.Add(6 * time.Second)
	resp, m = devicePoll(t, ts, conf.ClientID, da.DeviceCode)
	wantOAuthErr(t, "used twice", resp, m, http.StatusBadRequest, "invalid_grant")

	// Denied, and expired.
	da2, err := conf.DeviceAuth(context.Background())
	require.NoError(t, err)
	decide(t, ts, b, da2.UserCode, "deny")
	resp, m = devicePoll(t, ts, conf.ClientID, da2.DeviceCode)
	wantOAuthErr(t, "denied", resp, m, http.StatusBadRequest, "access_denied") // RFC 6749 §5.2: token errors are 400
	da3, err := conf.DeviceAuth(context.Background())
	require.NoError(t, err)
	ts.Clock.Add(11 * time.Minute)
	resp, m = devicePoll(t, ts, conf.ClientID, da3.DeviceCode)
	wantOAuthErr(t, "expired", resp, m, http.StatusBadRequest, "expired_token")
	// Wrong codes on the page.
	_, page := get(t, b, ts.URL+"/device")
	resp, body := postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrfFrom(t, page)}, "user_code": {"ZZZZ-ZZZZ"}})
	expectPage(t, resp, body, http.StatusBadRequest, "unknown or expired")
	resp, m = devicePoll(t, ts, conf.ClientID, "made-up")
	wantOAuthErr(t, "unknown device code", resp, m, http.StatusBadRequest, "invalid_grant")
}

func TestBrowserDevicePage(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Name: "TV App", Public: true, GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"},
		Scopes: []string{"profile"}, RedirectURIs: []string{}})
	conf.Endpoint.DeviceAuthURL = ts.URL + "/oauth2/device_authorization"
	da, err := conf.DeviceAuth(context.Background())
	require.NoError(t, err)
	s := step(t, newBrowser(t))
	browserSignIn(t, s, ts)
	require.NoError(t, chromedp.Do(s, chromedp.Navigate(ts.URL+"/device"), chromedp.SendKeys(chromedp.CSS(`#user_code`), strings.ToLower(da.UserCode))))
	if _, err := chromedp.RunResponse(s, chromedp.Submit(chromedp.CSS(`#user_code`))); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#user-code`)))
	require.NoError(t, err)
	if shown != da.UserCode {
		t.Errorf("confirmation shows %q, want %q", shown, da.UserCode)
	}
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`button[value=approve]`))); err != nil {
		t.Fatal(err)
	}
	ts.Clock.Add(6 * time.Second)
	resp, m := devicePoll(t, ts, conf.ClientID, da.DeviceCode)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("poll after browser approval: %d %v", resp.StatusCode, m)
	}
}
