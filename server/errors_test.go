package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wantAnswer checks an error answer byte for byte: status, body and the
// named headers.
func wantAnswer(t *testing.T, what string, resp *http.Response, body string, status int, wantBody string, headers map[string]string) {
	t.Helper()
	if resp.StatusCode != status || body != wantBody+"\n" {
		t.Errorf("%s: %d %q, want %d %q", what, resp.StatusCode, body, status, wantBody)
	}
	for k, v := range headers {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

// The RFC 6750 refusals of the first-party API and userinfo keep their
// exact challenge, body and caching.
func TestBearerErrorAnswers(t *testing.T) {
	ts := startServer(t, mockOnly+devicesScope)
	addUser(t, ts, "alice", "correct horse")
	devices := passwordApp(t, ts, "Devices", "devices_read")
	tok, err := devices.PasswordCredentialsToken(context.Background(), "alice", "correct horse")
	require.NoError(t, err)
	appToken := http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	cases := []struct {
		name, method, path, body string
		header                   http.Header
		status                   int
		want                     string
		headers                  map[string]string
	}{
		{"app token without profile", http.MethodGet, "/api/v1/users/me/", "", appToken, http.StatusForbidden,
			`{"error":"insufficient_scope","error_description":"The token lacks the profile scope."}`,
			map[string]string{"WWW-Authenticate": `Bearer realm="gatehouse", error="insufficient_scope", scope="profile"`}},
		{"no token", http.MethodGet, "/api/v1/users/me/", "", nil, http.StatusUnauthorized,
			`{"error":"unauthorized","error_description":"Authentication credentials were not provided."}`,
			map[string]string{"WWW-Authenticate": `Bearer realm="gatehouse"`, "Cache-Control": "no-store"}},
		{"bad token", http.MethodGet, "/api/v1/users/me/", "", http.Header{"Authorization": {"Bearer not-a-token"}}, http.StatusUnauthorized,
			`{"error":"invalid_token","error_description":"The access token is invalid or expired."}`,
			map[string]string{"WWW-Authenticate": `Bearer realm="gatehouse", error="invalid_token"`, "Cache-Control": "no-store"}},
		// userinfo takes the token from a form body too: a repeated
		// parameter is an RFC 6749 invalid_request with a Bearer challenge.
		{"userinfo repeated access_token", http.MethodPost, "/oauth2/userinfo", "access_token=a&access_token=b", form, http.StatusBadRequest,
			`{"error":"invalid_request","error_description":"Parameter access_token is repeated."}`,
			map[string]string{"WWW-Authenticate": `Bearer realm="gatehouse", error="invalid_request"`, "Cache-Control": "no-store", "Pragma": "no-cache"}},
		{"userinfo without openid", http.MethodGet, "/oauth2/userinfo", "", appToken, http.StatusForbidden,
			`{"error":"insufficient_scope","error_description":"The token lacks the openid scope."}`,
			map[string]string{"WWW-Authenticate": `Bearer realm="gatehouse", error="insufficient_scope", scope="openid"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, tc.method, ts.URL+tc.path, "", strings.NewReader(tc.body), tc.header)
			wantAnswer(t, tc.name, resp, body, tc.status, tc.want, tc.headers)
		})
	}
}

// Dynamic registration switched off answers a JSON 404, not a page.
func TestRegistrationDisabledAnswer(t *testing.T) {
	ts := startServer(t, mockOnly)
	resp, body := send(t, http.MethodPost, ts.URL+"/oauth2/register", "", strings.NewReader("{}"), http.Header{"Content-Type": {"application/json"}})
	wantAnswer(t, "registration disabled", resp, body, http.StatusNotFound,
		`{"error":"not_found","error_description":"Dynamic registration is disabled."}`, nil)
}

// The JWT API's 429 says when to come back.
func TestTokenAuthRateLimitedAnswer(t *testing.T) {
	ts := startServer(t, mockOnly+"login:\n  password_attempts: 1\n  password_window: 15m\n")
	addUser(t, ts, "alice", "correct horse")
	require.Equal(t, http.StatusBadRequest, tokenAuthFrom(t, ts, "", "alice", "wrong"))
	resp, body := send(t, http.MethodPost, ts.URL+"/api/token-auth/", "", strings.NewReader(`{"username":"alice","password":"wrong"}`),
		http.Header{"Content-Type": {"application/json"}})
	wantTooMany(t, "token-auth over the limit", resp, body)
	wantAnswer(t, "token-auth over the limit", resp, body, http.StatusTooManyRequests,
		`{"error":"rate_limited","error_description":"Too many attempts; try again later."}`, nil)
}

// The login API's error shapes are the seed's, exactly: 400 lists every
// problem, 401 and 429 carry one message.
func TestLoginAPIErrorAnswers(t *testing.T) {
	ts := startServer(t, limitsYAML)
	resp, body := send(t, http.MethodPost, ts.URL+"/v1/oauth2", "", nil, nil)
	wantAnswer(t, "exchange without parameters", resp, body, http.StatusBadRequest,
		`{"errors":["provider is required","access-token is required"]}`, nil)

	resp, body = send(t, http.MethodGet, ts.URL+"/v1/login/token", "", nil, nil)
	wantAnswer(t, "token info without a token", resp, body, http.StatusUnauthorized,
		`{"error":"An API token is required: Authorization: Bearer \u003csecret\u003e."}`, nil)

	for range 3 {
		resp, body = send(t, http.MethodPost, ts.URL+"/v1/login/oauth2/device/start?provider=none", "", nil, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	}
	resp, body = send(t, http.MethodPost, ts.URL+"/v1/login/oauth2/device/start?provider=none", "", nil, nil)
	wantTooMany(t, "device start over the limit", resp, body)
	wantAnswer(t, "device start over the limit", resp, body, http.StatusTooManyRequests,
		`{"error":"Too many sign-ins started from this address; retry after Retry-After seconds."}`, nil)
}
