package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/oidc"
)

// discoveryServer answers discovery with doc(url).
func discoveryServer(t *testing.T, doc func(url string) map[string]any) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The errors a sign-in gets say what was wrong with the discovery: too
// large (naming the config key), or an endpoint missing.
func TestDiscoveryErrorsAreClear(t *testing.T) {
	full := func(url string) map[string]any {
		return map[string]any{"issuer": url, "authorization_endpoint": url + "/a", "token_endpoint": url + "/t", "jwks_uri": url + "/k"}
	}
	for _, tc := range []struct {
		name string
		doc  func(url string) map[string]any
		want string
	}{
		{"too large", func(url string) map[string]any {
			d := full(url)
			d["padding"] = strings.Repeat("x", 5<<20)
			return d
		}, "more than 65536 bytes (http.upstream_max_bytes)"},
		{"no authorization endpoint", func(url string) map[string]any { d := full(url); delete(d, "authorization_endpoint"); return d },
			"the document has no authorization_endpoint"},
		{"token endpoint not a URL", func(url string) map[string]any { d := full(url); d["token_endpoint"] = "/t"; return d },
			"token_endpoint: must be an absolute http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := discoveryServer(t, tc.doc)
			p := oidc.NewProvider(providers.Config{Name: "corp", ClientID: "c", ClientSecret: "s", APIURL: srv.URL,
				HTTPClient: providers.NewHTTPClient(5*time.Second, 64<<10)})
			_, err := p.BeginAuth(context.Background(), "state", callback)
			require.ErrorIs(t, err, providers.ErrUpstream)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Discovery runs under the caller's (the request's) context: when the
// request goes away, the upstream call stops, long before the HTTP
// client's timeout.
func TestDiscoveryUnderRequestContext(t *testing.T) {
	entered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // hangs until the client goes away
	}))
	t.Cleanup(srv.Close)
	p := oidc.NewProvider(providers.Config{Name: "corp", ClientID: "c", ClientSecret: "s", APIURL: srv.URL,
		HTTPClient: providers.NewHTTPClient(time.Minute, 64<<10)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.BeginAuth(ctx, "state", callback)
		done <- err
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, providers.ErrUpstream)
		require.ErrorContains(t, err, "context canceled")
	case <-time.After(20 * time.Second): // a bound on a broken test, not synchronisation
		t.Fatal("discovery went on after the request was cancelled")
	}
}
