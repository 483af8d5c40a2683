package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"gatehouse/providers"
	"gatehouse/server/config"
	"gatehouse/server/oauth"
	"gatehouse/server/signin"
)

// providersTest is `providers test NAME`: one real sign-in through an
// upstream, on a one-off callback listener on a loopback address, and
// what Gatehouse would do with the profile. It creates nothing.
func (c *cli) providersTest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("providers test", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	listen := fs.String("listen", "", "loopback address for the callback listener (default 127.0.0.1, a free port)")
	callback := fs.String("callback-url", "", "the callback URL registered upstream, when it is http://127.0.0.1:PORT/…")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the callback")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: providers test NAME [--listen ADDR] [--callback-url URL] [--timeout D]", errUsage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	pcs := cfg.ProviderConfigs()
	i := slices.IndexFunc(pcs, func(pc providers.Config) bool { return pc.Name == pos[0] })
	if i < 0 {
		return fmt.Errorf("no provider %q in the config (see providers list)", pos[0])
	}
	pc := pcs[i]
	p, err := newProvider(cfg, pc)
	if err != nil {
		return fmt.Errorf("provider %s: %w", pc.Name, err)
	}
	ln, cbURL, err := callbackListener(*listen, *callback)
	if err != nil {
		return err
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	id, err := c.signInOnce(ctx, p, ln, cbURL)
	if err != nil {
		return err
	}
	printIdentity(c, id)
	return c.explainSignIn(context.WithoutCancel(ctx), cfg, pc, id)
}

// callbackListener listens where the callback URL points: a loopback
// address only, since the callback carries an authorization code.
func callbackListener(listen, callback string) (net.Listener, string, error) {
	path := "/callback"
	if callback != "" {
		u, err := url.Parse(callback)
		if err != nil || u.Scheme != "http" || !oauth.IsLoopbackIP(u.Hostname()) || u.Port() == "" || u.Port() == "0" || u.RawQuery != "" || u.Fragment != "" {
			return nil, "", fmt.Errorf("--callback-url: must be http://127.0.0.1:PORT/PATH (a loopback address and port this command listens on), got %q", callback)
		}
		if listen != "" && listen != u.Host {
			return nil, "", fmt.Errorf("--listen %s: the callback URL points at %s", listen, u.Host)
		}
		listen, path = u.Host, cmp.Or(u.Path, "/")
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil || !oauth.IsLoopbackIP(host) {
		return nil, "", fmt.Errorf("--listen: must be a loopback address and port, e.g. 127.0.0.1:8085, got %q", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, "", err
	}
	if callback != "" {
		return ln, callback, nil // exactly as registered upstream
	}
	return ln, "http://" + ln.Addr().String() + path, nil
}

// callbackResult is the outcome of the one callback that passed the state
// check.
type callbackResult struct {
	id  providers.Identity
	err error
}

// signInOnce prints where to go, serves the callback listener until one
// callback with our state completes the sign-in (or ctx ends), and returns
// the upstream identity. A callback with another state is refused and
// noted; the listener keeps waiting for ours.
func (c *cli) signInOnce(ctx context.Context, p providers.Provider, ln net.Listener, cbURL string) (providers.Identity, error) {
	state := rand.Text()
	start, err := p.BeginAuth(ctx, state, cbURL)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("begin sign-in with %s: %w", p.Name(), err)
	}
	fmt.Fprintf(c.stdout, "Register this callback URL with the upstream app (upstreams accept only exact callback URLs;\n"+
		"--callback-url uses one already registered, when it points at 127.0.0.1):\n%s\n", cbURL)
	fmt.Fprintf(c.stdout, "Open this URL in a browser to sign in with %s:\n%s\n", p.DisplayName(), start.URL)
	results, notes := make(chan callbackResult, 1), make(chan string, 16)
	u, _ := url.Parse(cbURL) // built or checked by callbackListener
	srv := &http.Server{Handler: callbackHandler(u.Path, state, results, notes, func(r *http.Request) (providers.Identity, error) {
		return p.Complete(r.Context(), start.Session, r.URL.Query(), cbURL)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // the answer is already in hand
	for {
		select {
		case n := <-notes:
			fmt.Fprintln(c.stderr, n)
		case res := <-results:
			for len(notes) > 0 { // refusals that came first are told first
				fmt.Fprintln(c.stderr, <-notes)
			}
			if res.err != nil {
				return providers.Identity{}, fmt.Errorf("sign-in with %s failed: %w", p.Name(), res.err)
			}
			return res.id, nil
		case <-ctx.Done():
			return providers.Identity{}, fmt.Errorf("no callback came to %s in time (--timeout)", cbURL)
		}
	}
}

// callbackHandler serves the callback path: state checked first (in
// constant time), then only the first matching callback completes.
func callbackHandler(path, state string, results chan<- callbackResult, notes chan<- string,
	complete func(*http.Request) (providers.Identity, error)) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(state)) != 1 {
			select {
			case notes <- "refused a callback whose state does not match this test (still waiting)":
			default:
			}
			http.Error(w, "This callback's state does not match the test: refused.", http.StatusBadRequest)
			return
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			http.Error(w, "This test has had its callback already.", http.StatusConflict)
			return
		}
		id, err := complete(r)
		results <- callbackResult{id, err}
		if err != nil {
			http.Error(w, "The sign-in failed: see the terminal.", http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, "Signed in upstream. The terminal shows the profile and what Gatehouse would do; you may close this page.")
	})
}

func printIdentity(c *cli, id providers.Identity) {
	verified := "not verified"
	if id.EmailVerified {
		verified = "verified"
	}
	groups := strings.Join(id.Groups, ", ")
	if id.Groups == nil {
		groups = "(none reported)"
	}
	fmt.Fprintf(c.stdout, "\nUpstream profile:\n  subject:   %s\n  username:  %s\n  e-mail:    %s (%s)\n  name:      %s\n  groups:    %s\n",
		id.Subject, id.Username, id.Email, verified, id.Name, groups)
}

// explainSignIn prints what the admission rules and the account rules
// would decide, reading the database only.
func (c *cli) explainSignIn(ctx context.Context, cfg *config.Config, pc providers.Config, id providers.Identity) error {
	fmt.Fprintln(c.stdout, "\nWhat Gatehouse would do (nothing was created):")
	if err := pc.Admission.Admit(id); err != nil {
		fmt.Fprintf(c.stdout, "  admission: refused (%s): the sign-in stops here\n", strings.TrimPrefix(err.Error(), providers.ErrNotAdmitted.Error()+": "))
		return nil
	}
	fmt.Fprintf(c.stdout, "  admission: admitted (%s)\n", admissionText(admissionOf(pc.Admission)))
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &signin.Service{Store: st, Now: time.Now, TrustEmail: cfg.TrustedEmailProviders(), Signup: signin.Signup(cfg.Signup)}
	d, err := svc.Explain(ctx, signin.Request{Provider: pc.Name, Identity: id})
	if err != nil {
		return err
	}
	switch d.Outcome {
	case signin.Existing:
		fmt.Fprintf(c.stdout, "  account:   signs in to %s (%s): %s\n", d.Username, d.AccountID, d.Why)
	case signin.Linked:
		fmt.Fprintf(c.stdout, "  account:   links to %s (%s): %s\n", d.Username, d.AccountID, d.Why)
	case signin.Created:
		if d.Refused != nil {
			fmt.Fprintf(c.stdout, "  account:   refused (%s, signup: %s): %s\n", strings.TrimPrefix(d.Refused.Error(), "signin: "), cfg.Signup, d.Why)
			break
		}
		fmt.Fprintf(c.stdout, "  account:   creates a new account %s: %s\n", d.Username, d.Why)
	}
	return nil
}
