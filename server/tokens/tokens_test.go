package tokens_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"gatehouse/server/seal"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

const iss = "https://gatehouse.test"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	st    store.Store
	clk   *clock
	keys  *tokens.Keys
	iss   *tokens.Issuer
	seal  *seal.Sealer
	accID string
}

func newFixture(t testing.TB, alg string) *fixture {
	st := sqlitetest.Open(t)
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	s, err := seal.New(seal.GenerateKey())
	require.NoError(t, err)
	keys := tokens.NewKeys(st, s, tokens.KeyOptions{Now: clk.Now})
	require.NoError(t, keys.Ensure(context.Background()))
	a := store.Account{ID: store.NewID(), Username: "alice", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
	require.NoError(t, st.CreateAccount(context.Background(), &a))
	return &fixture{st: st, clk: clk, keys: keys, seal: s, accID: a.ID,
		iss: tokens.NewIssuer(keys, tokens.IssuerOptions{Issuer: iss, AccessAlg: alg, Now: clk.Now})}
}

func (f *fixture) issue(t *testing.T) string {
	tok, _, err := f.iss.IssueAccess(context.Background(), tokens.AccessRequest{
		Subject: f.accID, Audience: []string{iss}, ClientID: "gatehouse", Scope: "profile", AuthTime: f.clk.Now()})
	require.NoError(t, err)
	return tok
}

func TestAccessRoundTrip(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			f := newFixture(t, alg)
			tok := f.issue(t)
			c, err := f.iss.VerifyAccess(context.Background(), tok, iss)
			require.NoError(t, err)
			if c.Subject != f.accID || c.ClientID != "gatehouse" || c.Scope != "profile" || c.ID == "" || c.AuthTime == 0 {
				t.Errorf("claims = %+v", c)
			}
			parsed, _, err := jwt.NewParser().ParseUnverified(tok, &jwt.MapClaims{})
			require.NoError(t, err)
			if parsed.Header["typ"] != "at+jwt" || parsed.Header["kid"] == "" || parsed.Method.Alg() != alg {
				t.Errorf("header = %v", parsed.Header)
			}
		})
	}
}

// forge signs claims with key under the given header values.
func forge(t *testing.T, method jwt.SigningMethod, key any, kid, typ string, claims jwt.Claims) string {
	tk := jwt.NewWithClaims(method, claims)
	tk.Header["kid"], tk.Header["typ"] = kid, typ
	s, err := tk.SignedString(key)
	require.NoError(t, err)
	return s
}

func TestAccessRejected(t *testing.T) {
	f := newFixture(t, "ES256")
	ctx := context.Background()
	good := f.issue(t)
	kid, _, err := f.keys.Signer(ctx, "ES256")
	require.NoError(t, err)
	now := f.clk.Now()
	claims := tokens.AccessClaims{RegisteredClaims: jwt.RegisteredClaims{Issuer: iss, Subject: f.accID,
		Audience: []string{iss}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsKid, _, err := f.keys.Signer(ctx, "RS256")
	require.NoError(t, err)
	parts := strings.Split(good, ".")
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"mallory"}`)) + "." + parts[2]
	sig := []byte(parts[2])
	sig[5] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	none := forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, "at+jwt", claims)
	hs := forge(t, jwt.SigningMethodHS256, []byte("secret"), kid, "at+jwt", claims)
	wrongIss := claims
	wrongIss.Issuer = "https://evil.test"
	wrongAud := claims
	wrongAud.Audience = []string{"https://other.test"}

	tests := []struct {
		name, token, aud string
	}{
		{"tampered payload", tamperedPayload, iss},
		{"tampered signature", tamperedSig, iss},
		{"unknown kid", forge(t, jwt.SigningMethodES256, other, "not-ours", "at+jwt", claims), iss},
		{"other key under our kid", forge(t, jwt.SigningMethodES256, other, kid, "at+jwt", claims), iss},
		{"alg none", none, iss},
		{"HS256 confusion", hs, iss},
		{"ES256 token naming the RS256 key", forge(t, jwt.SigningMethodES256, other, rsKid, "at+jwt", claims), iss},
		{"wrong typ", forge(t, jwt.SigningMethodES256, other, kid, "JWT", claims), iss},
		{"wrong issuer", forge(t, jwt.SigningMethodES256, other, kid, "at+jwt", wrongIss), iss},
		{"wrong audience", good, "https://other.test"},
		{"wrong audience claim", forge(t, jwt.SigningMethodES256, other, kid, "at+jwt", wrongAud), iss},
		{"garbage", "not.a.jwt", iss},
		{"empty", "", iss},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.iss.VerifyAccess(ctx, tt.token, tt.aud); !errors.Is(err, tokens.ErrInvalidToken) {
				t.Errorf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
	f.clk.Add(16 * time.Minute)
	if _, err := f.iss.VerifyAccess(ctx, good, iss); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("expired token: err = %v", err)
	}
}

func newRefresher(f *fixture) *tokens.Refresher {
	return tokens.NewRefresher(f.st, tokens.RefreshOptions{IdleTTL: time.Hour, AbsoluteTTL: 3 * time.Hour, Now: f.clk.Now})
}

func TestRefreshRotation(t *testing.T) {
	f := newFixture(t, "ES256")
	r := newRefresher(f)
	ctx := context.Background()
	t1, rec, err := r.Issue(ctx, tokens.Grant{AccountID: f.accID, Scope: "openid profile", AuthTime: f.clk.Now()})
	require.NoError(t, err)
	if len(t1) != 43 || rec.ID == t1 || rec.ID != tokens.HashToken(t1) {
		t.Fatalf("token %q stored as %q", t1, rec.ID)
	}
	if _, _, err := r.Rotate(ctx, t1, tokens.RotateOptions{Scope: "openid email"}); !errors.Is(err, tokens.ErrScopeWidened) {
		t.Errorf("widening: %v", err)
	}
	t2, next, err := r.Rotate(ctx, t1, tokens.RotateOptions{Scope: "openid"})
	require.NoError(t, err)
	if next.Scope != "openid" {
		t.Errorf("narrowed scope = %q", next.Scope)
	}
	if _, _, err := r.Rotate(ctx, t1, tokens.RotateOptions{}); !errors.Is(err, tokens.ErrRefreshReused) {
		t.Errorf("reuse: %v", err)
	}
	if _, _, err := r.Rotate(ctx, t2, tokens.RotateOptions{}); !errors.Is(err, tokens.ErrRefreshRevoked) {
		t.Errorf("child after reuse: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 43)} {
		if _, _, err := r.Rotate(ctx, bad, tokens.RotateOptions{}); !errors.Is(err, tokens.ErrRefreshInvalid) {
			t.Errorf("Rotate(%q) = %v", bad, err)
		}
	}
}

func TestRefreshLifetimes(t *testing.T) {
	f := newFixture(t, "ES256")
	r := newRefresher(f)
	ctx := context.Background()
	tok, _, err := r.Issue(ctx, tokens.Grant{AccountID: f.accID, AuthTime: f.clk.Now()})
	require.NoError(t, err)
	// Rotating every 50 minutes keeps it alive, but never past 3 hours.
	for i := 0; i < 3; i++ {
		f.clk.Add(50 * time.Minute)
		tok, _, err = r.Rotate(ctx, tok, tokens.RotateOptions{})
		require.NoError(t, err, "rotation %d", i)
	}
	f.clk.Add(31 * time.Minute) // 3h01m after sign-in
	if _, _, err := r.Rotate(ctx, tok, tokens.RotateOptions{}); !errors.Is(err, tokens.ErrRefreshExpired) {
		t.Errorf("past the absolute lifetime: %v", err)
	}
	idle, _, err := r.Issue(ctx, tokens.Grant{AccountID: f.accID, AuthTime: f.clk.Now()})
	require.NoError(t, err)
	f.clk.Add(61 * time.Minute)
	if _, _, err := r.Rotate(ctx, idle, tokens.RotateOptions{}); !errors.Is(err, tokens.ErrRefreshExpired) {
		t.Errorf("idle expiry: %v", err)
	}
}

func TestRefreshConcurrent(t *testing.T) {
	f := newFixture(t, "ES256")
	r := newRefresher(f)
	tok, _, err := r.Issue(context.Background(), tokens.Grant{AccountID: f.accID, AuthTime: f.clk.Now()})
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := r.Rotate(context.Background(), tok, tokens.RotateOptions{}); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent rotations won, want 1", wins)
	}
}

func BenchmarkIssueAccess(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			f := newFixture(b, alg)
			req := tokens.AccessRequest{Subject: f.accID, Audience: []string{iss}, ClientID: "gatehouse", Scope: "profile"}
			for b.Loop() {
				if _, _, err := f.iss.IssueAccess(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyAccess verifies a token presented again (the cache hit
// API clients get); BenchmarkVerifyAccessFresh verifies distinct tokens
// (full ES256 verification every time).
func BenchmarkVerifyAccess(b *testing.B) {
	f := newFixture(b, "ES256")
	tok, _, err := f.iss.IssueAccess(context.Background(), tokens.AccessRequest{Subject: f.accID, Audience: []string{iss}, ClientID: "gatehouse"})
	require.NoError(b, err)
	for b.Loop() {
		if _, err := f.iss.VerifyAccess(context.Background(), tok, iss); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessFresh(b *testing.B) {
	f := newFixture(b, "ES256")
	toks := make([]string, 5000) // more than the verified-token cache holds: every lookup misses
	for i := range toks {
		t, _, err := f.iss.IssueAccess(context.Background(), tokens.AccessRequest{Subject: f.accID, Audience: []string{iss}, ClientID: "gatehouse"})
		require.NoError(b, err)
		toks[i] = t
	}
	i := 0
	for b.Loop() {
		if _, err := f.iss.VerifyAccess(context.Background(), toks[i%len(toks)], iss); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkRefreshRotate(b *testing.B) {
	f := newFixture(b, "ES256")
	r := newRefresher(f)
	tok, _, err := r.Issue(context.Background(), tokens.Grant{AccountID: f.accID, AuthTime: f.clk.Now()})
	require.NoError(b, err)
	for b.Loop() {
		if tok, _, err = r.Rotate(context.Background(), tok, tokens.RotateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// With a sealer, a token presented again inside the grace window answers
// the same successor; with a wrong key the sealed value does not open.
func TestRefreshGraceSameSuccessor(t *testing.T) {
	f := newFixture(t, "ES256")
	r := tokens.NewRefresher(f.st, tokens.RefreshOptions{Sealer: f.seal, Now: f.clk.Now})
	ctx := context.Background()
	t1, _, err := r.Issue(ctx, tokens.Grant{AccountID: f.accID, AuthTime: f.clk.Now()})
	require.NoError(t, err)
	t2, _, err := r.Rotate(ctx, t1, tokens.RotateOptions{})
	require.NoError(t, err)
	f.clk.Add(tokens.DefaultGrace / 2)
	again, next, err := r.Rotate(ctx, t1, tokens.RotateOptions{})
	require.NoError(t, err)
	if again != t2 || next.ID != tokens.HashToken(t2) || next.Sealed != nil {
		t.Errorf("re-presented inside the window: got another successor (or leaked the sealed value)")
	}
	other, err := seal.New(seal.GenerateKey())
	require.NoError(t, err)
	wrongKey := tokens.NewRefresher(f.st, tokens.RefreshOptions{Sealer: other, Now: f.clk.Now})
	if _, _, err := wrongKey.Rotate(ctx, t1, tokens.RotateOptions{}); err == nil {
		t.Errorf("a successor sealed with another master key opened")
	}
	f.clk.Add(tokens.DefaultGrace)
	if _, _, err := r.Rotate(ctx, t1, tokens.RotateOptions{}); !errors.Is(err, tokens.ErrRefreshReused) {
		t.Errorf("after the window: %v, want reuse", err)
	}
}

// AnyAudience skips only the audience check; a revoked jti is refused
// even when the token is in the verified cache.
func TestAccessAnyAudienceAndRevocation(t *testing.T) {
	f := newFixture(t, "ES256")
	rev := tokens.NewIssuer(f.keys, tokens.IssuerOptions{Issuer: iss, Now: f.clk.Now, Revoked: f.st})
	ctx := context.Background()
	tok, _, err := rev.IssueAccess(ctx, tokens.AccessRequest{Subject: f.accID, Audience: []string{"app_1"}, ClientID: "app_1"})
	require.NoError(t, err)
	if _, err := rev.VerifyAccess(ctx, tok, iss); !errors.Is(err, tokens.ErrInvalidToken) {
		t.Errorf("an app's token verified for the issuer audience: %v", err)
	}
	c, err := rev.VerifyAccess(ctx, tok, tokens.AnyAudience)
	require.NoError(t, err)
	if !c.ThirdParty() || c.FirstParty(iss) {
		t.Errorf("claims %+v: want third-party", c)
	}
	// Revoked elsewhere (another instance writes the list): refused once
	// RevocationRecheck has passed, even from the cache.
	require.NoError(t, f.st.RevokeAccessToken(ctx, c.ID, c.ExpiresAt.Time))
	f.clk.Add(tokens.RevocationRecheck)
	if _, err := rev.VerifyAccess(ctx, tok, tokens.AnyAudience); !errors.Is(err, tokens.ErrInvalidToken) {
		t.Errorf("revoked token from the cache: %v", err)
	}

	// Revoked here: refused at once.
	tok2, _, err := rev.IssueAccess(ctx, tokens.AccessRequest{Subject: f.accID, Audience: []string{"app_1"}, ClientID: "app_1"})
	require.NoError(t, err)
	c2, err := rev.VerifyAccess(ctx, tok2, tokens.AnyAudience)
	require.NoError(t, err)
	require.NoError(t, rev.Revoke(ctx, c2.ID, c2.ExpiresAt.Time))
	if _, err := rev.VerifyAccess(ctx, tok2, tokens.AnyAudience); !errors.Is(err, tokens.ErrInvalidToken) {
		t.Errorf("a token revoked by this instance still verifies: %v", err)
	}
}

// A first-party token is what the first-party checks accept, and nothing
// an app's checks accept.
func TestIssueFirstParty(t *testing.T) {
	f := newFixture(t, "ES256")
	tok, exp, err := f.iss.IssueFirstParty(context.Background(), tokens.FirstPartyRequest{
		AccountID: f.accID, AuthTime: f.clk.Now(), AMR: "github", SignIn: tokens.SignInSession("s1")})
	require.NoError(t, err)
	c, err := f.iss.VerifyAccess(context.Background(), tok, iss)
	require.NoError(t, err)
	if !c.FirstParty(iss) || c.ThirdParty() {
		t.Errorf("first party %v, third party %v; want true, false (claims %+v)", c.FirstParty(iss), c.ThirdParty(), c)
	}
	if c.Subject != f.accID || c.Scope != "" || c.SignIn != "s:s1" || c.AuthTime != f.clk.Now().Unix() ||
		len(c.AMR) != 1 || c.AMR[0] != "github" || !exp.Equal(c.ExpiresAt.Time) {
		t.Errorf("claims = %+v, exp %v", c, exp)
	}
}
