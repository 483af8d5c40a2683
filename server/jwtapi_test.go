package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"gatehouse/server/password"
	"gatehouse/store"
)

func addUser(t testing.TB, ts *testServer, username, pw string) store.Account {
	a := store.Account{ID: store.NewID(), Username: username, Email: username + "@example.test", Name: "Full Name",
		GivenName: "Full", FamilyName: "Name", CreatedAt: ts.Clock.Now(), UpdatedAt: ts.Clock.Now()}
	if pw != "" {
		h, err := password.Hash(pw)
		require.NoError(t, err)
		a.PasswordHash = h
	}
	require.NoError(t, ts.Store.CreateAccount(context.Background(), &a))
	return a
}

// call sends a request and decodes a JSON answer.
func call(t *testing.T, method, u, contentType string, body io.Reader, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: %d, body is not JSON: %q", method, u, resp.StatusCode, raw)
	}
	return resp, m
}

func postJSON(t *testing.T, u string, v any) (*http.Response, map[string]any) {
	b, _ := json.Marshal(v)
	return call(t, http.MethodPost, u, "application/json", bytes.NewReader(b), nil)
}

func TestTokenAuthBodies(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("username", "alice")
	_ = w.WriteField("password", "correct horse")
	_ = w.Close()
	bodies := []struct {
		name, ct string
		body     io.Reader
	}{
		{"json", "application/json", strings.NewReader(`{"username":"alice","password":"correct horse"}`)},
		{"urlencoded", "application/x-www-form-urlencoded", strings.NewReader("username=alice&password=correct+horse")},
		{"multipart", w.FormDataContentType(), &mp},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			resp, m := call(t, http.MethodPost, ts.URL+"/api/token-auth/", b.ct, b.body, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, m)
			if m["token"] == "" || m["refresh_token"] == "" || m["expires_in"] != float64(900) || m["token_type"] != "Bearer" {
				t.Errorf("answer = %v", m)
			}
		})
	}
}

func TestTokenAuthRefusals(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	addUser(t, ts, "nopass", "")
	same := []map[string]string{
		{"username": "alice", "password": "wrong"},
		{"username": "nobody", "password": "correct horse"},
		{"username": "nopass", "password": "anything"},
		{"username": strings.Repeat("a", 5000), "password": "x"},
	}
	var first string
	for _, in := range same {
		resp, m := postJSON(t, ts.URL+"/api/token-auth/", in)
		got := resp.Status + " " + m["error"].(string) + " " + m["error_description"].(string)
		if first == "" {
			first = got
		}
		if got != first || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%.20s: %q, want the same answer as the others (%q)", in["username"], got, first)
		}
	}
	bad := []struct{ name, ct, body, want string }{
		{"malformed json", "application/json", `{"username":`, "not a JSON object"},
		{"empty body", "application/json", ``, "not a JSON object"},
		{"array", "application/json", `[1,2]`, "not a JSON object"},
		{"number field", "application/json", `{"username":1,"password":"x"}`, "must be a string"},
		{"missing fields", "application/json", `{}`, "username, password"},
		{"wrong content type", "text/plain", `username=alice`, "Send JSON"},
	}
	for _, b := range bad {
		resp, m := call(t, http.MethodPost, ts.URL+"/api/token-auth/", b.ct, strings.NewReader(b.body), nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["error_description"].(string), b.want) {
			t.Errorf("%s: %d %v", b.name, resp.StatusCode, m)
		}
	}
}

func login(t *testing.T, ts *testServer, user, pw string) (token, refresh string) {
	resp, m := postJSON(t, ts.URL+"/api/token-auth/", map[string]string{"username": user, "password": pw})
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	return m["token"].(string), m["refresh_token"].(string)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	ts := startServer(t, mockOnly)
	alice := addUser(t, ts, "alice", "correct horse")
	_, rt1 := login(t, ts, "alice", "correct horse")
	resp, m := call(t, http.MethodPost, ts.URL+"/api/token-auth/refresh", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"refresh_token": {rt1}}.Encode()), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	rt2 := m["refresh_token"].(string)
	if rt2 == rt1 || m["token"] == "" {
		t.Fatalf("not rotated: %v", m)
	}
	// Reusing rt1 after the grace window fails and revokes rt2 too.
	ts.Clock.Add(11 * time.Second)
	resp, m = postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": rt1})
	if resp.StatusCode != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("reuse: %d %v", resp.StatusCode, m)
	}
	resp, _ = postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": rt2})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("newest token still works after reuse: %d", resp.StatusCode)
	}
	reused := false
	for _, ev := range ts.audit(t, alice.ID) {
		reused = reused || ev.Type == "oauth.refresh_reused"
	}
	if !reused {
		t.Errorf("no oauth.refresh_reused audit event")
	}
	resp, m = postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["error_description"].(string), "refresh_token") {
		t.Errorf("empty refresh: %d %v", resp.StatusCode, m)
	}
}

// okCount sends n requests at once and counts the 200 answers.
func okCount(n int, send func() (*http.Response, error)) int {
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := send(); err == nil {
				resp.Body.Close()
				codes <- resp.StatusCode
			}
		}()
	}
	wg.Wait()
	close(codes)
	wins := 0
	for c := range codes {
		if c == http.StatusOK {
			wins++
		}
	}
	return wins
}

func TestRefreshWithAccessToken(t *testing.T) {
	ts := startServer(t, mockOnly+"tokens:\n  refresh_idle_ttl: 30m\n  refresh_absolute_ttl: 1h\n")
	addUser(t, ts, "alice", "correct horse")
	cur, _ := login(t, ts, "alice", "correct horse")
	// Renewing with a still-valid token every 10 minutes works until the
	// sign-in is an hour old, and not after.
	for minute := 10; minute <= 60; minute += 10 {
		ts.Clock.Add(10 * time.Minute)
		resp, m := postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"token": cur})
		if minute < 60 {
			require.Equal(t, http.StatusOK, resp.StatusCode, "minute %d: %v", minute, m)
			if m["refresh_token"] != nil {
				t.Errorf("renewal by access token handed out a refresh token")
			}
			cur = m["token"].(string)
			continue
		}
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["error_description"].(string), "too old") {
			t.Errorf("past the absolute lifetime: %d %v", resp.StatusCode, m)
		}
	}
}

func me(t *testing.T, ts *testServer, auth string) (*http.Response, map[string]any) {
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return call(t, http.MethodGet, ts.URL+"/api/v1/users/me/", "", nil, h)
}

func TestUsersMe(t *testing.T) {
	ts := startServer(t, mockOnly)
	a := addUser(t, ts, "alice", "correct horse")
	tok, _ := login(t, ts, "alice", "correct horse")
	for _, scheme := range []string{"Bearer", "JWT", "bearer"} {
		resp, m := me(t, ts, scheme+" "+tok)
		require.Equal(t, http.StatusOK, resp.StatusCode, m)
		if m["id"] != a.ID || m["username"] != "alice" || m["fullName"] != "Full Name" || m["firstName"] != "Full" ||
			m["lastName"] != "Name" || m["email"] != "alice@example.test" {
			t.Errorf("%s: %v", scheme, m)
		}
		if _, ok := m["identities"].([]any); !ok {
			t.Errorf("identities missing: %v", m)
		}
	}

	other := startServer(t, mockOnly) // a different server: different keys
	addUser(t, other, "alice", "correct horse")
	foreign, _ := login(t, other, "alice", "correct horse")
	parts := strings.Split(tok, ".")
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(hdr, &h)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": ts.URL, "sub": a.ID, "aud": ts.URL, "exp": ts.Clock.Now().Add(time.Hour).Unix()})
	none.Header["kid"], none.Header["typ"] = h["kid"], "at+jwt"
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"someone-else"}`)) + "." + parts[2]

	bad := []struct{ name, auth, wantErr string }{
		{"no header", "", "unauthorized"},
		{"basic scheme", "Basic YWxpY2U6cHc=", "unauthorized"},
		{"two tokens", "Bearer " + tok + " " + tok, "unauthorized"},
		{"tampered", "Bearer " + tampered, "invalid_token"},
		{"other server's key", "Bearer " + foreign, "invalid_token"},
		{"alg none", "Bearer " + noneTok, "invalid_token"},
		{"garbage", "Bearer abc", "invalid_token"},
	}
	for _, b := range bad {
		resp, m := me(t, ts, b.auth)
		if resp.StatusCode != http.StatusUnauthorized || m["error"] != b.wantErr || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="gatehouse"`) {
			t.Errorf("%s: %d %v %q", b.name, resp.StatusCode, m, resp.Header.Get("WWW-Authenticate"))
		}
	}
	ts.Clock.Add(16 * time.Minute)
	if resp, m := me(t, ts, "Bearer "+tok); resp.StatusCode != http.StatusUnauthorized || m["error"] != "invalid_token" {
		t.Errorf("expired: %d %v", resp.StatusCode, m)
	}
}

// A first-party web app on Gatehouse's origin trades the browser session
// for tokens, with the page's CSRF token.
func TestSessionToken(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login/mock")
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/account/token", nil)
	resp, err := b.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("session token handed out without a CSRF token")
	}
	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/account/token", nil)
	req.Header.Set("X-CSRF-Token", csrfFrom(t, page))
	resp, err = b.Do(req)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	r, who := me(t, ts, "Bearer "+m["token"].(string))
	if r.StatusCode != http.StatusOK || who["username"] != "carol" {
		t.Errorf("users/me with the session token: %d %v", r.StatusCode, who)
	}
	r, m2 := postJSON(t, ts.URL+"/api/token-auth/refresh", map[string]string{"refresh_token": m["refresh_token"].(string)})
	if r.StatusCode != http.StatusOK || m2["token"] == "" {
		t.Errorf("refresh of the session's refresh token: %d %v", r.StatusCode, m2)
	}
}

func TestPasswordRateLimit(t *testing.T) {
	ts := startServer(t, mockOnly+"login:\n  password_attempts: 3\n  password_window: 15m\n")
	addUser(t, ts, "alice", "correct horse")
	for i := 0; i < 3; i++ {
		resp, _ := postJSON(t, ts.URL+"/api/token-auth/", map[string]string{"username": "alice", "password": "wrong"})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	}
	// Over the limit even the right password is refused, without a hash.
	resp, m := postJSON(t, ts.URL+"/api/token-auth/", map[string]string{"username": "ALICE", "password": "correct horse"})
	if resp.StatusCode != http.StatusTooManyRequests || m["error"] != "rate_limited" {
		t.Errorf("4th attempt: %d %v", resp.StatusCode, m)
	}
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login")
	r, body := postForm(t, b, ts.URL+"/login", url.Values{"_csrf": {csrfFrom(t, page)}, "username": {"alice"}, "password": {"correct horse"}})
	expectPage(t, r, body, http.StatusTooManyRequests, "Too many sign-in attempts")
	// The next window starts fresh.
	ts.Clock.Add(16 * time.Minute)
	resp, m = postJSON(t, ts.URL+"/api/token-auth/", map[string]string{"username": "alice", "password": "correct horse"})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the window: %d %v", resp.StatusCode, m)
	}
}
