package server_test

import (
	"context"
	"encoding/json"
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

func BenchmarkRefreshGrant(b *testing.B) {
	ts := startServerB(b)
	addUser(b, ts, "alice", "correct horse")
	conf := newAppB(b, ts, apps.Spec{Name: "r", GrantTypes: []string{"password", "refresh_token"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	tok, err := conf.PasswordCredentialsToken(context.Background(), "alice", "correct horse")
	if err != nil {
		b.Fatal(err)
	}
	h := ts.srv.Config.Handler
	rt := tok.RefreshToken
	b.ReportAllocs()
	for b.Loop() {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}.Encode()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		rt = m["refresh_token"].(string)
	}
}
