package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// bcApp is an app's back-channel logout endpoint that fails its first
// `fail` calls with 500 and hands every later logout token to tokens.
type bcApp struct {
	*httptest.Server
	mu     sync.Mutex
	calls  int
	fail   int
	tokens chan string
}

func newBCApp(t *testing.T, fail int) *bcApp {
	a := &bcApp{fail: fail, tokens: make(chan string, 8)}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.calls++
		n := a.calls
		a.mu.Unlock()
		if n <= a.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		a.tokens <- r.FormValue("logout_token")
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *bcApp) next(t *testing.T) string {
	t.Helper()
	select {
	case tok := <-a.tokens:
		return tok
	case <-time.After(10 * time.Second): // a bound on a hang, not synchronisation
		t.Fatal("no logout token arrived")
		return ""
	}
}

// Signing out (POST /logout) sends each app the session signed into a
// logout token: signed with our keys (go-oidc verifies it), typ
// logout+jwt, the session's sid, the event, and no nonce. The app's
// endpoint fails twice first; the third try delivers.
func TestBackchannelLogout(t *testing.T) {
	ts := startServer(t, mockOnly)
	app := newBCApp(t, 2)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}, BackchannelLogoutURI: app.URL + "/bc"})
	b := signedInAgent(t, ts)
	_, sid := signInApp(t, ts, b, conf)
	require.NotEmpty(t, sid)

	_, page := get(t, b, ts.URL+"/account")
	resp, _ := postForm(t, b, ts.URL+"/logout", url.Values{"_csrf": {csrfFrom(t, page)}})
	require.Equal(t, "/login", resp.Request.URL.Path)
	raw := app.next(t)
	checkLogoutToken(t, ts, raw, conf.ClientID, sid)
	app.mu.Lock()
	calls := app.calls
	app.mu.Unlock()
	if calls != 3 {
		t.Errorf("the app was called %d times, want 3 (two failures, then delivery)", calls)
	}
}

// checkLogoutToken verifies raw with the server's published keys and
// checks every claim Back-Channel Logout 1.0 §2.4 names.
func checkLogoutToken(t *testing.T, ts *testServer, raw, clientID, sid string) {
	t.Helper()
	ctx := context.Background()
	payload, err := oidc.NewRemoteKeySet(ctx, ts.URL+"/oauth2/jwks").VerifySignature(ctx, raw)
	require.NoError(t, err)
	var hdr struct {
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(h, &hdr))
	if hdr.Typ != "logout+jwt" || hdr.Kid == "" {
		t.Errorf("header = %+v, want typ logout+jwt with a kid", hdr)
	}
	var c map[string]any
	require.NoError(t, json.Unmarshal(payload, &c))
	now := ts.Clock.Now().Unix()
	if c["iss"] != ts.URL || c["aud"] != clientID || c["sid"] != sid || c["sub"] == "" || c["jti"] == "" {
		t.Errorf("claims = %v", c)
	}
	if iat, exp := c["iat"].(float64), c["exp"].(float64); int64(iat) != now || int64(exp) != now+120 {
		t.Errorf("iat %v exp %v, want %d and two minutes later", iat, exp, now)
	}
	events, _ := c["events"].(map[string]any)
	if ev, ok := events["http://schemas.openid.net/event/backchannel-logout"].(map[string]any); !ok || len(ev) != 0 {
		t.Errorf("events = %v", c["events"])
	}
	if _, ok := c["nonce"]; ok {
		t.Error("a logout token must not carry a nonce")
	}
}

// Disabling an account ends its sessions and tells their apps.
func TestBackchannelOnAccountDisabled(t *testing.T) {
	s := newAdminSetup(t)
	app := newBCApp(t, 0)
	conf := newApp(t, s.testServer, apps.Spec{Scopes: []string{"openid"}, BackchannelLogoutURI: app.URL + "/bc"})
	alice, _ := signIn(t, s.testServer, "alice", "alice password")
	alice.CheckRedirect = agent(t).CheckRedirect // stop at the app's redirect URI
	_, sid := signInApp(t, s.testServer, alice, conf)
	admin, csrf := signIn(t, s.testServer, "root", "root password")
	resp, body := postForm(t, admin, s.URL+"/admin/users/"+s.alice.ID+"/disable", url.Values{"_csrf": {csrf}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	checkLogoutToken(t, s.testServer, app.next(t), conf.ClientID, sid)
}
