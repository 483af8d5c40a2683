package server_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// discoveryUpstream is a fake OpenID Connect issuer whose discovery
// document a test shapes; it counts discovery requests and the bytes it
// managed to write.
type discoveryUpstream struct {
	*httptest.Server
	requests atomic.Int64
	written  atomic.Int64
	done     chan struct{} // one value per finished discovery answer
	// doc builds the document; status, when not 200, is answered instead.
	doc    func(url string) map[string]any
	status atomic.Int64
}

func newDiscoveryUpstream(t *testing.T, doc func(url string) map[string]any) *discoveryUpstream {
	u := &discoveryUpstream{doc: doc, done: make(chan struct{}, 64)}
	u.status.Store(http.StatusOK)
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(u.serve))
	// A small send buffer keeps what the kernel absorbs after the reader
	// stopped small, so the byte count measures what the reader took.
	u.Server.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
			_ = tc.SetWriteBuffer(16 << 10)
		}
	}
	u.Start()
	t.Cleanup(u.Close)
	return u
}

func (u *discoveryUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/.well-known/openid-configuration" {
		http.NotFound(w, r)
		return
	}
	defer func() { u.done <- struct{}{} }()
	u.requests.Add(1)
	if st := int(u.status.Load()); st != http.StatusOK {
		w.WriteHeader(st)
		return
	}
	b, _ := json.Marshal(u.doc(u.URL))
	w.Header().Set("Content-Type", "application/json")
	for len(b) > 0 { // chunked, so the size is not announced up front
		n := min(len(b), 32<<10)
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		u.written.Add(int64(n))
		b = b[n:]
	}
}

// wait blocks until the upstream finished n discovery answers.
func (u *discoveryUpstream) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-u.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the upstream's discovery answer did not finish")
		}
	}
}

func fullDiscovery(url string) map[string]any {
	return map[string]any{"issuer": url, "authorization_endpoint": url + "/authorize", "token_endpoint": url + "/token",
		"jwks_uri": url + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"}}
}

func oidcUpstreamConfig(url, extra string) string {
	return extra + "providers:\n  - name: up\n    type: oidc\n    api_url: " + url + "\n    client_id: x\n    client_secret: y\n"
}

// requireSignInRefused asserts /login/up answers an HTML error page, not a
// redirect, and returns its body.
func requireSignInRefused(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, body := get(t, noFollow(browser(t)), ts.URL+"/login/up")
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Location") != "" ||
		!strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("sign-in: %d Location=%q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return body
}

// A 5 MiB discovery document is refused, and Gatehouse stops reading it at
// http.upstream_max_bytes: the upstream could write little more than the
// cap before the connection was dropped (not the whole document).
func TestOIDCDiscoveryTooLargeRefused(t *testing.T) {
	const capBytes = 1 << 20 // the default http.upstream_max_bytes
	up := newDiscoveryUpstream(t, func(url string) map[string]any {
		d := fullDiscovery(url)
		d["padding"] = strings.Repeat("x", 5<<20)
		return d
	})
	ts := startServer(t, oidcUpstreamConfig(up.URL, ""))
	requireSignInRefused(t, ts)
	up.wait(t, 1)
	// Slack: the kernel's socket buffers on both sides of the loopback
	// connection, far below the 5 MiB the upstream tried to send.
	t.Logf("the upstream wrote %d of %d bytes", up.written.Load(), 5<<20)
	if n := up.written.Load(); n > capBytes+1<<20 {
		t.Errorf("the upstream wrote %d bytes before Gatehouse stopped reading (cap %d)", n, capBytes)
	}
}

// A discovery document without an authorization endpoint is refused; the
// sign-in shows an error page instead of redirecting to "?client_id=…"
// on itself (a redirect loop in the browser).
func TestOIDCDiscoveryWithoutEndpointsRefused(t *testing.T) {
	for _, key := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri"} {
		t.Run(key, func(t *testing.T) {
			up := newDiscoveryUpstream(t, func(url string) map[string]any {
				d := fullDiscovery(url)
				delete(d, key)
				return d
			})
			ts := startServer(t, oidcUpstreamConfig(up.URL, ""))
			requireSignInRefused(t, ts)
		})
	}
}

// A failed discovery is not fetched again on every sign-in: during the
// back-off, sign-ins fail at once with a page saying so; after it (the
// clock advanced), the next sign-in asks the upstream again.
func TestOIDCDiscoveryBackoff(t *testing.T) {
	up := newDiscoveryUpstream(t, fullDiscovery)
	up.status.Store(http.StatusServiceUnavailable)
	ts := startServer(t, oidcUpstreamConfig(up.URL, ""))

	requireSignInRefused(t, ts)
	require.EqualValues(t, 1, up.requests.Load())
	body := requireSignInRefused(t, ts)
	require.EqualValues(t, 1, up.requests.Load(), "discovery fetched again during the back-off")
	require.Contains(t, body, "try again")

	ts.Clock.Add(time.Second + time.Millisecond) // the first back-off is 1 s
	requireSignInRefused(t, ts)
	require.EqualValues(t, 2, up.requests.Load(), "discovery not fetched again after the back-off")

	ts.Clock.Add(time.Second + time.Millisecond) // the second back-off is 2 s
	requireSignInRefused(t, ts)
	require.EqualValues(t, 2, up.requests.Load(), "the back-off does not grow")

	ts.Clock.Add(time.Second)
	up.status.Store(http.StatusOK)
	resp, err := noFollow(browser(t)).Get(ts.URL + "/login/up")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "sign-in after the upstream recovered")
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), up.URL+"/authorize?"), resp.Header.Get("Location"))
	require.EqualValues(t, 3, up.requests.Load())
}
