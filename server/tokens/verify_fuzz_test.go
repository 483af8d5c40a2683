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
