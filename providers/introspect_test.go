package providers_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"gatehouse/providers"
)

// The RFC 7662 client: active and issued to us (client_id, or aud as a
// string or a list) passes; everything else is refused with the error the
// login API turns into the right status.
func TestIntrospector(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       error // nil: accepted
	}{
		{"client_id ours", `{"active":true,"client_id":"ours"}`, 200, nil},
		{"aud ours", `{"active":true,"aud":"ours"}`, 200, nil},
		{"aud list with ours", `{"active":true,"client_id":"x","aud":["api","ours"]}`, 200, nil},
		{"another client", `{"active":true,"client_id":"theirs","aud":["theirs"]}`, 200, providers.ErrNotIssuedToUs},
		{"no client named", `{"active":true,"sub":"u1"}`, 200, providers.ErrNotIssuedToUs},
		{"inactive", `{"active":false}`, 200, providers.ErrTokenRejected},
		{"inactive but ours", `{"active":false,"client_id":"ours"}`, 200, providers.ErrTokenRejected},
		{"our credentials refused", `{"error":"invalid_client"}`, 401, providers.ErrUpstream},
		{"not JSON", `<html>`, 200, providers.ErrUpstream},
		{"aud not strings", `{"active":true,"aud":5}`, 200, providers.ErrUpstream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id, secret, _ := r.BasicAuth()
				if r.Method != http.MethodPost || id != "ours" || secret != "s%26cret" || r.FormValue("token") != "tok" {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			in := providers.Introspector{URL: srv.URL, ClientID: "ours", ClientSecret: "s&cret"}
			_, err := in.Check(context.Background(), "tok")
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("err = %v, want %v", err, tc.want)
			case tc.want == providers.ErrUpstream && errors.Is(err, providers.ErrTokenRejected):
				t.Errorf("an upstream failure reported as a rejected token: %v", err)
			case tc.want == providers.ErrTokenRejected && errors.Is(err, providers.ErrNotIssuedToUs):
				t.Errorf("an inactive token reported as another client's: %v", err)
			}
		})
	}
}
