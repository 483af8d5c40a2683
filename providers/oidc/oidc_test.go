package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/oidc"
	"gatehouse/providers/providertest"
)

// fakeOP is an OpenID Connect provider that speaks discovery, JWKS, the
// token endpoint (client_secret_basic, PKCE checked) and userinfo, and
// answers the code exchange with the id_token a test chooses.
type fakeOP struct {
	*httptest.Server
	key      *ecdsa.PrivateKey // published in the JWKS
	idToken  func(op *fakeOP) string
	userinfo map[string]any
	down     atomic.Bool // discovery answers 503
	// introspect, when set, is advertised as introspection_endpoint and
	// answers RFC 7662 for a token (nil: unknown, inactive).
	introspect map[string]map[string]any
}

func newFakeOP(t *testing.T) *fakeOP {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	op := &fakeOP{key: k, userinfo: map[string]any{"sub": "u-42", "email": "ann@example.test", "email_verified": true}}
	mux := http.NewServeMux()
	op.Server = httptest.NewServer(mux)
	t.Cleanup(op.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		if op.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		doc := map[string]any{"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize", "token_endpoint": op.URL + "/token",
			"jwks_uri": op.URL + "/jwks", "userinfo_endpoint": op.URL + "/userinfo", "id_token_signing_alg_values_supported": []string{"ES256"}}
		if op.introspect != nil {
			doc["introspection_endpoint"] = op.URL + "/introspect"
		}
		writeJSON(w, doc)
	})
	mux.HandleFunc("/introspect", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "client-1" || secret != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ans, ok := op.introspect[r.PostFormValue("token")]
		if !ok {
			ans = map[string]any{"active": false}
		}
		writeJSON(w, ans)
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "client-1" || secret != "s3cret" || r.PostFormValue("code") != "good-code" ||
			r.PostFormValue("code_verifier") == "" {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		resp := map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}
		if tok := op.idToken(op); tok != "" {
			resp["id_token"] = tok
		}
		writeJSON(w, resp)
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, op.userinfo)
	})
	return op
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sign makes an id_token with claims, signed by key.
func sign(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	require.NoError(t, err)
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}

func validClaims(op *fakeOP) map[string]any {
	now := time.Now()
	return map[string]any{"iss": op.URL, "sub": "u-42", "aud": "client-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"name": "Ann Example", "preferred_username": "ann"}
}

const callback = "http://127.0.0.1:1/login/corp/callback"

// signIn runs BeginAuth, the exchange and the profile against op.
func signIn(t *testing.T, op *fakeOP) (providers.Identity, error) {
	p := oidc.NewProvider(providers.Config{Name: "corp", ClientID: "client-1", ClientSecret: "s3cret", APIURL: op.URL})
	ctx := context.Background()
	start, err := p.BeginAuth(ctx, "state-1", callback)
	require.NoError(t, err)
	u, _ := url.Parse(start.URL)
	require.Equal(t, op.URL+"/authorize", u.Scheme+"://"+u.Host+u.Path)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || !strings.Contains(q.Get("scope"), "openid") || q.Get("state") != "state-1" ||
		q.Get("redirect_uri") != callback {
		t.Fatalf("authorize URL %s", start.URL)
	}
	return p.Complete(ctx, start.Session, url.Values{"code": {"good-code"}}, callback)
}

func TestIDTokenRefused(t *testing.T) {
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	with := func(k string, v any) func(op *fakeOP) string {
		return func(op *fakeOP) string {
			c := validClaims(op)
			c[k] = v
			return sign(t, op.key, c)
		}
	}
	for name, idToken := range map[string]func(op *fakeOP) string{
		"signed by a key not in the JWKS": func(op *fakeOP) string { return sign(t, other, validClaims(op)) },
		"for another client":              with("aud", "client-2"),
		"from another issuer":             with("iss", "https://evil.example"),
		"expired":                         with("exp", time.Now().Add(-time.Hour).Unix()),
		"missing":                         func(*fakeOP) string { return "" },
		"not a JWT":                       func(*fakeOP) string { return "garbage" },
	} {
		t.Run(name, func(t *testing.T) {
			op := newFakeOP(t)
			op.idToken = idToken
			_, err := signIn(t, op)
			if !errors.Is(err, providers.ErrUpstream) {
				t.Errorf("err = %v, want ErrUpstream", err)
			}
		})
	}
}

// Userinfo for another subject than the verified id_token is refused.
func TestUserinfoForAnotherSubject(t *testing.T) {
	op := newFakeOP(t)
	op.idToken = func(op *fakeOP) string { return sign(t, op.key, validClaims(op)) }
	op.userinfo = map[string]any{"sub": "someone-else", "email": "mallory@example.test", "email_verified": true}
	if _, err := signIn(t, op); !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("err = %v, want ErrUpstream", err)
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []providers.Config{
		{Name: "corp", ClientID: "c", ClientSecret: "s"},                      // no issuer
		{Name: "corp", ClientID: "c", ClientSecret: "s", APIURL: "not a url"}, // bad issuer
		{Name: "corp", ClientSecret: "s", APIURL: "https://accounts.example"}, // no client id
	} {
		if _, err := oidc.New(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	_, err := oidc.New(providers.Config{Name: "corp", ClientID: "c", ClientSecret: "s", APIURL: "https://accounts.example"})
	require.NoError(t, err, "a valid config (no network at construction)")
}

// The login API's token exchange: an id_token must be for our client; an
// access token needs introspection that names our client. The userinfo
// endpoint alone vouches only for whose token it is.
func TestVerifyAccessToken(t *testing.T) {
	op := newFakeOP(t)
	p := oidc.NewProvider(providers.Config{Name: "corp", ClientID: "client-1", ClientSecret: "s3cret", APIURL: op.URL})
	ctx := context.Background()
	if _, err := p.VerifyAccessToken(ctx, "at-1"); !errors.Is(err, providers.ErrCannotProveAudience) {
		t.Errorf("access token without introspection: %v, want ErrCannotProveAudience", err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	with := func(k string, v any) string {
		c := validClaims(op)
		c[k] = v
		return sign(t, op.key, c)
	}
	for name, tc := range map[string]struct {
		token string
		want  error
	}{
		"id_token for another audience":         {with("aud", "client-2"), providers.ErrNotIssuedToUs},
		"id_token authorized for another party": {with("azp", "client-2"), providers.ErrNotIssuedToUs},
		"several audiences, no azp":             {with("aud", []string{"client-1", "api"}), providers.ErrNotIssuedToUs},
		"expired id_token":                      {with("exp", time.Now().Add(-time.Hour).Unix()), providers.ErrTokenRejected},
		"signed by another key":                 {sign(t, other, validClaims(op)), providers.ErrTokenRejected},
		"from another issuer":                   {with("iss", "https://evil.example"), providers.ErrTokenRejected},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := p.VerifyAccessToken(ctx, tc.token); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := p.VerifyAccessToken(ctx, with("exp", time.Now().Add(-time.Hour).Unix())); errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("an expired id_token for us reported as another client's")
	}
	id, err := p.VerifyAccessToken(ctx, with("email", "ann@example.test"))
	require.NoError(t, err)
	if id.Subject != "u-42" || id.Username != "ann" || id.Email != "ann@example.test" {
		t.Errorf("identity from the id_token = %+v", id)
	}
}

// With an introspection_endpoint in discovery, access tokens are checked
// by RFC 7662: active and issued to us, then userinfo for that subject.
func TestVerifyAccessTokenIntrospected(t *testing.T) {
	op := newFakeOP(t)
	op.introspect = map[string]map[string]any{
		"at-1":      {"active": true, "client_id": "client-1", "sub": "u-42"},
		"at-other":  {"active": true, "client_id": "client-2", "aud": []string{"client-2"}, "sub": "u-42"},
		"at-old":    {"active": false},
		"at-aud-us": {"active": true, "aud": "client-1", "sub": "u-42"},
	}
	p := oidc.NewProvider(providers.Config{Name: "corp", ClientID: "client-1", ClientSecret: "s3cret", APIURL: op.URL})
	ctx := context.Background()
	id, err := p.VerifyAccessToken(ctx, "at-1")
	require.NoError(t, err)
	if id.Subject != "u-42" || id.Email != "ann@example.test" || !id.EmailVerified {
		t.Errorf("identity = %+v", id)
	}
	if _, err := p.VerifyAccessToken(ctx, "at-other"); !errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("another client's token: %v", err)
	}
	if _, err := p.VerifyAccessToken(ctx, "at-old"); !errors.Is(err, providers.ErrTokenRejected) || errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("inactive token: %v", err)
	}
	// at-aud-us is ours by aud, but userinfo (which knows only at-1) refuses it.
	if _, err := p.VerifyAccessToken(ctx, "at-aud-us"); !errors.Is(err, providers.ErrTokenRejected) {
		t.Errorf("a token userinfo refuses: %v", err)
	}
}

// A failed discovery is not remembered for good: after its back-off (the
// clock moved on), the next sign-in tries again.
func TestDiscoveryRetried(t *testing.T) {
	op := newFakeOP(t)
	op.down.Store(true)
	now := time.Now()
	p := oidc.NewProvider(providers.Config{Name: "corp", ClientID: "client-1", ClientSecret: "s3cret", APIURL: op.URL,
		Now: func() time.Time { return now }})
	if _, err := p.BeginAuth(context.Background(), "state-1", callback); !errors.Is(err, providers.ErrUpstream) {
		t.Fatalf("discovery while down: %v", err)
	}
	op.down.Store(false)
	if _, err := p.BeginAuth(context.Background(), "state-2", callback); !errors.Is(err, providers.ErrRetryLater) {
		t.Fatalf("discovery during the back-off: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := p.BeginAuth(context.Background(), "state-3", callback); err != nil {
		t.Errorf("discovery after the upstream came back: %v", err)
	}
}

// The behaviour every provider shares, against providertest's fake in its
// OpenID Connect mode (discovery, RS256 id_tokens, userinfo): the e-mail is
// verified when the email_verified claim is true.
func TestProviderSuite(t *testing.T) {
	providertest.Run(t, func(t testing.TB, f *providertest.Fake, c *http.Client) providers.Provider {
		p, err := oidc.New(providers.Config{Name: "corp", ClientID: f.ClientID, ClientSecret: f.ClientSecret, APIURL: f.URL, HTTPClient: c})
		require.NoError(t, err)
		return p
	}, providertest.Options{
		Setup: func(f *providertest.Fake) {
			f.AuthorizePath, f.TokenPath, f.ProfilePath = "/authorize", "/token", "/userinfo"
			f.Profile = map[string]any{"sub": "u-42", "preferred_username": "ann", "email": "ann@example.test", "email_verified": true,
				"name": "Ann Example", "given_name": "Ann", "family_name": "Example", "picture": "https://cdn.example/ann.png"}
			f.EnableOIDC(t)
		},
		Want: providers.Identity{Subject: "u-42", Username: "ann", Email: "ann@example.test", EmailVerified: true,
			Name: "Ann Example", FirstName: "Ann", LastName: "Example", AvatarURL: "https://cdn.example/ann.png"},
		PKCE: true,
		Unverified: func(f *providertest.Fake) {
			f.Profile.(map[string]any)["email_verified"] = false
		},
		Groups: func(f *providertest.Fake, groups []string) { f.Profile.(map[string]any)["groups"] = groups },
	})
}
