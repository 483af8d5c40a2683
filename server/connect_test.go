package server_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// snippetRe finds one "Connect your app" snippet by its id.
func snippet(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<pre id="snippet-` + id + `"><code>(.*?)</code></pre>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no snippet %q on the page", id)
	}
	return html.UnescapeString(m[1])
}

// The app page says how to connect: the issuer, discovery and every
// endpoint, and snippets filled with this app's client ID and first
// redirect URI, with the secret as a placeholder.
func TestConnectYourApp(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	status, id := createAppOnPage(t, s.testServer, alice, csrf, url.Values{"name": {"Wiki"},
		"redirect_uris": {"https://wiki.example/oauth2/callback\nhttps://wiki.example/other"}, "grant": {"authorization_code", "refresh_token"}, "scope": {"openid"}})
	require.Equal(t, http.StatusOK, status)
	resp, page := get(t, alice, s.URL+"/apps/"+id)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	iss := s.URL
	for _, want := range []string{
		`id="connect-issuer">` + iss + `<`,
		`id="connect-discovery">` + iss + `/.well-known/openid-configuration<`,
		iss + "/oauth2/authorize", iss + "/oauth2/token", iss + "/oauth2/userinfo", iss + "/oauth2/jwks",
		iss + "/oauth2/revoke", iss + "/oauth2/introspect", iss + "/oauth2/device_authorization",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the app page lacks %q", want)
		}
	}
	// Every URL the discovery document names, whatever it holds today.
	_, disc := get(t, alice, s.URL+"/.well-known/openid-configuration")
	var meta map[string]any
	require.NoError(t, json.Unmarshal([]byte(disc), &meta))
	for k, v := range meta {
		if u, ok := v.(string); ok && (strings.HasSuffix(k, "_endpoint") || k == "jwks_uri") && !strings.Contains(page, "<dt>"+k+"</dt><dd><code>"+u+"</code>") {
			t.Errorf("the app page lacks %s %s", k, u)
		}
	}
	proxy := snippet(t, page, "oauth2-proxy")
	for _, want := range []string{"--provider=oidc", "--oidc-issuer-url=" + iss, "--client-id=" + id,
		"--client-secret='<client secret>'", "--redirect-url=https://wiki.example/oauth2/callback", `--scope "openid email profile groups"`, "# --allowed-group="} {
		if !strings.Contains(proxy, want) {
			t.Errorf("oauth2-proxy snippet lacks %q:\n%s", want, proxy)
		}
	}
	for _, sn := range []struct{ id, want string }{
		{"oauth2-proxy-cfg", `client_id = "` + id + `"`},
		{"grafana", "[auth.generic_oauth]"},
		{"grafana", "auth_url = " + iss + "/oauth2/authorize"},
		{"gitea", "gitea admin auth add-oauth"},
		{"gitea", "--auto-discover-url " + iss + "/.well-known/openid-configuration"},
		{"nextcloud", "occ user_oidc:provider"},
		{"go", `oidc.NewProvider(ctx, "` + iss + `")`},
		{"go", "oauth2.S256ChallengeOption"},
		{"node", "client.discovery("},
		{"node", "client.buildAuthorizationUrl("},
		{"node", "client.authorizationCodeGrant("},
	} {
		if got := snippet(t, page, sn.id); !strings.Contains(got, sn.want) || !strings.Contains(got, id) {
			t.Errorf("snippet %s lacks %q or the client ID:\n%s", sn.id, sn.want, got)
		}
	}
	cl, err := s.Store.GetClient(context.Background(), id)
	require.NoError(t, err)
	if strings.Contains(page, cl.SecretHash) {
		t.Errorf("the app page shows the secret's hash")
	}
}

// App names and redirect URIs are whatever the app's owner typed: the
// page escapes them in HTML, and the shell snippets quote them so a
// pasted command runs nothing.
func TestConnectYourAppEscapesHostileValues(t *testing.T) {
	s := newAdminSetup(t)
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	hostileURI := `https://app.example/cb?x=</code></pre><script>alert(1)</script>'$(touch${IFS}pwned)'`
	status, id := createAppOnPage(t, s.testServer, alice, csrf, url.Values{"name": {`<img src=x onerror=alert(2)>`},
		"redirect_uris": {hostileURI}, "grant": {"authorization_code"}, "scope": {"openid"}})
	require.Equal(t, http.StatusOK, status)
	root, _ := signIn(t, s.testServer, "root", "root password") // an operator looks at alice's app
	_, page := get(t, root, s.URL+"/apps/"+id)
	for _, raw := range []string{"<script>alert(1)", "<img src=x"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page carries %q unescaped", raw)
		}
	}
	proxy := snippet(t, page, "oauth2-proxy")
	want := `--redirect-url='https://app.example/cb?x=</code></pre><script>alert(1)</script>'\''$(touch${IFS}pwned)'\'''`
	if !strings.Contains(proxy, want) {
		t.Errorf("the redirect URI is not shell-quoted in the oauth2-proxy snippet:\n%s", proxy)
	}
	if got := snippet(t, page, "go"); !strings.Contains(got, `RedirectURL:  "https://app.example/cb?x=</code></pre><script>alert(1)</script>'$(touch${IFS}pwned)'",`) {
		t.Errorf("the redirect URI is not a quoted Go string:\n%s", got)
	}
}

// Another user sees neither the app nor its connection details.
func TestConnectYourAppOnlyForOwner(t *testing.T) {
	s := newAdminSetup(t)
	addUser(t, s.testServer, "bob", "bob password")
	alice, csrf := signIn(t, s.testServer, "alice", "alice password")
	_, id := createAppOnPage(t, s.testServer, alice, csrf, url.Values{"name": {"Wiki"},
		"redirect_uris": {"https://wiki.example/cb"}, "grant": {"authorization_code"}, "scope": {"openid"}})
	require.NotEmpty(t, id)
	bob, _ := signIn(t, s.testServer, "bob", "bob password")
	resp, page := get(t, bob, s.URL+"/apps/"+id)
	if resp.StatusCode != http.StatusNotFound || strings.Contains(page, "snippet-") || strings.Contains(page, id) {
		t.Errorf("bob sees alice's app: %d", resp.StatusCode)
	}
}
