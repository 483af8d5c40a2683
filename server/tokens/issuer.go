package tokens

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gatehouse/store"
)

// ErrInvalidToken is the one error VerifyAccess returns (wrapping the
// cause), so callers answer 401 without telling an attacker which check
// failed.
var ErrInvalidToken = errors.New("tokens: invalid access token")

// IssuerOptions tune the Issuer; zero values take defaults.
type IssuerOptions struct {
	Issuer    string        // our public base URL: the iss claim
	AccessTTL time.Duration // default 15 minutes
	AccessAlg string        // "ES256" (default) or "RS256"
	Now       func() time.Time
	Leeway    time.Duration // clock skew accepted when verifying; default 30 s
	// Revoked, if set, lists revoked access tokens by jti; VerifyAccess
	// refuses them (RFC 7009 revocation, replayed codes).
	Revoked store.RevokedAccessTokens
}

// Issuer signs and verifies our access tokens (RFC 9068 JWTs).
type Issuer struct {
	keys     *Keys
	opts     IssuerOptions
	verified *verifiedCache
}

// verifiedCache remembers tokens that passed verification until they
// expire: API clients present the same token many times, and an ES256
// verification costs far more than a map lookup. Bounded: when full it
// starts over.
type verifiedCache struct {
	mu sync.Mutex
	m  map[string]verified
}

// verified is a token that passed verification, and when the revocation
// list last said it was not on it.
type verified struct {
	claims    AccessClaims
	checkedAt time.Time
}

const verifiedCacheSize = 4096

// RevocationRecheck is how long a "not revoked" answer is trusted for a
// cached token: the longest a revocation made at another instance takes to
// be refused here (this instance's own revocations count at once). It
// keeps the revocation list to one read per token per second on hot APIs.
const RevocationRecheck = time.Second

func (v *verifiedCache) get(key string) (verified, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[key]
	return e, ok
}

func (v *verifiedCache) put(key string, e verified) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= verifiedCacheSize {
		v.m = make(map[string]verified, verifiedCacheSize)
	}
	v.m[key] = e
}

// reset forgets every token, so the next use of each reads the revocation
// list again.
func (v *verifiedCache) reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m = make(map[string]verified, verifiedCacheSize)
}

// AccessRequest is what an access token says. To add a claim, add a field
// here and in AccessClaims, and copy it in IssueAccess.
type AccessRequest struct {
	// ID is the jti; "" picks a random one. A caller sets it to record the
	// token before it is signed (a code records what it issued).
	ID       string
	Subject  string
	Audience []string
	ClientID string
	Scope    string
	AuthTime time.Time
	AMR      []string
	// SignIn names the sign-in a first-party token comes from (the sid
	// claim): SignInSession or SignInFamily; "" for OAuth apps' tokens.
	SignIn string
	// Groups is the groups claim, set only when the groups scope was
	// granted; omitted when empty.
	Groups []string
	// Email and EmailVerified are the email claims, set only when the
	// email scope was granted (bearer-mode proxies read them); omitted
	// when Email is empty.
	Email         string
	EmailVerified bool
	// Actor, if set, is the client that exchanged another token for this
	// one (RFC 8693 token exchange): the act claim.
	Actor string
}

// AccessClaims are the claims of our access tokens. Add a claim as a
// field here and in AccessRequest (and IssueAccess); fields tagged
// `json:"-"` are facts the verifier adds, never read from a token.
type AccessClaims struct {
	jwt.RegisteredClaims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope,omitempty"`
	AuthTime int64    `json:"auth_time,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	// SignIn is the sid claim of first-party tokens (AccessRequest.SignIn).
	SignIn string `json:"sid,omitempty"`
	// Groups: the account's groups when the token has the groups scope.
	Groups []string `json:"groups,omitempty"`
	// Email and EmailVerified: the account's address when the token has
	// the email scope (AccessRequest.Email).
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	// Act names the client that got this token by token exchange (RFC
	// 8693 §4.1); nil for a token issued directly.
	Act *Actor `json:"act,omitempty"`
	// APIToken is set by the API-token verifier (server/apitokens) for a
	// personal API token, which is first-party by construction.
	APIToken bool `json:"-"`
}

// Actor is the act claim of an exchanged token (RFC 8693 §4.1): who
// acts for the subject. Ours name a client_id; a nested act (a chain of
// exchanges) is never issued, since an exchanged token cannot be
// exchanged again.
type Actor struct {
	Subject string `json:"sub"`
}

// HasAudience reports whether the token's aud names aud.
func (c *AccessClaims) HasAudience(aud string) bool {
	for _, a := range c.Audience {
		if a == aud {
			return true
		}
	}
	return false
}

// FirstParty reports a token Gatehouse issued for itself (the JWT API, the
// account page): client_id FirstPartyClientID and aud the issuer.
func (c *AccessClaims) FirstParty(issuer string) bool {
	return c.ClientID == FirstPartyClientID && c.HasAudience(issuer)
}

// ThirdParty reports an app's token: its aud names its own client_id
// (RFC 9068 §3: the app is the audience; resource indicators come later).
// Whether that client still exists is the caller's question.
func (c *AccessClaims) ThirdParty() bool {
	return c.ClientID != "" && c.ClientID != FirstPartyClientID && !c.APIToken && c.HasAudience(c.ClientID)
}

// Exchanged reports an app's token made by token exchange (RFC 8693):
// act names the app that asked, client_id is that app, and aud the app it
// is for. Whether those clients still exist is the caller's question.
func (c *AccessClaims) Exchanged() bool {
	return c.Act != nil && c.ClientID != "" && c.ClientID != FirstPartyClientID && !c.APIToken && len(c.Audience) > 0
}

// AnyAudience, passed as VerifyAccess's audience, skips the audience
// check: the caller must then check the audience itself (FirstParty,
// ThirdParty, HasAudience). For endpoints that serve several audiences
// (userinfo, introspection, the first-party API).
const AnyAudience = "\x00any"

// SignInSession names a first-party token's sign-in by its browser
// session (the session ID, the cookie's hash: it opens nothing).
func SignInSession(id string) string { return "s:" + id }

// SignInFamily names a first-party token's sign-in by its refresh-token
// family (the family ID, the first token's hash: it opens nothing).
func SignInFamily(id string) string { return "f:" + id }

// NewIssuer returns an Issuer signing with keys.
func NewIssuer(keys *Keys, opts IssuerOptions) *Issuer {
	if opts.AccessTTL == 0 {
		opts.AccessTTL = 15 * time.Minute
	}
	if opts.AccessAlg == "" {
		opts.AccessAlg = "ES256"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Leeway == 0 {
		opts.Leeway = 30 * time.Second
	}
	return &Issuer{keys: keys, opts: opts, verified: &verifiedCache{m: map[string]verified{}}}
}

// AccessTTL is the lifetime of the access tokens this issuer signs.
func (i *Issuer) AccessTTL() time.Duration { return i.opts.AccessTTL }

// IssueAccess signs an access token for r.
func (i *Issuer) IssueAccess(ctx context.Context, r AccessRequest) (string, time.Time, error) {
	now := i.opts.Now()
	exp := now.Add(i.opts.AccessTTL)
	c := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: i.opts.Issuer, Subject: r.Subject, Audience: r.Audience, ID: r.ID,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
		ClientID: r.ClientID, Scope: r.Scope, AMR: r.AMR,
	}
	if c.ID == "" {
		c.ID = NewJTI()
	}
	if !r.AuthTime.IsZero() {
		c.AuthTime = r.AuthTime.Unix()
	}
	c.SignIn, c.Groups = r.SignIn, r.Groups
	if r.Email != "" {
		c.Email, c.EmailVerified = r.Email, &r.EmailVerified
	}
	if r.Actor != "" {
		c.Act = &Actor{Subject: r.Actor}
	}
	tok, err := i.sign(ctx, i.opts.AccessAlg, "at+jwt", c)
	return tok, exp, err
}

func (i *Issuer) sign(ctx context.Context, alg, typ string, claims jwt.Claims) (string, error) {
	kid, key, err := i.keys.Signer(ctx, alg)
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	t.Header["kid"] = kid
	t.Header["typ"] = typ
	return t.SignedString(key)
}

// VerifyAccess checks an access token's signature (by kid, with the key's
// own algorithm), typ, issuer, audience (unless AnyAudience) and lifetime.
func (i *Issuer) VerifyAccess(ctx context.Context, token, audience string) (*AccessClaims, error) {
	key := audience + "\x00" + token
	now := i.opts.Now()
	e, ok := i.verified.get(key)
	if !ok || !now.Before(e.claims.ExpiresAt.Add(i.opts.Leeway)) {
		c, err := i.verifyAccess(ctx, token, audience)
		if err != nil {
			return nil, err
		}
		e = verified{claims: *c}
	}
	// A revocation may come after the token was cached: the list is read
	// again once RevocationRecheck has passed since it last said no.
	if e.checkedAt.IsZero() || now.Sub(e.checkedAt) >= RevocationRecheck || now.Before(e.checkedAt) {
		if err := i.notRevoked(ctx, e.claims.ID); err != nil {
			return nil, err
		}
		e.checkedAt = now
		i.verified.put(key, e)
	}
	cp := e.claims
	return &cp, nil
}

// notRevoked refuses a token whose jti is on the revocation list. A list
// that cannot be read refuses too.
func (i *Issuer) notRevoked(ctx context.Context, jti string) error {
	if i.opts.Revoked == nil {
		return nil
	}
	revoked, err := i.opts.Revoked.AccessTokenRevoked(ctx, jti)
	switch {
	case err != nil:
		return fmt.Errorf("%w: reading the revocation list: %w", ErrInvalidToken, err)
	case revoked:
		return fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	return nil
}

// Revoke records the access token jti, which expires at exp, as revoked
// (RFC 7009, a replayed code). This instance refuses it at once; others
// within RevocationRecheck.
func (i *Issuer) Revoke(ctx context.Context, jti string, exp time.Time) error {
	if i.opts.Revoked == nil {
		return errors.New("tokens: no revocation list configured")
	}
	if err := i.opts.Revoked.RevokeAccessToken(ctx, jti, exp.Add(i.opts.Leeway)); err != nil {
		return err
	}
	i.verified.reset()
	return nil
}

// NewJTI returns a fresh access-token ID.
func NewJTI() string { return RandomToken()[:22] }

func (i *Issuer) verifyAccess(ctx context.Context, token, audience string) (*AccessClaims, error) {
	var c AccessClaims
	// Strict base64: a token has one spelling, the one we issued (a lenient
	// decoder ignores a segment's unused last bits).
	opts := []jwt.ParserOption{jwt.WithValidMethods(algs), jwt.WithIssuer(i.opts.Issuer), jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(i.opts.Leeway), jwt.WithTimeFunc(i.opts.Now)}
	if audience != AnyAudience {
		opts = append(opts, jwt.WithAudience(audience))
	}
	_, err := jwt.ParseWithClaims(token, &c, i.keyfunc(ctx, "at+jwt"), opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return &c, nil
}

// keyfunc finds the key by kid and refuses a token whose alg or typ does
// not match: no algorithm confusion, no id_token used as an access token.
func (i *Issuer) keyfunc(ctx context.Context, typ string) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if got, _ := t.Header["typ"].(string); got != typ {
			return nil, fmt.Errorf("typ %q, want %q", got, typ)
		}
		kid, _ := t.Header["kid"].(string)
		pub, alg, err := i.keys.Verifier(ctx, kid)
		if err != nil {
			return nil, err
		}
		if t.Method.Alg() != alg {
			return nil, fmt.Errorf("alg %s does not match key %s (%s)", t.Method.Alg(), kid, alg)
		}
		return pub, nil
	}
}

// FirstPartyClientID is the client_id of tokens Gatehouse issues for itself
// (the JWT token-auth API and the account page), as opposed to OAuth apps.
const FirstPartyClientID = "gatehouse"
