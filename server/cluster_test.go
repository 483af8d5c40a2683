package server_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server"
	"gatehouse/server/apps"
	"gatehouse/server/config"
	"gatehouse/server/seal"
	"gatehouse/server/tokens"
	"gatehouse/store/gormstore"
	"gatehouse/store/pgtest"
)

// startCluster runs n Gatehouse instances on one PostgreSQL database, as
// behind a load balancer: same issuer, same master key, separate stores.
func startCluster(t *testing.T, n int) ([]*testServer, []byte) {
	dsn := pgtest.NewDatabase(t)
	key := seal.GenerateKey()
	front := httptest.NewUnstartedServer(nil)
	issuer := "http://" + front.Listener.Addr().String()
	dir := t.TempDir()
	cfgText := "issuer: " + issuer + "\ndev: true\nmaster_key: " + base64.StdEncoding.EncodeToString(key) + "\n" +
		"database:\n  driver: postgres\n  dsn: \"" + dsn + "\"\n" + mockOnly
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfgText), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	var out []*testServer
	for i := 0; i < n; i++ {
		st, err := gormstore.Open(context.Background(), "postgres", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		s, err := server.NewWithOptions(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{Now: clk.Now, Store: st})
		require.NoError(t, err)
		hs := front
		if i > 0 {
			hs = httptest.NewUnstartedServer(nil)
		}
		hs.Config.Handler = s.Handler()
		hs.Start()
		t.Cleanup(hs.Close)
		out = append(out, &testServer{URL: "http://" + hs.Listener.Addr().String(), Store: st, Clock: clk, srv: hs})
	}
	return out, key
}

func TestTwoInstancesOnPostgres(t *testing.T) {
	nodes, key := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	conf := newApp(t, a, apps.Spec{Scopes: []string{"profile", "offline_access"}})

	// Signed in at A; the session works at B (cookies are per host, and both are 127.0.0.1).
	browserA := signedInAgent(t, a)
	resp, _ := get(t, browserA, b.URL+"/account")
	if resp.Request.URL.Path != "/account" {
		t.Errorf("session of A not honoured at B: %s", resp.Request.URL)
	}

	// A code issued at A is redeemed at B.
	v := oauth2.GenerateVerifier()
	code := codeFor(t, a, browserA, conf, oauth2.S256ChallengeOption(v))
	confB := *conf
	confB.Endpoint.TokenURL = b.URL + "/oauth2/token"
	tok, err := confB.Exchange(ctx, code, oauth2.VerifierOption(v))
	require.NoError(t, err)

	// A request waiting for consent at A is decided at B: the pending
	// request is a row, not instance memory.
	form := consentForm(consentPage(t, browserA, conf.AuthCodeURL("pend", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "consent"))))
	form.Set("decision", "approve")
	if back := postConsent(t, browserA, b, form); back.Query().Get("code") == "" || back.Query().Get("state") != "pend" {
		t.Errorf("a pending request of A decided at B: %s", back)
	}

	// Two refreshes of one token at once, one per instance: both get the
	// same successor (the grace rule holds across instances); after the
	// grace window the spent token is reuse and revokes the family.
	var wg sync.WaitGroup
	results := make(chan map[string]any, 2)
	statuses := make(chan int, 2)
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, m := tokenCall(t, n, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, conf.ClientID, conf.ClientSecret)
			statuses <- resp.StatusCode
			results <- m
		}()
	}
	wg.Wait()
	close(statuses)
	close(results)
	for s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("concurrent refreshes at two instances: status %d, want both 200", s)
		}
	}
	successors := map[string]bool{}
	var winner string
	for m := range results {
		winner, _ = m["refresh_token"].(string)
		successors[winner] = true
	}
	if len(successors) != 1 {
		t.Fatalf("two concurrent refreshes forked %d branches, want 1", len(successors))
	}
	a.Clock.Add(11 * time.Second)
	r, m := tokenCall(t, b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "spent token after the grace window", r, m, http.StatusBadRequest, "invalid_grant")
	r, m = tokenCall(t, a, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {winner}}, conf.ClientID, conf.ClientSecret)
	wantOAuthErr(t, "successor after reuse", r, m, http.StatusBadRequest, "invalid_grant")

	// A key rotated at A is in B's JWKS once B's key cache refreshes.
	s, err := seal.New(key)
	require.NoError(t, err)
	nk, err := tokens.NewKeys(a.Store, s, tokens.KeyOptions{Now: a.Clock.Now}).Rotate(ctx, "ES256", time.Hour)
	require.NoError(t, err)
	a.Clock.Add(61 * time.Second) // the key cache lifetime
	_, body := get(t, browser(t), b.URL+"/oauth2/jwks")
	if !strings.Contains(body, nk.ID) {
		t.Errorf("B does not serve the key rotated at A: %s", body)
	}
}
