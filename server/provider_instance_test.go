package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers/providertest"
)

// One provider instance serves both sign-in flows: the /login pages and the
// login API's web flow each send their own redirect_uri (and repeat it in
// the code exchange), and the OpenID Connect issuer is discovered once, not
// once per flow.
func TestOneProviderInstanceServesBothFlows(t *testing.T) {
	f := providertest.New(t)
	f.AuthorizePath, f.TokenPath, f.ProfilePath = "/authorize", "/token", "/userinfo"
	f.Profile = map[string]any{"sub": "u-42", "preferred_username": "ann", "email": "ann@example.test", "email_verified": true}
	f.EnableOIDC(t)
	ts := startServer(t, fmt.Sprintf("providers:\n  - name: corp\n    type: oidc\n    client_id: %s\n    client_secret: %s\n    api_url: %s\n",
		f.ClientID, f.ClientSecret, f.URL))

	resp, body := get(t, browser(t), ts.URL+"/login/corp")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/account" {
		t.Fatalf("page sign-in landed on %s (%d):\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	authURL, _, err := loginClient(ts).StartWeb(context.Background(), "corp", "")
	require.NoError(t, err)
	params := providertest.Authorize(t, authURL)
	resp, body = get(t, browser(t), ts.URL+"/v1/login/oauth2/web/callback/corp?"+params.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "as <strong>ann</strong>") {
		t.Fatalf("web flow callback: %d\n%s", resp.StatusCode, body)
	}

	var sent []string
	for _, r := range f.Requests(f.TokenPath) {
		sent = append(sent, r.Form.Get("redirect_uri"))
	}
	require.Equal(t, []string{ts.URL + "/login/corp/callback", ts.URL + "/v1/login/oauth2/web/callback/corp"}, sent)
	if n := len(f.Requests(providertest.DiscoveryPath)); n != 1 {
		t.Errorf("the issuer was discovered %d times, want once (one instance)", n)
	}
}
