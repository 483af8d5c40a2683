package providertest

import (
	"crypto/rand"
	"crypto/rsa"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Paths the fake serves once EnableOIDC is called.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks"
)

// EnableOIDC makes the fake an OpenID Connect provider as well: discovery
// at DiscoveryPath (the issuer is f.URL), its JWKS at JWKSPath, an id_token
// in every token answer (RS256; iss, aud = ClientID, and the claims of
// Profile, which must be a map with "sub"), and userinfo at ProfilePath.
// Call it before the first request.
func (f *Fake) EnableOIDC(t testing.TB) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.oidc = &oidcKey{key: k}
}

type oidcKey struct{ key *rsa.PrivateKey }

// serveOIDC answers discovery and the JWKS; false for other paths.
func (f *Fake) serveOIDC(w http.ResponseWriter, r *http.Request) bool {
	if f.oidc == nil {
		return false
	}
	switch r.URL.Path {
	case DiscoveryPath:
		writeJSON(w, http.StatusOK, map[string]any{"issuer": f.URL, "authorization_endpoint": f.At(f.AuthorizePath),
			"token_endpoint": f.At(f.TokenPath), "userinfo_endpoint": f.At(f.ProfilePath), "jwks_uri": f.At(JWKSPath),
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	case JWKSPath:
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &f.oidc.key.PublicKey, KeyID: "k1", Algorithm: string(jose.RS256), Use: "sig"}}})
	default:
		return false
	}
	return true
}

// idToken signs the profile's claims as an id_token for ClientID.
func (f *Fake) idToken() string {
	claims := map[string]any{}
	f.mu.Lock()
	if m, ok := f.Profile.(map[string]any); ok {
		maps.Copy(claims, m)
	}
	for _, c := range f.IDTokenOmit {
		delete(claims, c)
	}
	f.mu.Unlock()
	now := time.Now()
	claims["iss"], claims["aud"], claims["iat"], claims["exp"] = f.URL, f.ClientID, now.Unix(), now.Add(time.Hour).Unix()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.oidc.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		return ""
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return ""
	}
	return tok
}
