package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/store/gormstore"
)

const limitsRegToken = "limits-registration-token-0123456789abcdef"

// limitsYAML sets every per-address limit to 3 per 10 minutes and trusts
// the loopback proxy, so X-Forwarded-For names the client address.
const limitsYAML = mockOnly + `limits:
  login_start: {requests: 3, window: 10m}
  authorize: {requests: 3, window: 10m}
  device_authorization: {requests: 3, window: 10m}
  device_entry: {requests: 3, window: 10m}
  registration: {requests: 3, window: 10m}
http:
  trusted_proxies: ["127.0.0.0/8"]
apps:
  registration_token: ` + limitsRegToken + "\n"

// rows counts a table's rows in the test server's store.
func rows(t *testing.T, ts *testServer, table string) int64 {
	t.Helper()
	n, err := ts.Store.(*gormstore.Store).CountRows(context.Background(), table)
	require.NoError(t, err)
	return n
}

// send makes one request from client address ip (X-Forwarded-For through
// the trusted loopback proxy; "" is 127.0.0.1), without following
// redirects, and returns the answer with its body.
func send(t *testing.T, method, u, ip string, body io.Reader, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// wantTooMany checks a refusal: 429 and a Retry-After of whole seconds
// within the window (at most an hour here).
func wantTooMany(t *testing.T, what string, resp *http.Response, body string) {
	t.Helper()
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 3600 {
		t.Errorf("%s: got %d, Retry-After %q, want 429 with Retry-After in 1..3600:\n%s", what, resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

// wantJSONError checks a JSON body's "error" member.
func wantJSONError(t *testing.T, what, body, code string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || m["error"] == nil || (code != "" && m["error"] != code) {
		t.Errorf("%s: body %q, want a JSON error %q", what, body, code)
	}
}

// Sign-in starts (pages and the login API share one budget) stop writing
// pending rows at the limit, per address, until the window ends.
func TestLoginStartLimited(t *testing.T) {
	ts := startServer(t, limitsYAML)
	for i := range 3 {
		resp, body := send(t, http.MethodGet, ts.URL+"/login/mock", "", nil, nil)
		require.Equal(t, http.StatusFound, resp.StatusCode, "start %d: %s", i+1, body)
	}
	resp, body := send(t, http.MethodGet, ts.URL+"/login/mock", "", nil, nil)
	wantTooMany(t, "4th /login/mock", resp, body)
	expectPage(t, resp, body, http.StatusTooManyRequests, "Too many sign-in attempts")
	resp, body = send(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/authorize?provider=mock", "", nil, nil)
	wantTooMany(t, "login API web authorize", resp, body)
	wantJSONError(t, "login API web authorize", body, "")
	resp, body = send(t, http.MethodPost, ts.URL+"/v1/login/oauth2/device/start?provider=mock", "", nil, nil)
	wantTooMany(t, "login API device start", resp, body)
	wantJSONError(t, "login API device start", body, "")
	if n, m := rows(t, ts, "pending_logins"), rows(t, ts, "login_states"); n != 3 || m != 0 {
		t.Errorf("%d pending logins and %d login states after the limit, want 3 and 0", n, m)
	}

	// Another address has its own budget; the next window starts afresh.
	resp, body = send(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/authorize?provider=mock", "192.0.2.9", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	ts.Clock.Add(10 * time.Minute)
	resp, body = send(t, http.MethodGet, ts.URL+"/login/mock", "", nil, nil)
	require.Equal(t, http.StatusFound, resp.StatusCode, body)
}

// Authorization requests that must wait for sign-in write a pending row
// each: at the limit they are refused with a page and write nothing.
func TestAuthorizePendingLimited(t *testing.T) {
	ts := startServer(t, limitsYAML)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	authURL := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	for i := range 3 {
		resp, body := send(t, http.MethodGet, authURL, "", nil, nil)
		require.Equal(t, http.StatusFound, resp.StatusCode, "request %d: %s", i+1, body)
	}
	resp, body := send(t, http.MethodGet, authURL, "", nil, nil)
	wantTooMany(t, "4th authorization request", resp, body)
	expectPage(t, resp, body, http.StatusTooManyRequests, "Too many")
	if n := rows(t, ts, "auth_requests"); n != 3 {
		t.Errorf("%d pending authorization requests, want 3", n)
	}
}

// Device authorization needs no secret for a public app: at the limit it
// answers the OAuth JSON error with 429 and writes no device code.
func TestDeviceAuthorizationLimited(t *testing.T) {
	ts := startServer(t, limitsYAML)
	conf := newApp(t, ts, apps.Spec{Name: "TV App", Public: true, GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"},
		Scopes: []string{"openid"}, RedirectURIs: []string{}})
	form := url.Values{"client_id": {conf.ClientID}, "scope": {"openid"}}.Encode()
	ct := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for i := range 3 {
		resp, body := send(t, http.MethodPost, ts.URL+"/oauth2/device_authorization", "", strings.NewReader(form), ct)
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d: %s", i+1, body)
	}
	resp, body := send(t, http.MethodPost, ts.URL+"/oauth2/device_authorization", "", strings.NewReader(form), ct)
	wantTooMany(t, "4th device authorization", resp, body)
	wantJSONError(t, "4th device authorization", body, "slow_down")
	if n := rows(t, ts, "device_codes"); n != 3 {
		t.Errorf("%d device codes, want 3", n)
	}
}

// User-code guesses on /device are limited per address.
func TestDeviceEntryLimited(t *testing.T) {
	ts := startServer(t, limitsYAML)
	b := signedInAgent(t, ts)
	_, page := get(t, b, ts.URL+"/device")
	csrf := csrfFrom(t, page)
	for i := range 3 {
		resp, body := postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrf}, "user_code": {"BCDF-GHJ" + string(rune('K'+i))}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "guess %d: %s", i+1, body)
	}
	resp, body := postForm(t, b, ts.URL+"/device", url.Values{"_csrf": {csrf}, "user_code": {"BCDF-GHJP"}})
	wantTooMany(t, "4th guess", resp, body)
	expectPage(t, resp, body, http.StatusTooManyRequests, "Too many")
}

// Dynamic registration is limited per address, before the token check.
func TestRegistrationLimited(t *testing.T) {
	ts := startServer(t, limitsYAML)
	before := rows(t, ts, "clients")
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + limitsRegToken}}
	md := `{"client_name":"x","redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code"],"scope":"openid"}`
	for i := range 3 {
		resp, body := send(t, http.MethodPost, ts.URL+"/oauth2/register", "", strings.NewReader(md), h)
		require.Equal(t, http.StatusCreated, resp.StatusCode, "registration %d: %s", i+1, body)
	}
	resp, body := send(t, http.MethodPost, ts.URL+"/oauth2/register", "", strings.NewReader(md), h)
	wantTooMany(t, "4th registration", resp, body)
	wantJSONError(t, "4th registration", body, "slow_down")
	if n := rows(t, ts, "clients") - before; n != 3 {
		t.Errorf("%d clients registered, want 3", n)
	}
}

func tokenAuthFrom(t *testing.T, ts *testServer, ip, username, pw string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": username, "password": pw})
	resp, _ := send(t, http.MethodPost, ts.URL+"/api/token-auth/", ip, strings.NewReader(string(b)), http.Header{"Content-Type": {"application/json"}})
	return resp.StatusCode
}

const passwordLimitsYAML = mockOnly + "login:\n  password_attempts: 3\n  password_window: 15m\nhttp:\n  trusted_proxies: [\"127.0.0.0/8\"]\n"

// An attacker hammering a username from one address is stopped, and the
// owner, from another address, still signs in.
func TestPasswordOwnerNotLockedOut(t *testing.T) {
	ts := startServer(t, passwordLimitsYAML)
	addUser(t, ts, "alice", "correct horse")
	for range 20 {
		tokenAuthFrom(t, ts, "198.51.100.66", "alice", "guess")
	}
	if got := tokenAuthFrom(t, ts, "198.51.100.66", "alice", "correct horse"); got != http.StatusTooManyRequests {
		t.Errorf("attacker's address after 20 guesses: %d, want 429", got)
	}
	if got := tokenAuthFrom(t, ts, "192.0.2.10", "alice", "correct horse"); got != http.StatusOK {
		t.Errorf("owner from another address: %d, want 200", got)
	}
}

// Past its address limit, an attacker spraying usernames writes no more
// counter rows: the address is checked first.
func TestPasswordIPLimitWritesNoUserRows(t *testing.T) {
	ts := startServer(t, passwordLimitsYAML)
	ip := "198.51.100.77"
	for i := range 15 { // the address limit: five times password_attempts
		tokenAuthFrom(t, ts, ip, "user"+strconv.Itoa(i), "guess")
	}
	before := rows(t, ts, "rate_counters")
	for i := range 50 {
		if got := tokenAuthFrom(t, ts, ip, "other"+strconv.Itoa(i), "guess"); got != http.StatusTooManyRequests {
			t.Fatalf("guess %d over the address limit: %d, want 429", i, got)
		}
	}
	if after := rows(t, ts, "rate_counters"); after != before {
		t.Errorf("refused attempts wrote %d counter rows", after-before)
	}
}

// Every password endpoint past its limit says when to come back.
func TestPasswordLimitRetryAfter(t *testing.T) {
	ts := startServer(t, passwordLimitsYAML)
	addUser(t, ts, "alice", "correct horse")
	conf := newApp(t, ts, apps.Spec{GrantTypes: []string{"password"}, Scopes: []string{"openid"}})
	for range 3 {
		tokenAuthFrom(t, ts, "", "alice", "guess")
	}
	b, _ := json.Marshal(map[string]string{"username": "alice", "password": "guess"})
	resp, body := send(t, http.MethodPost, ts.URL+"/api/token-auth/", "", strings.NewReader(string(b)), http.Header{"Content-Type": {"application/json"}})
	wantTooMany(t, "token-auth", resp, body)

	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"guess"}, "scope": {"openid"}}
	req := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	req.Set("Authorization", "Basic "+basic(conf.ClientID, conf.ClientSecret))
	resp, body = send(t, http.MethodPost, ts.URL+"/oauth2/token", "", strings.NewReader(form.Encode()), req)
	wantTooMany(t, "password grant", resp, body)
	wantJSONError(t, "password grant", body, "slow_down")

	br := browser(t)
	_, page := get(t, br, ts.URL+"/login")
	resp, body = postForm(t, br, ts.URL+"/login", url.Values{"_csrf": {csrfFrom(t, page)}, "username": {"alice"}, "password": {"guess"}})
	wantTooMany(t, "password form", resp, body)
}

func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

// A refused sign-in callback writes an audit event: refusals count in the
// sign-in start budget, and past it nothing is written.
func TestLoginCallbackRefusalsLimited(t *testing.T) {
	ts := startServer(t, limitsYAML)
	for i := range 3 {
		resp, body := send(t, http.MethodGet, ts.URL+"/login/mock/callback?state=forged", "", nil, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "refusal %d: %s", i+1, body)
	}
	resp, body := send(t, http.MethodGet, ts.URL+"/login/mock/callback?state=forged", "", nil, nil)
	wantTooMany(t, "4th forged callback", resp, body)
	ts.gh.FlushAudit()
	if n := rows(t, ts, "audit_events"); n != 3 {
		t.Errorf("%d audit events after 4 forged callbacks, want 3", n)
	}
}

// An IPv6 client owns a whole /64: rotating addresses inside it does not
// escape the address limits.
func TestIPv6CountedPerPrefix(t *testing.T) {
	ts := startServer(t, passwordLimitsYAML+"limits:\n  login_start: {requests: 3, window: 10m}\n")
	for i := range 15 {
		tokenAuthFrom(t, ts, "2001:db8:1:2::"+strconv.FormatInt(int64(i+1), 16), "user"+strconv.Itoa(i), "guess")
	}
	if got := tokenAuthFrom(t, ts, "2001:db8:1:2::ffff", "someone", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("16th guess from the same /64: %d, want 429", got)
	}
	for i := range 3 {
		resp, body := send(t, http.MethodGet, ts.URL+"/login/mock", "2001:db8:1:2::"+strconv.Itoa(100+i), nil, nil)
		require.Equal(t, http.StatusFound, resp.StatusCode, body)
	}
	resp, body := send(t, http.MethodGet, ts.URL+"/login/mock", "2001:db8:1:2:ffff::1", nil, nil)
	wantTooMany(t, "4th sign-in start from the same /64", resp, body)
	if got := tokenAuthFrom(t, ts, "2001:db8:1:3::1", "someone", "guess"); got == http.StatusTooManyRequests {
		t.Error("another /64 shares the limit")
	}
}
