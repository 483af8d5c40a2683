package resource

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the verified claims of an access token.
type Claims struct {
	Issuer    string
	Subject   string // the account; the app's client_id for a machine token
	Audience  []string
	ClientID  string // the app the token was issued to
	Scopes    []string
	Groups    []string
	ID        string // jti
	ExpiresAt time.Time
	// Raw holds every claim as decoded, for those not above.
	Raw map[string]any
}

// HasScope reports whether the token carries scope s.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// algs are the only signature algorithms accepted: never none, never HMAC.
var algs = []string{"ES256", "RS256"}

// Verify checks token (see the package comment) and returns its claims;
// every error wraps ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	mc := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, mc, v.keyfunc(ctx), jwt.WithValidMethods(algs), jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.Identifier), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(v.cfg.Leeway), jwt.WithTimeFunc(v.cfg.Now))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return claimsOf(mc), nil
}

// keyfunc refuses a token that is not an access token (typ, RFC 9068 §4)
// and finds its key by kid; the key's algorithm must be the token's.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		typ, _ := t.Header["typ"].(string)
		if typ = strings.ToLower(typ); typ != "at+jwt" && typ != "application/at+jwt" {
			return nil, fmt.Errorf("typ %q is not at+jwt", typ)
		}
		kid, _ := t.Header["kid"].(string)
		k, err := v.keys.get(ctx, kid)
		if err != nil {
			return nil, err
		}
		if t.Method.Alg() != k.alg {
			return nil, fmt.Errorf("alg %s does not match key %q (%s)", t.Method.Alg(), kid, k.alg)
		}
		return k.pub, nil
	}
}

func claimsOf(mc jwt.MapClaims) *Claims {
	c := &Claims{Raw: mc}
	c.Issuer, _ = mc.GetIssuer()
	c.Subject, _ = mc.GetSubject()
	c.Audience, _ = mc.GetAudience()
	if exp, _ := mc.GetExpirationTime(); exp != nil {
		c.ExpiresAt = exp.Time
	}
	c.ClientID, _ = mc["client_id"].(string)
	c.ID, _ = mc["jti"].(string)
	scope, _ := mc["scope"].(string)
	c.Scopes = strings.Fields(scope)
	groups, _ := mc["groups"].([]any)
	for _, g := range groups {
		if s, ok := g.(string); ok {
			c.Groups = append(c.Groups, s)
		}
	}
	return c
}
