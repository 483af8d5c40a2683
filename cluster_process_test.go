package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/seal"
	"gatehouse/store/pgtest"
)

// TestMain lets the test binary act as the gatehouse command, so the
// cluster test can start real server processes without building anything.
func TestMain(m *testing.M) {
	if args := os.Getenv("GATEHOUSE_TEST_MAIN"); args != "" {
		os.Exit(run(context.Background(), strings.Fields(args), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startProcess runs `gatehouse --config cfg serve` listening on addr (with
// extra environment variables) and returns once it logs that it listens.
func startProcess(t *testing.T, cfg, addr string, env ...string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GATEHOUSE_TEST_MAIN=--config "+cfg+" serve", "GATEHOUSE_LISTEN="+addr)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "gatehouse listening") {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return
		}
	}
	t.Fatalf("server on %s exited before listening", addr)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenFields GETs a page with c and returns its forms' hidden fields
// (the CSRF token among them).
func hiddenFields(t *testing.T, c *http.Client, u string) url.Values {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	return hiddenFieldsOf(resp)
}

// hiddenFieldsOf reads resp's page and returns its hidden fields.
func hiddenFieldsOf(resp *http.Response) url.Values {
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(page), -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	return f
}

// TestTwoProcessesOnPostgres runs two gatehouse processes on one
// PostgreSQL database, as behind a load balancer.
func TestTwoProcessesOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := freePort(t), freePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gatehouse.yaml")
	body := "issuer: http://" + a + "\ndev: true\nmaster_key: " + base64.StdEncoding.EncodeToString(seal.GenerateKey()) +
		"\ndatabase:\n  driver: postgres\n  dsn: \"" + dsn + "\"\ntokens:\n  key_rotation: 0s\n  key_cache_ttl: 1s\n" +
		"login:\n  password_attempts: 3\n" +
		"providers:\n  - name: mock\n    type: mock\n"
	require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Wiki", "--redirect-uri", "http://127.0.0.1:1/cb",
		"--scope", "profile", "--scope", "offline_access")
	require.Equal(t, 0, code, errs)
	var app struct{ ClientID, ClientSecret string }
	require.NoError(t, json.Unmarshal([]byte(strings.NewReplacer("client_id", "ClientID", "client_secret", "ClientSecret").Replace(out)), &app))
	pprofAddr := freePort(t)
	startProcess(t, cfg, a, "GATEHOUSE_HTTP_PPROF_LISTEN="+pprofAddr)
	startProcess(t, cfg, b)

	// Sign in and authorize at A.
	jar, _ := cookiejar.New(nil)
	br := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Host == "127.0.0.1:1" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := br.Get("http://" + a + "/login/mock")
	require.NoError(t, err)
	resp.Body.Close()
	q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {"profile offline_access"}, "state": {"s"}}
	form := hiddenFields(t, br, "http://"+a+"/oauth2/authorize?"+q.Encode())
	form.Set("decision", "approve")
	resp, err = br.PostForm("http://"+a+"/consent", form)
	require.NoError(t, err)
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	authCode := loc.Query().Get("code")
	require.NotEmpty(t, authCode, "no code: %d %s", resp.StatusCode, resp.Header.Get("Location"))

	token := func(host string, form url.Values) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+host+"/oauth2/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(app.ClientID, app.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	// The code issued by process A is redeemed at process B.
	status, m := token(b, url.Values{"grant_type": {"authorization_code"}, "code": {authCode}, "redirect_uri": {"http://127.0.0.1:1/cb"}})
	require.Equal(t, http.StatusOK, status, m)
	rt := m["refresh_token"].(string)

	// One refresh token presented at both processes at once: both get the
	// same successor (grace), which keeps working; nothing forks.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, successors := 0, map[string]bool{}
	for _, host := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, m := token(host, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			mu.Lock()
			defer mu.Unlock()
			if status == http.StatusOK {
				wins++
				s, _ := m["refresh_token"].(string)
				successors[s] = true
			}
		}()
	}
	wg.Wait()
	if wins != 2 || len(successors) != 1 {
		t.Fatalf("two concurrent refreshes: %d answered, %d successors; want 2 and 1", wins, len(successors))
	}
	for s := range successors {
		if status, m := token(a, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s}}); status != http.StatusOK {
			t.Errorf("the successor does not work: %d %v", status, m)
		}
	}

	// The device flow spans instances: started at A, approved in the browser
	// at B (whose session is the one made at A), redeemed at A.
	code, out, errs = gh(t, cfg, "", "apps", "create", "--name", "TV", "--public",
		"--grant", "urn:ietf:params:oauth:grant-type:device_code", "--scope", "profile")
	require.Equal(t, 0, code, errs)
	var tv struct {
		ClientID string `json:"client_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &tv))
	resp, err = http.PostForm("http://"+a+"/oauth2/device_authorization", url.Values{"client_id": {tv.ClientID}, "scope": {"profile"}})
	require.NoError(t, err)
	var da struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&da))
	resp.Body.Close()
	require.NotEmpty(t, da.UserCode)
	enter := hiddenFields(t, br, "http://"+b+"/device")
	enter.Set("user_code", da.UserCode)
	resp, err = br.PostForm("http://"+b+"/device", enter)
	require.NoError(t, err)
	decide := hiddenFieldsOf(resp)
	decide.Set("decision", "approve")
	resp, err = br.PostForm("http://"+b+"/device", decide)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.PostForm("http://"+a+"/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {da.DeviceCode}, "client_id": {tv.ClientID}})
	require.NoError(t, err)
	var dt map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&dt)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || dt["access_token"] == nil {
		t.Errorf("device code approved at B, redeemed at A: %d %v", resp.StatusCode, dt)
	}

	// Password attempts count across instances (login.password_attempts 3):
	// two failures at A and one at B exhaust the budget, so even the right
	// password is refused at B, which alone saw only one attempt.
	code, _, errs = gh(t, cfg, "victim password 1\n", "users", "create", "--username", "victim", "--password-stdin")
	require.Equal(t, 0, code, errs)
	tokenAuth := func(host, pw string) int {
		resp, err := http.Post("http://"+host+"/api/token-auth/", "application/json",
			strings.NewReader(`{"username":"victim","password":"`+pw+`"}`))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, host := range []string{a, a, b} {
		require.Equal(t, http.StatusBadRequest, tokenAuth(host, "wrong"))
	}
	if got := tokenAuth(b, "victim password 1"); got != http.StatusTooManyRequests {
		t.Errorf("fourth attempt (right password) at B = %d, want 429: the counter is not shared", got)
	}

	// A key rotated at one instance (by an administrator on A's /admin/keys)
	// is in the other's JWKS within tokens.key_cache_ttl (1s here). B's key
	// cache is warm before the rotation.
	jwks := func(host string) string {
		resp, err := http.Get("http://" + host + "/oauth2/jwks")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	before := jwks(b)
	code, _, errs = gh(t, cfg, "root password 123\n", "users", "create", "--username", "root", "--password-stdin", "--admin")
	require.Equal(t, 0, code, errs)
	ops, _ := cookiejar.New(nil)
	op := &http.Client{Jar: ops, Timeout: 10 * time.Second}
	login := hiddenFields(t, op, "http://"+a+"/login")
	login.Set("username", "root")
	login.Set("password", "root password 123")
	resp, err = op.PostForm("http://"+a+"/login", login)
	require.NoError(t, err)
	resp.Body.Close()
	rotate := hiddenFields(t, op, "http://"+a+"/admin/keys")
	rotate.Set("alg", "ES256")
	resp, err = op.PostForm("http://"+a+"/admin/keys/rotate", rotate)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "/admin/keys", resp.Request.URL.Path, "rotation at A answered %d", resp.StatusCode)
	var newKid string
	var set struct{ Keys []struct{ Kid string } }
	require.NoError(t, json.Unmarshal([]byte(jwks(a)), &set))
	for _, k := range set.Keys {
		if !strings.Contains(before, k.Kid) {
			newKid = k.Kid
		}
	}
	require.NotEmpty(t, newKid, "A's JWKS has no new key after its rotation")
	rotatedAt := time.Now()
	// B's cache expires on its own clock, so this polls (a timer in another
	// process is nothing a test can hook into).
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(jwks(b), newKid) {
		if time.Since(rotatedAt) > 5*time.Second {
			t.Fatalf("B's JWKS lacks the key rotated at A (%s) after %s (key_cache_ttl 1s)", newKid, time.Since(rotatedAt))
		}
		<-tick.C
	}

	// pprof is served on A's loopback pprof address only, never on the public listener.
	resp, err = http.Get("http://" + pprofAddr + "/debug/pprof/cmdline")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get("http://" + a + "/debug/pprof/cmdline")
	require.NoError(t, err)
	resp.Body.Close()
	require.NotEqual(t, http.StatusOK, resp.StatusCode)
}
