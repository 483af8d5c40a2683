package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"gatehouse/providers"
)

// Factory builds the provider under test, configured for the fake
// upstream f (its ClientID, ClientSecret and endpoint URLs) and using
// client for every upstream call.
type Factory func(t testing.TB, f *Fake, client *http.Client) providers.Provider

// Options say what the provider under test does, so Run checks exactly
// the behaviours it supports.
type Options struct {
	// Setup shapes the fake like the provider's upstream: its paths and
	// the profile of the happy path (Profile, and Emails for GitHub).
	Setup func(f *Fake)
	// Want is the identity the happy path's profile maps to (Raw is
	// checked to be the profile as JSON, not compared).
	Want providers.Identity
	// PKCE: the provider sends an S256 code_challenge and its verifier.
	PKCE bool
	// Unverified makes the upstream say the e-mail of the happy path is
	// not verified (an email_verified claim or field set to false, GitHub's
	// list saying so). nil for upstreams that never vouch for an e-mail;
	// then Want.EmailVerified must be false.
	Unverified func(f *Fake)
	// Groups makes the upstream say the happy path's user is in groups
	// (as the provider names them: "acme", "acme/ops" for GitHub); nil for
	// providers that know no groups, or whose factory does not ask for
	// them. Want.Groups is what the happy path's Setup gives.
	Groups func(f *Fake, groups []string)
	// MissingScope makes the user withhold the scope the provider needs
	// for the groups: Complete then fails with ErrMissingScope.
	MissingScope func(f *Fake)
}

// timeouts of the suite's HTTP clients: generous for the happy path, short
// where the upstream hangs (the fake blocks on a channel until the client
// gives up).
const (
	okTimeout   = 10 * time.Second
	hangTimeout = 200 * time.Millisecond
)

// Run runs the behaviour every provider shares against the fake upstream:
// the happy path's identity mapping and authorize/token requests, the
// callback's ?error= (access_denied → ErrAccessDenied, others
// ErrUpstream), a missing code, a failing, garbled or hanging token
// endpoint, a failing or garbled profile, PKCE (where used) and unverified
// e-mails. State is not the provider's job (the server checks it).
func Run(t *testing.T, factory Factory, opts Options) {
	t.Run("sign-in", func(t *testing.T) { runSignIn(t, factory, opts) })
	t.Run("callback errors", func(t *testing.T) { runCallbackErrors(t, factory, opts) })
	for name, fault := range map[string]struct {
		path    func(f *Fake) string
		fault   Fault
		timeout time.Duration
	}{
		"token 500":       {func(f *Fake) string { return f.TokenPath }, Status500, okTimeout},
		"token garbage":   {func(f *Fake) string { return f.TokenPath }, Garbage, okTimeout},
		"token hangs":     {func(f *Fake) string { return f.TokenPath }, Hang, hangTimeout},
		"profile 500":     {func(f *Fake) string { return f.ProfilePath }, Status500, okTimeout},
		"profile garbage": {func(f *Fake) string { return f.ProfilePath }, Garbage, okTimeout},
	} {
		t.Run(name, func(t *testing.T) {
			f, p := newFor(t, factory, opts, fault.timeout)
			start := begin(t, p, "state-fault")
			params := Authorize(t, start.URL)
			f.SetFault(fault.path(f), fault.fault)
			if _, err := p.Complete(context.Background(), start.Session, params, CallbackURL); !errors.Is(err, providers.ErrUpstream) {
				t.Errorf("err = %v, want ErrUpstream", err)
			}
		})
	}
	if opts.PKCE {
		t.Run("PKCE", func(t *testing.T) { runPKCE(t, factory, opts) })
	}
	t.Run("unverified e-mail", func(t *testing.T) { runUnverified(t, factory, opts) })
	if opts.Groups != nil {
		t.Run("groups", func(t *testing.T) { runGroups(t, factory, opts) })
	}
	if opts.MissingScope != nil {
		t.Run("missing scope", func(t *testing.T) { runMissingScope(t, factory, opts) })
	}
}

// newFor starts a fake shaped by opts and builds the provider for it.
func newFor(t *testing.T, factory Factory, opts Options, timeout time.Duration) (*Fake, providers.Provider) {
	f := New(t)
	if opts.Setup != nil {
		opts.Setup(f)
	}
	return f, factory(t, f, &http.Client{Timeout: timeout, Transport: providers.LimitBody(nil, providers.DefaultMaxBody)})
}

func begin(t *testing.T, p providers.Provider, state string) providers.Start {
	t.Helper()
	start, err := p.BeginAuth(context.Background(), state, CallbackURL)
	if err != nil {
		t.Fatalf("BeginAuth: %v", err)
	}
	return start
}

func runSignIn(t *testing.T, factory Factory, opts Options) {
	f, p := newFor(t, factory, opts, okTimeout)
	start, id, err := SignIn(t, p, "state-happy")
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	raw, want := id.Raw, opts.Want
	id.Raw, want.Raw = nil, nil
	if !reflect.DeepEqual(id, want) {
		t.Errorf("identity = %+v\nwant       %+v", id, opts.Want)
	}
	if !json.Valid(raw) || len(raw) < 2 {
		t.Errorf("Raw is not the profile document: %q", raw)
	}
	au, err := url.Parse(start.URL)
	if err != nil {
		t.Fatalf("authorize URL %q: %v", start.URL, err)
	}
	q := au.Query()
	if q.Get("state") != "state-happy" || q.Get("redirect_uri") != CallbackURL || q.Get("client_id") != f.ClientID || q.Get("response_type") != "code" {
		t.Errorf("authorize query = %v", q)
	}
	tr := f.Requests(f.TokenPath)
	if len(tr) != 1 || tr[0].Form.Get("redirect_uri") != CallbackURL || tr[0].Form.Get("grant_type") != "authorization_code" {
		t.Fatalf("token requests = %+v", tr)
	}
	if opts.PKCE && (q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || tr[0].Form.Get("code_verifier") == "") {
		t.Errorf("PKCE S256 not used: authorize %v, token %v", q, tr[0].Form)
	}
}

func runCallbackErrors(t *testing.T, factory Factory, opts Options) {
	f, p := newFor(t, factory, opts, okTimeout)
	start := begin(t, p, "state-err")
	ctx := context.Background()
	if _, err := p.Complete(ctx, start.Session, url.Values{"error": {"access_denied"}, "state": {"state-err"}}, CallbackURL); !errors.Is(err, providers.ErrAccessDenied) {
		t.Errorf("?error=access_denied: %v, want ErrAccessDenied", err)
	}
	_, err := p.Complete(ctx, start.Session, url.Values{"error": {"server_error"}, "state": {"state-err"}}, CallbackURL)
	if !errors.Is(err, providers.ErrUpstream) || errors.Is(err, providers.ErrAccessDenied) {
		t.Errorf("?error=server_error: %v, want ErrUpstream", err)
	}
	if _, err := p.Complete(ctx, start.Session, url.Values{"state": {"state-err"}}, CallbackURL); !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("callback without code: %v, want ErrUpstream", err)
	}
	if n := len(f.Requests(f.TokenPath)); n != 0 {
		t.Errorf("%d token requests for callbacks that carry no code", n)
	}
}

// runPKCE: a code redeemed with another sign-in's verifier is refused by
// the fake, so the provider must send the verifier of the code's own
// challenge.
func runPKCE(t *testing.T, factory Factory, opts Options) {
	_, p := newFor(t, factory, opts, okTimeout)
	first := begin(t, p, "state-one")
	other := begin(t, p, "state-two")
	params := Authorize(t, first.URL)
	if _, err := p.Complete(context.Background(), other.Session, params, CallbackURL); !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("code redeemed with another sign-in's verifier: %v, want ErrUpstream", err)
	}
}

func runUnverified(t *testing.T, factory Factory, opts Options) {
	if opts.Unverified == nil {
		if opts.Want.EmailVerified {
			t.Fatalf("Want.EmailVerified is true but Options.Unverified is nil")
		}
		return // the happy path already showed the e-mail is not vouched for
	}
	if !opts.Want.EmailVerified {
		t.Fatalf("Options.Unverified is set but the happy path's e-mail is not verified: the check could not fail")
	}
	f, p := newFor(t, factory, opts, okTimeout)
	opts.Unverified(f)
	_, id, err := SignIn(t, p, "state-unverified")
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if id.EmailVerified {
		t.Errorf("an e-mail the upstream does not vouch for counts as verified: %+v", id)
	}
}
