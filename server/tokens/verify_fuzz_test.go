package tokens_test

import (
	"context"
	"testing"

	"gatehouse/server/tokens"
)

// FuzzVerifyAccess: VerifyAccess never panics on an arbitrary string and
// accepts only a token this Issuer issued, byte for byte (ES256 and RS256
// keys both exist, so either may be attacked).
func FuzzVerifyAccess(f *testing.F) {
	fx := newFixture(f, "ES256")
	ctx := context.Background()
	issued := map[string]bool{}
	for _, alg := range []string{"ES256", "RS256"} {
		is := tokens.NewIssuer(fx.keys, tokens.IssuerOptions{Issuer: iss, AccessAlg: alg, Now: fx.clk.Now})
		tok, _, err := is.IssueAccess(ctx, tokens.AccessRequest{Subject: fx.accID, Audience: []string{iss}, ClientID: "gatehouse", Scope: "profile"})
		if err != nil {
			f.Fatal(err)
		}
		issued[tok] = true
		f.Add(tok)
	}
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2dhdGVob3VzZS50ZXN0In0.")
	f.Fuzz(func(t *testing.T, token string) {
		for _, aud := range []string{iss, tokens.AnyAudience} {
			c, err := fx.iss.VerifyAccess(ctx, token, aud)
			if err == nil && (c == nil || !issued[token]) {
				t.Fatalf("accepted a token not issued by the Issuer: %q", token)
			}
		}
	})
}

// A token is accepted in one spelling only: changing the last character of
// a segment to one that a lenient base64 decoder reads as the same bytes
// (the unused low bits) is refused. FuzzVerifyAccess did not reach this in
// its run; it is the kind of input it looks for.
func TestAccessTokenHasOneSpelling(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		f := newFixture(t, alg)
		tok := f.issue(t)
		for i, c := range tok {
			if i+1 != len(tok) && tok[i+1] != '.' {
				continue // only a segment's last character has unused bits
			}
			for _, alt := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
				if alt == c {
					continue
				}
				changed := tok[:i] + string(alt) + tok[i+1:]
				if _, err := f.iss.VerifyAccess(context.Background(), changed, iss); err == nil {
					t.Fatalf("%s: accepted the token with character %d changed from %q to %q", alg, i, c, alt)
				}
			}
		}
	}
}
