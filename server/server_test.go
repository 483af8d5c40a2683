package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server"
	"gatehouse/server/config"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testServer is a running Gatehouse on 127.0.0.1 with its store and clock.
type testServer struct {
	URL   string
	Store store.Store
	Clock *clock
	srv   *httptest.Server
	gh    *server.Server
}

// audit returns the stored audit events (after flushing the queue).
func (ts *testServer) audit(t *testing.T, accountID string) []store.AuditEvent {
	ts.gh.FlushAudit()
	evs, err := ts.Store.ListAudit(context.Background(), accountID, 1000)
	require.NoError(t, err)
	return evs
}

// startServer runs Gatehouse with the YAML config body (issuer and
// database are filled in) on a real SQLite file.
func startServer(t *testing.T, yamlBody string) *testServer { return startServerTB(t, yamlBody) }

// startServerB starts a quiet server for benchmarks.
func startServerB(b *testing.B) *testServer {
	return startServerTB(b, mockOnly+"log:\n  level: warn\n")
}

func startServerTB(t testing.TB, yamlBody string) *testServer {
	t.Helper()
	return startServerAt(t, "", yamlBody)
}

// startServerAt is startServer with the issuer given (as behind a TLS
// proxy); "" is the server's own http://127.0.0.1 URL.
func startServerAt(t testing.TB, issuer, yamlBody string) *testServer {
	t.Helper()
	return startServerWrapped(t, issuer, yamlBody, nil)
}

// startServerWrapped is startServerAt with the server's store seen through
// wrap (a test spy), unless nil; ts.Store is the store itself.
func startServerWrapped(t testing.TB, issuer, yamlBody string, wrap func(store.Store) store.Store) *testServer {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	if issuer == "" {
		issuer = base
	}
	dir := t.TempDir()
	cfgText := "issuer: " + issuer + "\ndev: true\nmaster_key_file: " + filepath.Join(dir, "key") + "\n" +
		"database:\n  driver: sqlite\n  dsn: " + filepath.Join(dir, "unused.db") + "\n" + yamlBody
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfgText), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	st := sqlitetest.Open(t)
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	var served store.Store = st
	if wrap != nil {
		served = wrap(st)
	}
	s, err := server.NewWithOptions(context.Background(), cfg, log, server.Options{Now: clk.Now, Store: served})
	require.NoError(t, err)
	hs.Config.Handler = s.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	t.Cleanup(func() { s.Close() })
	return &testServer{URL: base, Store: st, Clock: clk, srv: hs, gh: s}
}

// browser is an HTTP client with a cookie jar that follows redirects, like
// a user agent without JavaScript.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfFrom(t *testing.T, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	require.NotNil(t, m, "no CSRF field in page")
	return m[1]
}

const mockOnly = "providers:\n  - name: mock\n    type: mock\n    options:\n      username: carol\n      email: carol@example.test\n"

func TestMockSignInShowsAccount(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)

	resp, body := get(t, b, ts.URL+"/login")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if !strings.Contains(body, `href="/login/mock"`) {
		t.Fatalf("login page lists no mock provider:\n%s", body)
	}
	resp, body = get(t, b, ts.URL+"/login/mock")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	if resp.Request.URL.Path != "/account" || !strings.Contains(body, "carol") {
		t.Fatalf("after sign-in: at %s, body lacks username:\n%s", resp.Request.URL, body)
	}

	// A second sign-in reuses the account.
	get(t, b, ts.URL+"/login/mock")
	acct, err := ts.Store.GetAccountByUsername(context.Background(), "carol")
	require.NoError(t, err)
	ids, err := ts.Store.ListIdentities(context.Background(), acct.ID)
	require.NoError(t, err)
	if len(ids) != 1 {
		t.Errorf("identities = %d, want 1", len(ids))
	}

	// Sign out needs the CSRF token.
	resp, _ = postForm(t, b, ts.URL+"/logout", url.Values{})
	if resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/login" {
		t.Fatalf("logout without CSRF token succeeded")
	}
	resp, _ = postForm(t, b, ts.URL+"/logout", url.Values{"_csrf": {csrfFrom(t, body)}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if resp.Request.URL.Path != "/login" {
		t.Errorf("after logout at %s, want /login", resp.Request.URL.Path)
	}
	resp, _ = get(t, b, ts.URL+"/account")
	if resp.Request.URL.Path != "/login" {
		t.Errorf("account after logout served at %s, want redirect to /login", resp.Request.URL.Path)
	}
}

func TestOperationsEndpoints(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, _ := get(t, b, ts.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
}

// HEAD is answered as GET would be, without a body.
func TestHeadRequests(t *testing.T) {
	ts := startServer(t, mockOnly)
	for _, path := range []string{"/healthz", "/readyz", "/.well-known/openid-configuration", "/oauth2/jwks", "/login", "/oauth2/token", "/no/such/page"} {
		get, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		get.Body.Close()
		head, err := http.Head(ts.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(head.Body)
		head.Body.Close()
		if head.StatusCode != get.StatusCode || len(body) != 0 || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s = %d %q with %d body bytes; GET = %d %q", path, head.StatusCode, head.Header.Get("Content-Type"),
				len(body), get.StatusCode, get.Header.Get("Content-Type"))
		}
		if path == "/healthz" && head.StatusCode != http.StatusOK {
			t.Errorf("HEAD /healthz = %d", head.StatusCode)
		}
	}
}
