package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/cimd"
)

// Documents that cannot be used are refused with a page that says why.
// (Each is served no-store, and each case moves the clock past the time a
// refusal is remembered, so no case sees another's document or refusal.)
func TestMetadataDocumentRefusals(t *testing.T) {
	d := newDocServer(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	ts := startCIMDServer(t, cimdOn, d, cimd.Options{AllowPrivate: true, Timeout: 300 * time.Millisecond})
	conf := docApp(ts, d)
	b := signedInAgent(t, ts)
	for _, tc := range []struct {
		name  string
		serve http.HandlerFunc
		redir string // redirect_uri asked for ("": the app's)
		want  string
	}{
		{"oversize", serveJSON(d.doc(map[string]any{"client_name": strings.Repeat("x", cimd.MaxBytes)}), "no-store"), "", "larger than 64 KiB"},
		{"slow", func(http.ResponseWriter, *http.Request) { <-release }, "", "no answer within 300ms"},
		{"invalid JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"client_id": `)) }, "", "not a JSON object"},
		{"client_id mismatch", serveJSON(d.doc(map[string]any{"client_id": "https://elsewhere.example/client.json"}), "no-store"), "",
			"client_id is not the URL it was fetched from"},
		{"client_secret_basic", serveJSON(d.doc(map[string]any{"token_endpoint_auth_method": "client_secret_basic"}), "no-store"), "",
			"token_endpoint_auth_method must be none"},
		{"a secret in the document", serveJSON(d.doc(map[string]any{"client_secret": "s3cret"}), "no-store"), "", "must not contain a client secret"},
		{"password grant", serveJSON(d.doc(map[string]any{"grant_types": []string{"authorization_code", "password"}}), "no-store"), "",
			"public app cannot use the password grant"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/other.json", http.StatusFound) }, "",
			"answered 302 (redirects are not followed)"},
		{"redirect_uri not in the document", serveJSON(d.doc(nil), "no-store"), "https://evil.example/cb", "has not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.Clock.Add(cimd.FailureAge)
			d.set(tc.serve)
			c := *conf
			if tc.redir != "" {
				c.RedirectURL = tc.redir
			}
			resp, body := get(t, b, c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
			require.Contains(t, htmlUnescape(body), tc.want)
		})
	}
}

// A refused document is remembered for cimd.FailureAge: requests naming it
// get the same refusal without a fetch, and once that passes it is fetched
// again (and used, now that it is fixed).
func TestMetadataDocumentRefusalRemembered(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, cimdOn, d, cimd.Options{AllowPrivate: true})
	conf := docApp(ts, d)
	b := signedInAgent(t, ts)
	authorize := func() (*http.Response, string) {
		t.Helper()
		return get(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	}
	d.set(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"client_id": `)) })
	for range 2 {
		resp, body := authorize()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		require.Contains(t, htmlUnescape(body), "not a JSON object")
	}
	require.EqualValues(t, 1, d.fetches.Load(), "a refusal is remembered")

	d.set(serveJSON(d.doc(nil), "max-age=60")) // fixed
	ts.Clock.Add(cimd.FailureAge - time.Second)
	resp, body := authorize()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	require.EqualValues(t, 1, d.fetches.Load(), "within FailureAge: no refetch")

	ts.Clock.Add(time.Second)
	resp, body = authorize()
	require.Equal(t, "/consent", resp.Request.URL.Path, body)
	require.EqualValues(t, 2, d.fetches.Load(), "after FailureAge: refetched")
}

// Documents are cached as their HTTP headers allow, across requests.
func TestMetadataDocumentCaching(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, cimdOn, d, cimd.Options{AllowPrivate: true})
	conf := docApp(ts, d)
	b := signedInAgent(t, ts)
	authorizeOnce := func() {
		t.Helper()
		resp, body := get(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		require.Equal(t, "/consent", resp.Request.URL.Path, body)
	}
	d.set(serveJSON(d.doc(nil), "public, max-age=60"))
	firstSeen := ts.Clock.Now()
	authorizeOnce()
	authorizeOnce()
	require.EqualValues(t, 1, d.fetches.Load(), "within max-age: no refetch")
	ts.Clock.Add(61 * time.Second)
	authorizeOnce()
	require.EqualValues(t, 2, d.fetches.Load(), "after max-age: refetched")

	d.set(serveJSON(d.doc(nil), "no-store"))
	ts.Clock.Add(61 * time.Second)
	authorizeOnce()
	authorizeOnce()
	// Each authorization resolves the client twice: the request, and the
	// consent page continuing it.
	require.EqualValues(t, 2+4, d.fetches.Load(), "no-store: fetched each time")

	// A day is the most, whatever the document says. (The session ends
	// before that: these requests resolve the client once, then ask the
	// user to sign in.)
	d.set(serveJSON(d.doc(nil), "max-age=31536000"))
	authorizeOnce()
	require.EqualValues(t, 7, d.fetches.Load())
	anon := func() {
		resp, body := get(t, browser(t), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		require.Equal(t, "/login", resp.Request.URL.Path, body)
	}
	ts.Clock.Add(24*time.Hour - time.Second)
	anon()
	require.EqualValues(t, 7, d.fetches.Load(), "cached for a day")
	ts.Clock.Add(2 * time.Second)
	anon()
	require.EqualValues(t, 8, d.fetches.Load(), "max-age capped at 24h")

	// A changed document changes the recorded client; first seen stays.
	d.set(serveJSON(d.doc(map[string]any{"client_name": "Renamed"}), "no-store"))
	ts.Clock.Add(24*time.Hour + time.Second)
	anon()
	cl, err := ts.Store.GetClient(context.Background(), d.URL())
	require.NoError(t, err)
	require.Equal(t, "Renamed", cl.Name)
	require.True(t, cl.CreatedAt.Equal(firstSeen), "first seen: %v, want %v", cl.CreatedAt, firstSeen)
}

// The other endpoints that take a client_id resolve documents too: device
// authorization (for a document listing the device grant) and revocation.
func TestMetadataDocumentDeviceAndRevoke(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, cimdOn, d, cimd.Options{AllowPrivate: true})
	d.set(serveJSON(d.doc(map[string]any{"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code"}, "redirect_uris": nil}), ""))
	resp, body := postForm(t, browser(t), ts.URL+"/oauth2/device_authorization", url.Values{"client_id": {d.URL()}, "scope": {"openid"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `"device_code"`)

	resp, body = postForm(t, browser(t), ts.URL+"/oauth2/revoke", url.Values{"client_id": {d.URL()}, "token": {"unknown"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = postForm(t, browser(t), ts.URL+"/oauth2/revoke", url.Values{"client_id": {"https://127.0.0.1:1/none.json"}, "token": {"x"}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	require.Contains(t, body, "invalid_client")
}
