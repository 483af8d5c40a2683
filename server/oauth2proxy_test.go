package server_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// lockedBuffer collects a child process's output for the test log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startOAuth2Proxy runs oauth2-proxy for app conf in front of upstream on
// the listener ln (handed over as a file descriptor, so connections wait in
// its backlog until it serves: no port race, no polling). extra flags come
// last, so they override the defaults (a later --scope wins).
func startOAuth2Proxy(t *testing.T, bin string, ts *testServer, ln net.Listener, clientID, secret, upstream string, extra ...string) {
	t.Helper()
	f, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	ln.Close()
	proxyURL := "http://" + ln.Addr().String()
	gh, _ := url.Parse(ts.URL)
	// oauth2-proxy takes fd:3 by systemd socket activation, which needs
	// LISTEN_PID to be its own PID: sh sets it to $$ and execs in place.
	args := []string{"--provider=oidc", "--oidc-issuer-url=" + ts.URL, "--client-id=" + clientID, "--client-secret=" + secret,
		"--redirect-url=" + proxyURL + "/oauth2/callback", "--upstream=" + upstream, "--http-address=fd:3",
		"--cookie-secret=0123456789abcdef0123456789abcdef", "--cookie-secure=false", "--email-domain=*",
		"--scope=openid email profile offline_access", "--code-challenge-method=S256", "--skip-provider-button",
		"--cookie-refresh=1s", "--pass-access-token", "--whitelist-domain=" + gh.Host}
	cmd := exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`, bin}, append(args, extra...)...)...)
	cmd.ExtraFiles = []*os.File{f}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	f.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("oauth2-proxy output:\n%s", out.String())
		}
	})
}

// oauth2-proxy v7.15.6 in front of a tiny upstream: sign in through
// Gatehouse, refresh, sign out through the end_session_endpoint; the next
// visit must sign in again. Set GATEHOUSE_TEST_OAUTH2_PROXY to the
// binary (.ci/run installs it).
func TestOAuth2ProxySignInRefreshSignOut(t *testing.T) {
	bin := os.Getenv("GATEHOUSE_TEST_OAUTH2_PROXY")
	if bin == "" {
		t.Skip("GATEHOUSE_TEST_OAUTH2_PROXY is not set (.ci/run installs oauth2-proxy v7.15.6)")
	}
	ts := startServer(t, mockOnly)
	// oauth2-proxy checks token times against the wall clock.
	ts.Clock.Add(time.Since(ts.Clock.Now()).Truncate(time.Second))
	tokens := make(chan string, 4)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case tokens <- r.Header.Get("X-Forwarded-Access-Token"):
		default:
		}
		_, _ = w.Write([]byte("hello " + r.Header.Get("X-Forwarded-Email")))
	}))
	t.Cleanup(upstream.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	proxyURL := "http://" + ln.Addr().String()
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "email", "profile", "offline_access"},
		RedirectURIs: []string{proxyURL + "/oauth2/callback"}, PostLogoutRedirectURIs: []string{proxyURL + "/"}})
	startOAuth2Proxy(t, bin, ts, ln, conf.ClientID, conf.ClientSecret, upstream.URL)

	b := browser(t)
	resp, _ := get(t, b, ts.URL+"/login/mock")
	require.Equal(t, "/account", resp.Request.URL.Path)
	resp, body := throughProxy(t, ts, b, proxyURL)
	require.Equal(t, "hello carol@example.test", body, "at %s", resp.Request.URL)
	first := <-tokens

	// Refresh: oauth2-proxy refreshes a session older than --cookie-refresh
	// by its wall clock, truncated to the second, so the test lets two
	// seconds pass (time passing, not synchronisation).
	time.Sleep(2100 * time.Millisecond)
	_, body = get(t, b, proxyURL+"/")
	require.Equal(t, "hello carol@example.test", body)
	if second := <-tokens; second == first || second == "" {
		t.Error("oauth2-proxy did not refresh the session through Gatehouse")
	}

	// Sign out through the end_session_endpoint: no hint, so Gatehouse asks.
	end := ts.URL + "/oauth2/logout?" + url.Values{"client_id": {conf.ClientID}, "post_logout_redirect_uri": {proxyURL + "/"}, "state": {"bye"}}.Encode()
	resp, body = get(t, b, proxyURL+"/oauth2/sign_out?rd="+url.QueryEscape(end))
	require.Contains(t, body, "Sign out of Gatehouse?", "at %s", resp.Request.URL)
	form := url.Values{"decision": {"logout"}}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	form.Set("_csrf", csrfFrom(t, body))
	resp, body = postForm(t, b, ts.URL+"/oauth2/logout/confirm", form)
	// Back at the proxy, which sends the browser to Gatehouse to sign in.
	if !strings.HasPrefix(resp.Request.URL.String(), ts.URL+"/login") || strings.Contains(body, "hello") {
		t.Errorf("after signing out the next visit ended at %s:\n%.300s", resp.Request.URL, body)
	}
}

// throughProxy visits the proxy with b (signed in to Gatehouse), approving
// the consent page if Gatehouse shows one.
func throughProxy(t *testing.T, ts *testServer, b *http.Client, proxyURL string) (*http.Response, string) {
	t.Helper()
	resp, body := get(t, b, proxyURL+"/")
	if resp.Request.URL.Path == "/consent" {
		form := url.Values{"decision": {"approve"}}
		for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
			form.Set(m[1], htmlUnescape(m[2]))
		}
		resp, body = postForm(t, b, ts.URL+"/consent", form)
	}
	return resp, body
}

// oauth2-proxy's --allowed-group reads the groups claim of the id_token
// (the app has the groups scope): a member of staff gets through, anyone
// else (with a verified address, which oauth2-proxy also requires) gets
// oauth2-proxy's 403.
func TestOAuth2ProxyAllowedGroup(t *testing.T) {
	bin := os.Getenv("GATEHOUSE_TEST_OAUTH2_PROXY")
	if bin == "" {
		t.Skip("GATEHOUSE_TEST_OAUTH2_PROXY is not set (.ci/run installs oauth2-proxy v7.15.6)")
	}
	ts := startServer(t, mockOnly)
	ts.Clock.Add(time.Since(ts.Clock.Now()).Truncate(time.Second)) // oauth2-proxy checks token times by the wall clock
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello " + r.Header.Get("X-Forwarded-Email")))
	}))
	t.Cleanup(upstream.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	proxyURL := "http://" + ln.Addr().String()
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "email", "profile", "groups"},
		RedirectURIs: []string{proxyURL + "/oauth2/callback"}})
	startOAuth2Proxy(t, bin, ts, ln, conf.ClientID, conf.ClientSecret, upstream.URL,
		"--scope=openid email profile groups", "--allowed-group=staff")

	member := signedInAgent(t, ts)
	groupsOf(t, ts, carol(t, ts).ID, []string{"staff"}, nil)
	resp, body := throughProxy(t, ts, member, proxyURL)
	require.Equal(t, "hello carol@example.test", body, "a member of staff, at %s", resp.Request.URL)

	dave := addUser(t, ts, "dave", "dave password")
	dave.EmailVerified = true
	require.NoError(t, ts.Store.UpdateAccount(context.Background(), &dave))
	groupsOf(t, ts, dave.ID, []string{"ops"}, nil)
	outsider, _ := signIn(t, ts, "dave", "dave password")
	resp, body = throughProxy(t, ts, outsider, proxyURL)
	if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "hello") {
		t.Errorf("a user outside staff: %d at %s:\n%.300s", resp.StatusCode, resp.Request.URL, body)
	}
}
