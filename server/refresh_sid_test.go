package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// A refresh's id_token names the browser session the family was granted
// in (sid), like the code grant's, so a back-channel-logout app can match
// it; rotation after rotation keeps it.
func TestRefreshIDTokenKeepsSID(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	conf := newApp(t, ts, apps.Spec{Name: "Logout aware", Scopes: []string{"openid", "profile", "offline_access"}})
	conf.Scopes = []string{"openid", "profile", "offline_access"}
	tok, first := oidcSignIn(t, ts, b, conf)
	sid, _ := first["sid"].(string)
	require.NotEmpty(t, sid, "the code grant's id_token has a sid: %v", first)

	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	provider, err := oidc.NewProvider(ctx, ts.URL)
	require.NoError(t, err)
	verifier := provider.Verifier(&oidc.Config{ClientID: conf.ClientID, Now: ts.Clock.Now})
	rt := tok.RefreshToken
	for i := range 2 {
		resp, m := tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, conf.ClientID, conf.ClientSecret)
		require.Equal(t, http.StatusOK, resp.StatusCode, m)
		raw, _ := m["id_token"].(string)
		idt, err := verifier.Verify(ctx, raw)
		require.NoError(t, err, "refresh %d", i+1)
		var claims map[string]any
		require.NoError(t, idt.Claims(&claims))
		require.Equal(t, sid, claims["sid"], "refresh %d: the id_token's sid", i+1)
		rt = m["refresh_token"].(string)
	}
}
