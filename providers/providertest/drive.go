package providertest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"gatehouse/providers"
)

// CallbackURL is the callback URL SignIn passes (nothing listens there:
// Authorize stops at the redirect back to it).
const CallbackURL = "http://127.0.0.1:9/login/test/callback"

// SignIn drives p through a whole sign-in against its upstream: BeginAuth,
// a browser that follows the authorize URL without following the final
// redirect back to us, then Complete with the callback's parameters.
// It returns the Start (to inspect the authorize URL) and Complete's result.
func SignIn(t testing.TB, p providers.Provider, state string) (providers.Start, providers.Identity, error) {
	t.Helper()
	ctx := context.Background()
	start, err := p.BeginAuth(ctx, state, CallbackURL)
	if err != nil {
		t.Fatalf("BeginAuth: %v", err)
	}
	params := Authorize(t, start.URL)
	id, err := p.Complete(ctx, start.Session, params, CallbackURL)
	return start, id, err
}

// Authorize follows an authorize URL like a browser whose user approves,
// and returns the query of the redirect back to the client.
func Authorize(t testing.TB, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// ProvesAudience checks p's providers.TokenVerifier against its upstream
// f: a token f issued to another client is ErrNotIssuedToUs, a token f
// never issued (forged, a personal token) is refused as ErrTokenRejected,
// and a token issued to f.ClientID yields the identity, which it returns.
func ProvesAudience(t testing.TB, p providers.Provider, f *Fake) providers.Identity {
	t.Helper()
	tv, ok := providers.As[providers.TokenVerifier](p)
	if !ok {
		t.Fatalf("%s is not a TokenVerifier", p.Name())
	}
	ctx := context.Background()
	if _, err := tv.VerifyAccessToken(ctx, f.IssueTokenFor("another-app")); !errors.Is(err, providers.ErrNotIssuedToUs) {
		t.Errorf("token of another client: err = %v, want ErrNotIssuedToUs", err)
	}
	if _, err := tv.VerifyAccessToken(ctx, "forged"); !errors.Is(err, providers.ErrTokenRejected) {
		t.Errorf("forged token: err = %v, want ErrTokenRejected", err)
	}
	id, err := tv.VerifyAccessToken(ctx, f.IssueToken())
	if err != nil {
		t.Fatalf("our token: %v", err)
	}
	return id
}
