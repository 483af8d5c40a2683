package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
)

const appRedirect = "http://127.0.0.1:9/callback"

// newApp registers an app as an operator would (the CLI): vetted, and
// free to use the operator-only grants.
func newApp(t *testing.T, ts *testServer, spec apps.Spec) *oauth2.Config { return newAppB(t, ts, spec) }

func newAppB(t testing.TB, ts *testServer, spec apps.Spec) *oauth2.Config {
	t.Helper()
	if spec.Name == "" {
		spec.Name = "Test App"
	}
	if spec.RedirectURIs == nil {
		spec.RedirectURIs = []string{appRedirect}
	}
	spec.Operator = true
	cl, secret, err := apps.Create(context.Background(), ts.Store, spec, nil, ts.Clock.Now())
	require.NoError(t, err)
	return &oauth2.Config{ClientID: cl.ID, ClientSecret: secret, RedirectURL: appRedirect, Scopes: spec.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: ts.URL + "/oauth2/authorize", TokenURL: ts.URL + "/oauth2/token"}}
}

// agent is a user agent with a cookie jar that follows redirects inside
// Gatehouse and stops at the app's redirect URI.
func agent(t *testing.T) *http.Client {
	b := browser(t)
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "127.0.0.1:9" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// authorize drives the browser from the authorize URL to the app's
// redirect, approving consent when asked. It returns the redirect's URL.
func authorize(t *testing.T, b *http.Client, authURL string, decision string) *url.URL {
	t.Helper()
	resp, body := get(t, b, authURL)
	if resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/consent" {
		form := url.Values{"decision": {decision}}
		for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
			form.Set(m[1], htmlUnescape(m[2]))
		}
		resp, body = postForm(t, b, resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/consent", form)
	}
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("expected a redirect to the app, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

// signedInAgent is an agent signed in with the mock provider.
func signedInAgent(t *testing.T, ts *testServer) *http.Client {
	b := agent(t)
	resp, _ := get(t, b, ts.URL+"/login/mock")
	require.Equal(t, "/account", resp.Request.URL.Path)
	return b
}

func TestCodeFlowWithRealClients(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile", "email", "offline_access"}})
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	provider, err := oidc.NewProvider(ctx, ts.URL)
	require.NoError(t, err)
	b := signedInAgent(t, ts)

	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"))
	back := authorize(t, b, authURL, "approve")
	q := back.Query()
	if q.Get("state") != "st4te" || q.Get("iss") != ts.URL || q.Get("code") == "" {
		t.Fatalf("redirect = %s", back)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token = %+v", tok)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID, Now: ts.Clock.Now}).Verify(ctx, raw)
	require.NoError(t, err)
	if idt.Nonce != "n0nce" {
		t.Errorf("nonce = %q", idt.Nonce)
	}
	require.NoError(t, idt.VerifyAccessToken(tok.AccessToken))
	var claims struct {
		Username string   `json:"preferred_username"`
		Email    string   `json:"email"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	require.NoError(t, idt.Claims(&claims))
	if claims.Username != "carol" || claims.Email != "carol@example.test" || len(claims.AMR) != 1 || claims.AMR[0] != "mock" || claims.AuthTime == 0 {
		t.Errorf("id_token claims = %+v", claims)
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	if ui.Subject != idt.Subject || ui.Email != "carol@example.test" {
		t.Errorf("userinfo = %+v", ui)
	}

	// Refresh through x/oauth2: an expired token makes the source refresh.
	expired := *tok
	expired.Expiry = ts.Clock.Now().Add(-1)
	expired.AccessToken = ""
	fresh, err := conf.TokenSource(ctx, &expired).Token()
	require.NoError(t, err)
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh did not rotate: %+v", fresh)
	}

	// The second authorization skips the consent page: consent is remembered.
	back = authorize(t, b, conf.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier)), "unused")
	if back.Query().Get("code") == "" {
		t.Errorf("remembered consent: %s", back)
	}
}
