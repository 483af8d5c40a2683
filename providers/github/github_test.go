package github_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/providers"
	"gatehouse/providers/github"
	"gatehouse/providers/providertest"
)

const callback = providertest.CallbackURL

func newGitHub(t *testing.T, f *providertest.Fake, scopes ...string) providers.Provider {
	t.Helper()
	p, err := github.New(providers.Config{Name: "github", Type: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
		Scopes: scopes, HTTPClient: &http.Client{Timeout: 2 * time.Second},
		AuthURL: f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath),
		EmailsURL: f.At(f.EmailsPath), DeviceURL: f.At(f.DevicePath), CheckTokenURL: f.At("/applications/{client_id}/token")})
	require.NoError(t, err)
	return p
}

func fakeGitHub(t *testing.T) *providertest.Fake {
	f := providertest.New(t)
	setupGitHub(f)
	return f
}

func setupGitHub(f *providertest.Fake) {
	f.Profile = map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": nil, "avatar_url": "https://avatars.example/u/1"}
	f.Emails = []map[string]any{
		{"email": "old@example.test", "primary": false, "verified": true},
		{"email": "octo@example.test", "primary": true, "verified": true},
	}
}

// The behaviour every provider shares (providertest.Run): GitHub's
// e-mail is verified when /user/emails says so.
func TestProviderSuite(t *testing.T) {
	providertest.Run(t, func(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
		p, err := github.New(providers.Config{Name: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret, HTTPClient: c,
			AuthURL: f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath), EmailsURL: f.At(f.EmailsPath)})
		require.NoError(t, err)
		return p
	}, providertest.Options{
		Setup: setupGitHub,
		Want: providers.Identity{Subject: "583231", Username: "octocat", Name: "The Octocat", Email: "octo@example.test",
			EmailVerified: true, AvatarURL: "https://avatars.example/u/1"},
		PKCE: true,
		Unverified: func(f *providertest.Fake) {
			f.Emails = []map[string]any{{"email": "octo@example.test", "primary": true, "verified": false}}
		},
	})
}

// GitHub's specifics of the sign-in: default scopes, its Accept header,
// client credentials in the body.
func TestSignInRequests(t *testing.T) {
	f := fakeGitHub(t)
	start, _, err := providertest.SignIn(t, newGitHub(t, f), "state-123456")
	require.NoError(t, err)
	au, _ := url.Parse(start.URL)
	if q := au.Query(); q.Get("scope") != "read:user user:email" {
		t.Errorf("authorize query = %v", q)
	}
	if strings.Contains(start.URL, "code_verifier") {
		t.Errorf("verifier leaked into the authorize URL")
	}
	tr := f.Requests(f.TokenPath)
	require.Len(t, tr, 1)
	if tr[0].Form.Get("client_secret") != f.ClientSecret || tr[0].Header.Get("Authorization") != "" {
		t.Errorf("token request = %+v", tr[0])
	}
	pr := f.Requests(f.ProfilePath)
	require.Len(t, pr, 1)
	if pr[0].Header.Get("Accept") != "application/vnd.github+json" || !strings.HasPrefix(pr[0].Header.Get("Authorization"), "Bearer ") {
		t.Errorf("profile request headers = %v", pr[0].Header)
	}
}

func TestEmailChoice(t *testing.T) {
	tests := []struct {
		name         string
		profileEmail any
		emails       []map[string]any
		scopes       []string
		want         string
		verified     bool
	}{
		{"primary verified from /user/emails", nil, []map[string]any{{"email": "p@x.test", "primary": true, "verified": true}}, nil, "p@x.test", true},
		{"none verified is no e-mail", nil, []map[string]any{{"email": "p@x.test", "primary": true, "verified": false}}, nil, "", false},
		{"public address kept when verified", "pub@x.test", []map[string]any{{"email": "pub@x.test", "verified": true}, {"email": "p@x.test", "primary": true, "verified": true}}, nil, "pub@x.test", true},
		{"no e-mail scope: public address, unverified", "pub@x.test", nil, []string{"read:user"}, "pub@x.test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeGitHub(t)
			f.Profile = map[string]any{"id": 7, "login": "u", "email": tt.profileEmail}
			f.Emails = tt.emails
			_, id, err := providertest.SignIn(t, newGitHub(t, f, tt.scopes...), "state-abcdef")
			require.NoError(t, err)
			if id.Email != tt.want || id.EmailVerified != tt.verified {
				t.Errorf("email %q verified %v, want %q %v", id.Email, id.EmailVerified, tt.want, tt.verified)
			}
			if tt.scopes != nil && len(f.Requests(f.EmailsPath)) != 0 {
				t.Errorf("read /user/emails without the scope")
			}
		})
	}
}

func TestUpstreamFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *providertest.Fake)
	}{
		{"token error with 200", func(f *providertest.Fake) { f.Faults[f.TokenPath] = providertest.ErrorBody200 }},
		{"profile hangs", func(f *providertest.Fake) { f.Faults[f.ProfilePath] = providertest.Hang }},
		{"profile without id", func(f *providertest.Fake) { f.Profile = map[string]any{"login": "x"} }},
		{"profile id not a number", func(f *providertest.Fake) { f.Profile = `{"id":"abc","login":"x"}` }},
		{"emails 500", func(f *providertest.Fake) { f.Faults[f.EmailsPath] = providertest.Status500 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeGitHub(t)
			tt.setup(f)
			p, err := github.New(providers.Config{Name: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
				HTTPClient: &http.Client{Timeout: 300 * time.Millisecond},
				AuthURL:    f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath), EmailsURL: f.At(f.EmailsPath)})
			require.NoError(t, err)
			_, _, err = providertest.SignIn(t, p, "state-abcdef")
			if !errors.Is(err, providers.ErrUpstream) {
				t.Errorf("err = %v, want ErrUpstream", err)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	f := fakeGitHub(t)
	p := newGitHub(t, f)
	if id := providertest.ProvesAudience(t, p, f); id.Subject != "583231" {
		t.Errorf("verified identity = %+v", id)
	}
	if _, ok := providers.As[providers.ScopeDescriber](p); ok {
		t.Errorf("github claims ScopeDescriber")
	}
}

// GitHub's token check decides before the profile is read: 404 (another
// app's token, a personal access token) and 422 are "not ours"; the check
// authenticates as our app with Basic auth and sends the token as JSON.
func TestTokenCheck(t *testing.T) {
	f := fakeGitHub(t)
	tv, _ := providers.As[providers.TokenVerifier](newGitHub(t, f))
	ctx := context.Background()
	pat := f.IssueTokenFor("") // the profile endpoint accepts it; the check does not know it
	if _, err := tv.VerifyAccessToken(ctx, pat); !errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("personal access token: %v", err)
	}
	f.SetFault(f.CheckTokenPath, providertest.Status422)
	if _, err := tv.VerifyAccessToken(ctx, f.IssueToken()); !errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("check answers 422: %v", err)
	}
	f.SetFault(f.CheckTokenPath, providertest.Status500)
	if _, err := tv.VerifyAccessToken(ctx, f.IssueToken()); !errors.Is(err, providers.ErrUpstream) || errors.Is(err, providers.ErrTokenRejected) {
		t.Errorf("check answers 500: %v", err)
	}
	f.SetFault(f.CheckTokenPath, providertest.OK)
	if len(f.Requests(f.ProfilePath)) != 0 {
		t.Errorf("the profile was read for a token the check refused")
	}
	tok := f.IssueToken()
	_, err := tv.VerifyAccessToken(ctx, tok)
	require.NoError(t, err)
	checks := f.Requests(f.CheckTokenPath)
	last := (&http.Request{Header: checks[len(checks)-1].Header})
	if id, secret, ok := last.BasicAuth(); !ok || id != f.ClientID || secret != f.ClientSecret || checks[len(checks)-1].Method != http.MethodPost {
		t.Errorf("check request = %+v", checks[len(checks)-1])
	}
	// Wrong app credentials: GitHub answers 401, an operator's problem, not the token's.
	wrong, err := github.New(providers.Config{Name: "github", ClientID: f.ClientID, ClientSecret: "wrong", ProfileURL: f.At(f.ProfilePath), EmailsURL: f.At(f.EmailsPath), CheckTokenURL: f.At(f.CheckTokenPath)})
	require.NoError(t, err)
	tv, _ = providers.As[providers.TokenVerifier](wrong)
	if _, err := tv.VerifyAccessToken(ctx, tok); !errors.Is(err, providers.ErrUpstream) || errors.Is(err, providers.ErrTokenRejected) {
		t.Errorf("check with wrong app credentials: %v", err)
	}
	_, err = github.New(providers.Config{Name: "github", ClientID: "a", ClientSecret: "b", IntrospectionURL: "https://x.example/i", CheckTokenURL: "nope"})
	if err == nil || !strings.Contains(err.Error(), "introspection_url") || !strings.Contains(err.Error(), "check_token_url: must be") {
		t.Errorf("config errors: %v", err)
	}
}

func TestDeviceFlow(t *testing.T) {
	f := fakeGitHub(t)
	dev, ok := providers.As[providers.DeviceAuthorizer](newGitHub(t, f))
	require.True(t, ok)
	ctx := context.Background()
	da, err := dev.DeviceAuth(ctx)
	require.NoError(t, err)
	if da.UserCode != "WDJB-MJHT" || da.DeviceCode == "" {
		t.Fatalf("device auth = %+v", da)
	}
	for _, code := range []string{"authorization_pending", "slow_down", "expired_token", "access_denied"} {
		f.SetDeviceNext(code)
		_, err := dev.DevicePoll(ctx, da)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != code {
			t.Errorf("poll with %s: %v", code, err)
		}
	}
	f.SetDeviceNext("")
	tok, err := dev.DevicePoll(ctx, da)
	require.NoError(t, err)
	if tok.AccessToken == "" {
		t.Errorf("approved poll gave no token")
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := github.New(providers.Config{Name: "gh", AuthURL: "not a url", APIURL: "https://x"})
	require.Error(t, err)
	for _, want := range []string{"client_id: required", "client_secret: required", "auth_url: must be an absolute", "api_url: not used"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// The request context bounds the upstream calls, not only the client timeout.
func TestCompleteHonoursContext(t *testing.T) {
	f := fakeGitHub(t)
	f.Faults[f.TokenPath] = providertest.Hang
	p, err := github.New(providers.Config{Name: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
		HTTPClient: &http.Client{Timeout: time.Minute},
		AuthURL:    f.At(f.AuthorizePath), TokenURL: f.At(f.TokenPath), ProfileURL: f.At(f.ProfilePath), EmailsURL: f.At(f.EmailsPath)})
	require.NoError(t, err)
	start, err := p.BeginAuth(context.Background(), "state-abcdef", callback)
	require.NoError(t, err)
	params := providertest.Authorize(t, start.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = p.Complete(ctx, start.Session, params, callback)
	if !errors.Is(err, providers.ErrUpstream) || time.Since(began) > 10*time.Second {
		t.Errorf("hanging upstream with a 100 ms context: err %v after %s", err, time.Since(began))
	}
}
