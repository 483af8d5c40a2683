package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server"
	"gatehouse/server/config"
	"gatehouse/store/sqlitetest"
)

// served is a Gatehouse run by Server.Serve (the production http.Server
// with its timeouts and connection limit) on a real 127.0.0.1 listener.
type served struct {
	Addr  string
	Clock *clock
	stop  context.CancelFunc
	done  chan struct{} // closed when Serve has returned err
	err   error
	logMu sync.Mutex
	log   strings.Builder
}

func (s *served) Write(p []byte) (int, error) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.Write(p)
}

func (s *served) logText() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// shutdown cancels Serve's context and returns what Serve returned,
// failing if it takes longer than within.
func (s *served) shutdown(t *testing.T, within time.Duration) error {
	t.Helper()
	s.stop()
	select {
	case <-s.done:
		return s.err
	case <-time.After(within):
		t.Fatalf("Serve did not return within %s of shutdown", within)
		return nil
	}
}

// serveReal starts Server.Serve with the YAML config body (issuer and
// database filled in) and stops it when the test ends.
func serveReal(t *testing.T, yamlBody string) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dir := t.TempDir()
	cfgText := "issuer: http://" + ln.Addr().String() + "\ndev: true\nmaster_key_file: " + filepath.Join(dir, "key") + "\n" +
		"database:\n  driver: sqlite\n  dsn: " + filepath.Join(dir, "unused.db") + "\n" + yamlBody
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfgText), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	st := sqlitetest.Open(t)
	s := &served{Addr: ln.Addr().String(), Clock: &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}, done: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelWarn}))
	gh, err := server.NewWithOptions(context.Background(), cfg, log, server.Options{Now: s.Clock.Now, Store: st})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() { s.err = gh.Serve(ctx, ln); close(s.done) }()
	t.Cleanup(func() {
		cancel()
		<-s.done
		gh.Close()
	})
	return s
}

// rawConn dials the server with a plain TCP connection whose reads give
// up after 10 s (longer than any timeout the tests configure).
func rawConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	return c, bufio.NewReader(c)
}

// roundTrip sends a keep-alive GET on c and reads the answer.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, path string) *http.Response {
	t.Helper()
	_, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// wantClosedByServer reads from c and expects the server to have closed
// it (EOF or reset), not the test's own 10 s deadline to expire.
func wantClosedByServer(t *testing.T, what string, r io.Reader) {
	t.Helper()
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server kept the connection open", what)
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	s := serveReal(t, mockOnly+"http:\n  idle_timeout: 200ms\n")
	idle, r := rawConn(t, s.Addr)
	require.Equal(t, http.StatusOK, roundTrip(t, idle, r, "/healthz").StatusCode)

	// While that connection idles, new clients are served.
	other, r2 := rawConn(t, s.Addr)
	require.Equal(t, http.StatusOK, roundTrip(t, other, r2, "/healthz").StatusCode)

	wantClosedByServer(t, "idle keep-alive connection", r)
}

func TestTricklingBodyCut(t *testing.T) {
	s := serveReal(t, mockOnly+"http:\n  read_timeout: 300ms\n")
	c, r := rawConn(t, s.Addr)
	_, err := io.WriteString(c, "POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=")
	require.NoError(t, err)
	// A slowloris client: one byte every 50 ms, never finishing the body.
	// It stops when the server closes the connection.
	go func() {
		for {
			time.Sleep(50 * time.Millisecond) // the client's pace, not synchronisation
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	wantClosedByServer(t, "trickling body", r)
}

func TestMaxConnections(t *testing.T) {
	s := serveReal(t, mockOnly+"http:\n  max_connections: 2\n")
	var held []net.Conn
	for range 2 {
		c, r := rawConn(t, s.Addr)
		require.Equal(t, http.StatusOK, roundTrip(t, c, r, "/healthz").StatusCode)
		held = append(held, c)
	}

	// A third connection is answered 503 with Retry-After, then closed.
	c, r := rawConn(t, s.Addr)
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over max_connections: %d %v, want 503 with Retry-After", resp.StatusCode, resp.Header)
	}
	wantClosedByServer(t, "refused connection", r)

	// When one closes, new connections are served again (once the server
	// has seen the close).
	held[0].Close()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("http://" + s.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not served again after a connection closed: %v", err)
		}
	}
}

// A client stuck mid-request cannot hold shutdown past its deadline, and
// the forced end is still a clean exit.
func TestShutdownWithStuckClient(t *testing.T) {
	s := serveReal(t, mockOnly+"http:\n  shutdown_timeout: 300ms\n  read_timeout: 30s\n")
	stuck, sr := rawConn(t, s.Addr)
	_, err := io.WriteString(stuck, "POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
	require.NoError(t, err)
	// The server says 100 Continue when the handler starts reading the body:
	// from then on a handler waits for bytes that never all come.
	line, err := sr.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "HTTP/1.1 100"), "want 100 Continue, got %q", line)
	_, err = io.WriteString(stuck, "grant_type=")
	require.NoError(t, err)

	start := time.Now()
	require.NoError(t, s.shutdown(t, 5*time.Second))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %s with shutdown_timeout 300ms", d)
	}
	if !strings.Contains(s.logText(), "connections_open=") {
		t.Errorf("shutdown logged nothing about the connections it cut:\n%s", s.logText())
	}
}

// A chunked body (no Content-Length) over the 1 MiB limit is refused with
// 413 like one that declares its length.
func TestChunkedBodyOverLimit(t *testing.T) {
	ts := startServer(t, mockOnly)
	body := io.MultiReader(strings.NewReader("grant_type=password&username="), strings.NewReader(strings.Repeat("x", 2<<20)))
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/oauth2/token", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = -1 // chunked
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB chunked body: %d, want 413", resp.StatusCode)
	}
	resp, m := call(t, http.MethodPost, ts.URL+"/api/token-auth/", "application/json", io.MultiReader(strings.NewReader(strings.Repeat(" ", 2<<20))), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || m["error"] != "request_too_large" {
		t.Errorf("2 MiB chunked JSON body: %d %v", resp.StatusCode, m)
	}
}

func TestHeaderBytesLimit(t *testing.T) {
	s := serveReal(t, mockOnly+"http:\n  max_header_bytes: 8192\n")
	c, r := rawConn(t, s.Addr)
	_, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers with max_header_bytes 8192: %d, want 431", resp.StatusCode)
	}
}
