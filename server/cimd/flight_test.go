package cimd

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/store"
)

// memClients is the part of store.Clients the Resolver uses, in memory.
type memClients struct {
	store.Clients // nil: any other method panics
	mu            sync.Mutex
	rows          map[string]store.Client
}

func (m *memClients) GetClient(_ context.Context, id string) (store.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.rows[id]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	return c, nil
}

func (m *memClients) CreateClient(_ context.Context, c *store.Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rows[c.ID]; ok {
		return store.ErrAlreadyExists
	}
	m.rows[c.ID] = *c
	return nil
}

func (m *memClients) UpdateClient(_ context.Context, c *store.Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[c.ID] = *c
	return nil
}

// testResolver serves documents with h over TLS on 127.0.0.1 and returns a
// Resolver for it, the document's URL, and a clock the test moves.
func testResolver(t *testing.T, h http.HandlerFunc) (*Resolver, string, *time.Time) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	parse := func(id string, body []byte) (store.Client, error) {
		if string(body) != "ok" {
			return store.Client{}, errors.New("the document is not ok")
		}
		return store.Client{ID: id, Name: "app"}, nil
	}
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	r := New(Options{AllowPrivate: true, RootCAs: pool, Now: func() time.Time { return now }},
		parse, &memClients{rows: map[string]store.Client{}})
	return r, srv.URL + "/client.json", &now
}

// Simultaneous first requests for one document share one fetch.
func TestMetadataDocumentFetchedOnceConcurrently(t *testing.T) {
	var fetches atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	r, id, _ := testResolver(t, func(w http.ResponseWriter, _ *http.Request) {
		if fetches.Add(1) == 1 {
			close(started)
		}
		<-release
		w.Write([]byte("ok"))
	})
	const n = 8
	joined := make(chan struct{}, n)
	r.onFetch = func(string) { joined <- struct{}{} }
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := r.Resolve(context.Background(), id)
			errs <- err
		})
	}
	<-started
	for range n { // every caller is fetching or waiting on a fetch
		<-joined
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Resolve: %v", err)
		}
	}
	if got := fetches.Load(); got != 1 {
		t.Errorf("%d concurrent resolves made %d fetches, want 1", n, got)
	}
}

// A refused document is not fetched again for a minute.
func TestMetadataDocumentRefusalCached(t *testing.T) {
	var fetches atomic.Int32
	r, id, now := testResolver(t, func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		w.Write([]byte("not ok"))
	})
	var first *Error
	if _, err := r.Resolve(context.Background(), id); !errors.As(err, &first) {
		t.Fatalf("first Resolve: %v, want an *Error", err)
	}
	*now = now.Add(FailureAge - time.Second)
	_, err := r.Resolve(context.Background(), id)
	var second *Error
	if !errors.As(err, &second) || second.Reason != first.Reason {
		t.Fatalf("second Resolve: %v, want %v", err, first)
	}
	if got := fetches.Load(); got != 1 {
		t.Fatalf("2 resolves within %s made %d fetches, want 1", FailureAge, got)
	}
	*now = now.Add(time.Second)
	if _, err := r.Resolve(context.Background(), id); !errors.As(err, &second) {
		t.Fatalf("third Resolve: %v, want an *Error", err)
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("after %s: %d fetches, want 2", FailureAge, got)
	}
}

// The fetch is shared, so it does not end with the request that started
// it: a caller that has gone away (here before it began) still completes
// the fetch for those waiting on it.
func TestMetadataDocumentFetchOutlivesFirstCaller(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	r, id, _ := testResolver(t, func(w http.ResponseWriter, _ *http.Request) {
		close(started) // a second fetch would panic here, failing its caller
		<-release
		w.Write([]byte("ok"))
	})
	joined := make(chan struct{}, 2)
	r.onFetch = func(string) { joined <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	first := make(chan error, 1)
	go func() {
		_, err := r.Resolve(ctx, id)
		first <- err
	}()
	select {
	case <-started:
	case err := <-first:
		t.Fatalf("the cancelled first caller ended the fetch: %v", err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := r.Resolve(context.Background(), id)
		second <- err
	}()
	<-joined
	<-joined
	close(release)
	if err := <-second; err != nil {
		t.Errorf("second caller: %v, want the document", err)
	}
	if err := <-first; err != nil {
		t.Errorf("first caller: %v, want the document", err)
	}
}
