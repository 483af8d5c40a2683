package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"gatehouse/server/apps"
)

func BenchmarkUsersMe(b *testing.B) {
	ts := startServerB(b)
	addUser(b, ts, "alice", "correct horse")
	conf := newAppB(b, ts, apps.Spec{Name: "r", GrantTypes: []string{"password"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	tok, err := conf.PasswordCredentialsToken(context.Background(), "alice", "correct horse")
	if err != nil {
		b.Fatal(err)
	}
	h := ts.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/users/me/", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
