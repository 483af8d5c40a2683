package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server"
	"gatehouse/server/apps"
	"gatehouse/server/config"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

// register posts RFC 7591 metadata without an initial access token.
func register(t *testing.T, ts *testServer, md map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(md)
	resp, err := http.Post(ts.URL+"/oauth2/register", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// Open registration needs no token but makes only public native apps:
// loopback and private-use-scheme redirect URIs.
func TestOpenRegistration(t *testing.T) {
	ts := startServer(t, mockOnly+"apps:\n  registration: open\n")
	for _, tc := range []struct {
		name     string
		md       map[string]any
		status   int
		errCode  string
		redirect string
	}{
		{"loopback", map[string]any{"redirect_uris": []string{"http://127.0.0.1:8765/cb"}}, http.StatusCreated, "", ""},
		{"private-use scheme", map[string]any{"redirect_uris": []string{"com.example.app:/cb"}}, http.StatusCreated, "", ""},
		{"https redirect", map[string]any{"redirect_uris": []string{"https://app.example/cb"}}, http.StatusBadRequest, "invalid_redirect_uri", ""},
		{"one https among loopback", map[string]any{"redirect_uris": []string{"http://127.0.0.1/cb", "https://app.example/cb"}},
			http.StatusBadRequest, "invalid_redirect_uri", ""},
		{"confidential", map[string]any{"redirect_uris": []string{"http://127.0.0.1/cb"}, "token_endpoint_auth_method": "client_secret_basic"},
			http.StatusBadRequest, "invalid_client_metadata", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := register(t, ts, tc.md)
			require.Equal(t, tc.status, status, "%v", out)
			if tc.errCode != "" {
				require.Equal(t, tc.errCode, out["error"])
				return
			}
			require.Equal(t, "none", out["token_endpoint_auth_method"])
			require.NotContains(t, out, "client_secret")
			cl, err := ts.Store.GetClient(context.Background(), out["client_id"].(string))
			require.NoError(t, err)
			require.True(t, cl.Public)
			require.Equal(t, store.ClientDynamic, cl.Kind)
		})
	}
	_, disc := get(t, browser(t), ts.URL+"/.well-known/openid-configuration")
	require.Contains(t, disc, `"registration_endpoint":"`+ts.URL+`/oauth2/register"`)
}

// A registered client's use is recorded on token issuance, at most once a day.
func TestDynamicClientUseRecorded(t *testing.T) {
	ts := startServer(t, mockOnly+"apps:\n  registration: open\n")
	status, out := register(t, ts, map[string]any{"redirect_uris": []string{appRedirect}, "scope": "openid offline_access"})
	require.Equal(t, http.StatusCreated, status)
	conf := &oauth2.Config{ClientID: out["client_id"].(string), RedirectURL: appRedirect, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: ts.URL + "/oauth2/authorize", TokenURL: ts.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	v := oauth2.GenerateVerifier()
	back := authorize(t, signedInAgent(t, ts), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)), "approve")
	tok, err := conf.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(v))
	require.NoError(t, err)
	first := ts.Clock.Now()
	lastUsed := func() time.Time {
		cl, err := ts.Store.GetClient(context.Background(), conf.ClientID)
		require.NoError(t, err)
		return cl.LastUsedAt
	}
	require.True(t, lastUsed().Equal(first), "recorded at the first token")

	refresh := func() {
		t.Helper()
		expired := *tok
		expired.Expiry, expired.AccessToken = ts.Clock.Now().Add(-1), ""
		tok, err = conf.TokenSource(context.Background(), &expired).Token()
		require.NoError(t, err)
	}
	ts.Clock.Add(12 * time.Hour)
	refresh()
	require.True(t, lastUsed().Equal(first), "not written again within a day")
	ts.Clock.Add(13 * time.Hour)
	refresh()
	require.True(t, lastUsed().Equal(ts.Clock.Now()), "written again after a day")
}

// idleSpy tells when the server has swept idle clients.
type idleSpy struct {
	store.Store
	swept chan struct{}
}

func (s *idleSpy) DeleteIdleClients(ctx context.Context, kind string, cutoff, now time.Time) (int64, error) {
	n, err := s.Store.DeleteIdleClients(ctx, kind, cutoff, now)
	select {
	case s.swept <- struct{}{}:
	default:
	}
	return n, err
}

// The sweep deletes dynamic clients unused for apps.dynamic_client_idle_ttl
// and never an operator's app, however old.
func TestIdleDynamicClientsDeleted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte("issuer: http://127.0.0.1\ndev: true\nlisten: 127.0.0.1:0\nmaster_key_file: "+
		filepath.Join(dir, "key")+"\ndatabase:\n  driver: sqlite\n  dsn: "+filepath.Join(dir, "unused.db")+"\n"+mockOnly+
		"apps:\n  dynamic_client_idle_ttl: 240h\n"), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	ctx := context.Background()
	st := sqlitetest.Open(t)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	mk := func(name, kind string) string {
		cl, _, err := apps.Create(ctx, st, apps.Spec{Name: name, RedirectURIs: []string{appRedirect}, Public: true, Kind: kind, Operator: kind == ""}, nil, t0)
		require.NoError(t, err)
		return cl.ID
	}
	idle, used, operator := mk("idle", store.ClientDynamic), mk("used", store.ClientDynamic), mk("operator", "")
	now := t0.Add(11 * 24 * time.Hour)
	require.NoError(t, st.TouchClient(ctx, used, now.Add(-9*24*time.Hour)))

	spy := &idleSpy{Store: st, swept: make(chan struct{}, 1)}
	s, err := server.NewWithOptions(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		server.Options{Now: func() time.Time { return now }, Store: spy})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	defer func() { cancel(); require.NoError(t, <-done); s.Close() }()
	select {
	case <-spy.swept:
	case <-time.After(20 * time.Second): // a failure detector, not synchronisation
		t.Fatal("no sweep of idle clients at start")
	}
	_, err = st.GetClient(ctx, idle)
	require.ErrorIs(t, err, store.ErrNotFound, "idle dynamic client deleted")
	_, err = st.GetClient(ctx, used)
	require.NoError(t, err, "recently used dynamic client kept")
	_, err = st.GetClient(ctx, operator)
	require.NoError(t, err, "an operator's app is never deleted")
}
