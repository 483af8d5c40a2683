package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gatehouse/server/apps"
)

// BenchmarkDiscovery measures the whole middleware chain plus the
// pre-rendered discovery document, without the network.
func BenchmarkDiscovery(b *testing.B) {
	ts := startServerB(b)
	h := ts.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/openid-configuration", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkClientCredentials(b *testing.B) {
	ts := startServerB(b)
	conf := newAppB(b, ts, apps.Spec{Name: "svc", GrantTypes: []string{"client_credentials"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	h := ts.srv.Config.Handler
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
