package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server"
	"gatehouse/server/cimd"
	"gatehouse/server/config"
	"gatehouse/store/sqlitetest"
)

const cimdOn = mockOnly + "apps:\n  metadata_documents: on\n"

// docServer is an https server on 127.0.0.1 serving one Client ID Metadata
// Document at /client.json, counting fetches; serve replaces the answer.
type docServer struct {
	srv     *httptest.Server
	fetches atomic.Int32
	mu      sync.Mutex
	serve   http.HandlerFunc
}

func (d *docServer) URL() string { return d.srv.URL + "/client.json" }

func (d *docServer) set(h http.HandlerFunc) { d.mu.Lock(); d.serve = h; d.mu.Unlock() }

// doc is a valid document for the server's URL, with fields overridden.
func (d *docServer) doc(over map[string]any) map[string]any {
	m := map[string]any{"client_id": d.URL(), "client_name": "Doc App", "redirect_uris": []string{appRedirect},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
		"scope": "openid profile offline_access"}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// serveJSON answers v with the given Cache-Control ("" for none).
func serveJSON(v any, cacheControl string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}

func newDocServer(t *testing.T) *docServer {
	d := &docServer{}
	d.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fetches.Add(1)
		d.mu.Lock()
		h := d.serve
		d.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(d.srv.Close)
	d.set(serveJSON(d.doc(nil), "max-age=60"))
	return d
}

// startCIMDServer is startServer with the metadata-document fetcher set
// up by o (the document server's certificate is trusted when d is given).
func startCIMDServer(t *testing.T, yamlBody string, d *docServer, o cimd.Options) *testServer {
	t.Helper()
	if d != nil {
		o.RootCAs = d.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	dir := t.TempDir()
	cfgText := "issuer: " + base + "\ndev: true\nmaster_key_file: " + filepath.Join(dir, "key") + "\n" +
		"database:\n  driver: sqlite\n  dsn: " + filepath.Join(dir, "unused.db") + "\n" + yamlBody
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfgText), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	st := sqlitetest.Open(t)
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.NewWithOptions(context.Background(), cfg, log, server.Options{Now: clk.Now, Store: st, MetadataDocuments: &o})
	require.NoError(t, err)
	hs.Config.Handler = s.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	t.Cleanup(func() { s.Close() })
	return &testServer{URL: base, Store: st, Clock: clk, srv: hs, gh: s}
}
