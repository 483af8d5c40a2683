package resource_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"gatehouse/resource"
)

const api = "https://things.example/api"

// issuer is a fake Gatehouse: discovery and a JWKS whose keys the test
// changes, counting JWKS fetches.
type issuer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey
	fetches int
	name    string // the issuer its discovery names; "" = its URL
}

func newIssuer(t *testing.T) *issuer {
	is := &issuer{keys: map[string]*ecdsa.PrivateKey{}}
	is.srv = httptest.NewServer(http.HandlerFunc(is.serve))
	t.Cleanup(is.srv.Close)
	is.addKey("k1")
	return is
}

func (is *issuer) serve(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	defer is.mu.Unlock()
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		name := is.name
		if name == "" {
			name = is.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": name, "jwks_uri": is.srv.URL + "/jwks"})
	case "/jwks":
		is.fetches++
		set := jose.JSONWebKeySet{}
		for kid, k := range is.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(set)
	default:
		http.NotFound(w, r)
	}
}

func (is *issuer) addKey(kid string) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys[kid] = k
}

func (is *issuer) fetchCount() int { is.mu.Lock(); defer is.mu.Unlock(); return is.fetches }

// token signs claims (defaults filled in) with key kid, typ at+jwt.
func (is *issuer) token(t *testing.T, kid string, edit func(jwt.MapClaims, map[string]any)) string {
	claims := jwt.MapClaims{"iss": is.srv.URL, "sub": "u1", "aud": []string{api}, "client_id": "app",
		"scope": "read:things write:things", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "groups": []string{"ops"}}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"], tok.Header["typ"] = kid, "at+jwt"
	if edit != nil {
		edit(claims, tok.Header)
	}
	is.mu.Lock()
	key := is.keys[kid]
	is.mu.Unlock()
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: now} }
func (is *issuer) url() string       { return is.srv.URL }
func bearerReq(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/things", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// protected is a handler behind the middleware that echoes the subject.
func protected(t *testing.T, is *issuer, clk *clock, scopes ...string) http.Handler {
	v, err := resource.NewVerifier(context.Background(), resource.Config{Issuer: is.url(), Identifier: api, Now: clk.Now})
	require.NoError(t, err)
	return v.Middleware(scopes...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := resource.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(c.Subject + " " + c.ClientID + " " + strings.Join(c.Groups, ",")))
	}))
}

func serve(h http.Handler, tok string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, bearerReq(tok))
	return w
}

func TestValidTokenReachesTheHandler(t *testing.T) {
	is, clk := newIssuer(t), newClock()
	w := serve(protected(t, is, clk, "read:things"), is.token(t, "k1", nil))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, "u1 app ops", w.Body.String())
}

func TestRefusedTokens(t *testing.T) {
	is, clk := newIssuer(t), newClock()
	h := protected(t, is, clk)
	hs256 := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": is.url(), "aud": api, "exp": now.Add(time.Minute).Unix()})
	hs256.Header["kid"], hs256.Header["typ"] = "k1", "at+jwt"
	hsTok, _ := hs256.SignedString([]byte("a shared secret nobody should accept"))
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": is.url(), "aud": api, "exp": now.Add(time.Minute).Unix()})
	none.Header["kid"], none.Header["typ"] = "k1", "at+jwt"
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	cases := map[string]string{
		"wrong aud":   is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { c["aud"] = []string{"https://other.example"} }),
		"client aud":  is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "app" }),
		"wrong iss":   is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "https://evil.example" }),
		"expired":     is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }),
		"no exp":      is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { delete(c, "exp") }),
		"not yet":     is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }),
		"future iat":  is.token(t, "k1", func(c jwt.MapClaims, _ map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }),
		"id_token":    is.token(t, "k1", func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "JWT" }),
		"alg none":    noneTok,
		"alg HS256":   hsTok,
		"garbage":     "not.a.token",
		"bad sig":     is.token(t, "k1", nil)[:40] + "x" + is.token(t, "k1", nil)[41:],
		"unknown kid": is.token(t, "k1", func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "nope" }),
	}
	for what, tok := range cases {
		w := serve(h, tok)
		require.Equal(t, http.StatusUnauthorized, w.Code, what)
		require.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_token"`, what)
		require.Contains(t, w.Header().Get("WWW-Authenticate"), `Bearer realm="`+api+`"`, what)
	}
	w := serve(h, "")
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Equal(t, `Bearer realm="`+api+`"`, w.Header().Get("WWW-Authenticate"), "no token: no error code (RFC 6750 §3.1)")
	// Within the leeway a token just expired is still good.
	clk.Add(5*time.Minute + 10*time.Second)
	require.Equal(t, http.StatusOK, serve(h, is.token(t, "k1", nil)).Code)
}

func TestMissingScope(t *testing.T) {
	is, clk := newIssuer(t), newClock()
	h := protected(t, is, clk, "read:things", "admin")
	w := serve(h, is.token(t, "k1", nil))
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, `Bearer realm="`+api+`", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="read:things admin"`,
		w.Header().Get("WWW-Authenticate"))
}

func TestKeyRotation(t *testing.T) {
	is, clk := newIssuer(t), newClock()
	h := protected(t, is, clk)
	require.Equal(t, 1, is.fetchCount())
	require.Equal(t, http.StatusOK, serve(h, is.token(t, "k1", nil)).Code)
	require.Equal(t, 1, is.fetchCount(), "a known key is not fetched again")

	// A token signed with a key published since: the set is fetched again.
	clk.Add(11 * time.Second)
	is.addKey("k2")
	require.Equal(t, http.StatusOK, serve(h, is.token(t, "k2", nil)).Code)
	require.Equal(t, 2, is.fetchCount())

	// Unknown kids do not make it fetch more than once per interval.
	bogus := is.token(t, "k1", func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "nope" })
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, serve(h, bogus).Code)
	}
	require.Equal(t, 2, is.fetchCount())

	// A key the issuer retired is no longer trusted once the cached set
	// is stale.
	clk.Add(time.Hour)
	fresh := func(c jwt.MapClaims, _ map[string]any) {
		c["iat"], c["exp"] = clk.Now().Unix(), clk.Now().Add(time.Minute).Unix()
	}
	retired := is.token(t, "k1", fresh)
	is.mu.Lock()
	delete(is.keys, "k1")
	is.mu.Unlock()
	require.Equal(t, http.StatusUnauthorized, serve(h, retired).Code, "a retired key")
	require.Equal(t, 3, is.fetchCount(), "a stale set is fetched again")
	require.Equal(t, http.StatusOK, serve(h, is.token(t, "k2", fresh)).Code)
}

func TestDiscoveryIssuerChecked(t *testing.T) {
	is := newIssuer(t)
	is.name = "https://evil.example"
	_, err := resource.NewVerifier(context.Background(), resource.Config{Issuer: is.url(), Identifier: api})
	require.ErrorContains(t, err, "names issuer")
	_, err = resource.Middleware(is.url(), "")
	require.Error(t, err, "an API identifier is required")
}
