// Package cimd resolves OAuth Client ID Metadata Documents
// (draft-ietf-oauth-client-id-metadata-document): a client_id that is an
// https URL names a JSON document of client metadata, served by the
// client itself. The Resolver fetches it under fixed limits, checks it
// with the caller's parser, keeps it in a small cache for as long as the
// answer's HTTP caching headers allow (at most a day), and records it as a
// client row (the codes, consents and tokens issued to it refer to one).
// Concurrent misses for one URL share one fetch, and a refused document's
// reason is cached for FailureAge, so neither a burst of requests nor a
// stream of them naming a slow document multiplies the outbound fetches.
//
// The fetch is a request Gatehouse makes to an address a stranger chose,
// so it is fenced in: https only, no redirects, a 5 s deadline and a
// 64 KiB body, and (outside dev mode) no connection to a loopback, private,
// link-local, CGNAT, multicast or unspecified address. That last check
// runs on the address actually dialled, so a name that resolves to a
// public address once and to 127.0.0.1 the next time gains nothing.
package cimd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"gatehouse/store"
)

// Fixed limits. They are constants, not config: the draft's guidance and
// what an authorization server answering a browser can afford to wait.
const (
	Timeout  = 5 * time.Second // the whole fetch, connect to last byte
	MaxBytes = 64 << 10        // the document's size
	MaxAge   = 24 * time.Hour  // the longest a document is cached
	// DefaultAge is the cache lifetime of an answer that says nothing
	// about caching.
	DefaultAge = 5 * time.Minute
	cacheSize  = 1000 // documents kept; a full cache drops expired ones first
	// FailureAge is how long a refused document's reason is reused
	// before the document is fetched again.
	FailureAge = time.Minute
)

// Parser turns a fetched document into the client it describes, or says
// why it cannot (the reason is shown to the user or the client).
type Parser func(clientID string, body []byte) (store.Client, error)

// Options configure a Resolver.
type Options struct {
	// AllowPrivate permits loopback and private addresses (dev mode).
	AllowPrivate bool
	// RootCAs verifies the documents' servers (nil: the system's).
	RootCAs *x509.CertPool
	// Timeout overrides the fetch deadline (tests); 0 is Timeout.
	Timeout time.Duration
	Now     func() time.Time
}

// Resolver resolves https client_ids. It is safe for concurrent use and
// shared by all requests.
type Resolver struct {
	client *http.Client
	parse  Parser
	store  store.Clients
	now    func() time.Time

	mu      sync.Mutex
	cache   map[string]entry
	flights map[string]*flight // fetches under way, by URL

	// onFetch, when set (tests), is called by each Resolve that has missed
	// the cache and is about to fetch or wait for a fetch.
	onFetch func(id string)
}

// entry is a cached answer: a client, or the *Error a refused document got.
type entry struct {
	client  store.Client
	err     error
	expires time.Time
}

// Error is a document that cannot be used. It counts as an unknown client
// (errors.Is(err, store.ErrNotFound)) wherever the reason is not shown.
type Error struct{ URL, Reason string }

func (e *Error) Error() string {
	return "the client metadata document at " + e.URL + " cannot be used: " + e.Reason
}

// Unwrap makes a refused document an unknown client.
func (e *Error) Unwrap() error { return store.ErrNotFound }

// IsURL reports whether a client_id is a metadata document URL rather than
// the ID of a registered app (those never contain "://").
func IsURL(clientID string) bool { return strings.HasPrefix(clientID, "https://") }

// New returns a Resolver that checks documents with parse and records
// their clients in st.
func New(o Options, parse Parser, st store.Clients) *Resolver {
	if o.Timeout == 0 {
		o.Timeout = Timeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Resolver{client: newClient(o), parse: parse, store: st, now: o.Now,
		cache: map[string]entry{}, flights: map[string]*flight{}}
}

// newClient is the fenced HTTP client: no proxy (the dialled address must
// be the document server's), the address check in the dialer, no redirects.
func newClient(o Options) *http.Client {
	d := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		d.Control = refusePrivate
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       time.Minute,
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// refusePrivate is the dialer's Control: it sees the address about to be
// connected to, after name resolution.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if !publicIP(host) {
		return fmt.Errorf("%w (%s)", errPrivate, host)
	}
	return nil
}

var errPrivate = errors.New("the host resolves to a loopback, private or otherwise non-public address")

// Resolve returns the client the document at clientID describes, from the
// cache while its HTTP caching lifetime lasts. A document that cannot be
// used is an *Error (the same one again for FailureAge, without a fetch);
// a store failure is returned as it is.
func (r *Resolver) Resolve(ctx context.Context, clientID string) (store.Client, error) {
	now := r.now()
	if e, ok := r.cached(clientID, now); ok {
		return e.client, e.err
	}
	if reason := checkURL(clientID); reason != "" {
		return store.Client{}, &Error{clientID, reason}
	}
	f, lead := r.join(clientID)
	if r.onFetch != nil {
		r.onFetch(clientID)
	}
	if lead {
		// The answer is shared: the leader's request ending early must not
		// fail the others, nor be remembered as the document's refusal
		// (the fetch has its own deadline).
		f.cl, f.err = r.load(context.WithoutCancel(ctx), clientID, now)
		r.land(clientID, f)
		return f.cl, f.err
	}
	select {
	case <-f.done:
		return f.cl, f.err
	case <-ctx.Done():
		return store.Client{}, ctx.Err()
	}
}

// checkURL applies the draft's rules for a client_id URL: https, a host,
// a path, no credentials, fragment or dot segments.
func checkURL(id string) string {
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "" || u.Opaque != "":
		return "the client_id is not an https URL"
	case u.User != nil || u.Fragment != "" || strings.Contains(id, "#"):
		return "the client_id URL must not carry credentials or a fragment"
	case u.Path == "" || u.Path == "/":
		return "the client_id URL must have a path"
	case strings.Contains("/"+u.Path+"/", "/./") || strings.Contains("/"+u.Path+"/", "/../"):
		return "the client_id URL must not contain dot segments"
	case len(id) > 2048:
		return "the client_id URL is too long"
	}
	return ""
}

// fetch gets the document and how long it may be cached.
func (r *Resolver) fetch(ctx context.Context, id string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivate) {
			return nil, 0, errPrivate
		}
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return nil, 0, fmt.Errorf("no answer within %s", r.client.Timeout)
		}
		return nil, 0, errors.New("the document could not be fetched")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("the document's server answered %d (redirects are not followed)", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBytes+1))
	if err != nil {
		return nil, 0, errors.New("the document could not be read in time")
	}
	if len(body) > MaxBytes {
		return nil, 0, fmt.Errorf("the document is larger than %d KiB", MaxBytes>>10)
	}
	return body, cacheAge(resp.Header, r.now()), nil
}
