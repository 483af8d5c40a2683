package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// IDRequest is what an OpenID Connect id_token says.
type IDRequest struct {
	Subject  string
	ClientID string
	Nonce    string
	AuthTime time.Time
	AMR      []string
	// AccessToken and Code, when set, give at_hash and c_hash.
	AccessToken string
	Code        string
	// Claims are the scope-dependent user claims (name, email, ...).
	Claims map[string]any
	// Alg is the client's id_token algorithm; default RS256.
	Alg string
	// SID is the browser session's public id (see SID), when there is one.
	SID string
}

// IssueIDToken signs an id_token (OpenID Connect Core §2) for r.
func (i *Issuer) IssueIDToken(ctx context.Context, r IDRequest) (string, error) {
	alg := r.Alg
	if alg == "" {
		alg = "RS256"
	}
	now := i.opts.Now()
	claims := jwt.MapClaims{}
	for k, v := range r.Claims {
		claims[k] = v
	}
	claims["iss"], claims["sub"], claims["aud"], claims["azp"] = i.opts.Issuer, r.Subject, r.ClientID, r.ClientID
	claims["iat"], claims["exp"] = now.Unix(), now.Add(i.opts.AccessTTL).Unix()
	if !r.AuthTime.IsZero() {
		claims["auth_time"] = r.AuthTime.Unix()
	}
	if r.Nonce != "" {
		claims["nonce"] = r.Nonce
	}
	if r.SID != "" {
		claims["sid"] = r.SID
	}
	if len(r.AMR) > 0 {
		claims["amr"] = r.AMR
	}
	if r.AccessToken != "" {
		claims["at_hash"] = halfHash(r.AccessToken)
	}
	if r.Code != "" {
		claims["c_hash"] = halfHash(r.Code)
	}
	tok, err := i.sign(ctx, alg, "JWT", claims)
	if err != nil {
		return "", fmt.Errorf("id_token: %w", err)
	}
	return tok, nil
}

// halfHash is the OIDC at_hash/c_hash: the left half of SHA-256, base64url
// (our id_token algorithms, RS256 and ES256, both use SHA-256).
func halfHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// IssueAccessTTL is IssueAccess with a per-client lifetime (0 = default).
func (i *Issuer) IssueAccessTTL(ctx context.Context, r AccessRequest, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		return i.IssueAccess(ctx, r)
	}
	j := *i
	j.opts.AccessTTL = ttl
	return j.IssueAccess(ctx, r)
}
