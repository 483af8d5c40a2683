package server_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// oidcPair starts an upstream Gatehouse (an OpenID Connect provider with the
// mock user carol) and a downstream Gatehouse whose provider "up" is of type
// oidc at the upstream's issuer URL, registered there as an app.
func oidcPair(t *testing.T, extra string) (up, down *testServer) {
	up = startServer(t, mockOnly)
	// The downstream checks the upstream's id_tokens against the real clock.
	up.Clock.Add(time.Since(up.Clock.Now()))
	cl, secret, err := apps.Create(context.Background(), up.Store, apps.Spec{Name: "Downstream", Operator: true,
		RedirectURIs: []string{"http://127.0.0.1:9/placeholder"}, Scopes: []string{"openid", "profile", "email"}}, nil, up.Clock.Now())
	require.NoError(t, err)
	down = startServer(t, "session:\n  cookie_name: down_session\nproviders:\n  - name: up\n    type: oidc\n    api_url: "+up.URL+
		"\n    client_id: "+cl.ID+"\n    client_secret: "+secret+"\n"+extra)
	cl.RedirectURIs = []string{down.URL + "/login/up/callback"}
	require.NoError(t, up.Store.UpdateClient(context.Background(), &cl))
	return up, down
}

// consent approves the upstream's consent page the browser is on.
func consent(t *testing.T, b *http.Client, up *testServer, page string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"decision": {"approve"}}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	return postForm(t, b, up.URL+"/consent", form)
}

// Signing in through a generic OpenID Connect upstream, end to end over
// HTTP: discovery, PKCE code flow, the id_token verified against the
// upstream's JWKS, the profile from the claims and userinfo.
func TestSignInWithOIDCUpstream(t *testing.T) {
	up, down := oidcPair(t, "")
	b := browser(t)
	get(t, b, up.URL+"/login/mock") // carol signs in at the upstream
	resp, page := get(t, b, down.URL+"/login/up")
	require.Equal(t, "/consent", resp.Request.URL.Path, "expected the upstream's consent page, got %s", resp.Request.URL)
	resp, body := consent(t, b, up, page)
	if resp.Request.URL.Host != strings.TrimPrefix(down.URL, "http://") || resp.Request.URL.Path != "/account" || !strings.Contains(body, "carol") {
		t.Fatalf("after consent: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	carol, err := up.Store.GetAccountByUsername(context.Background(), "carol")
	require.NoError(t, err)
	id, err := down.Store.GetIdentity(context.Background(), "up", carol.ID)
	require.NoError(t, err, "the downstream identity is keyed by the upstream's sub")
	if id.Email != "carol@example.test" || id.Username != "carol" {
		t.Errorf("identity = %+v", id)
	}
}

// An upstream that does not answer discovery fails its own sign-ins with
// an error page; the downstream started and serves everything else.
func TestOIDCUpstreamDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	down := startServer(t, "providers:\n  - name: up\n    type: oidc\n    api_url: "+dead.URL+"\n    client_id: x\n    client_secret: y\n")
	b := browser(t)
	resp, body := get(t, b, down.URL+"/login/up")
	if resp.StatusCode < 500 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("sign-in with a dead upstream: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, b, down.URL+"/healthz")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
