package cimd

import (
	"context"
	"errors"
	"time"

	"gatehouse/store"
)

// flight is one fetch of a document, shared by every Resolve of that URL
// that misses the cache while it runs: a burst of first requests naming a
// document costs one outbound fetch, not one each.
type flight struct {
	done chan struct{} // closed when client and err are set
	cl   store.Client
	err  error
}

// join returns the fetch in flight for id, or starts one: lead is true
// for the caller that must run it and then call land.
func (r *Resolver) join(id string) (f *flight, lead bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.flights[id]; ok {
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	r.flights[id] = f
	return f, true
}

// land ends the flight, releasing its waiters; the next miss fetches anew.
func (r *Resolver) land(id string, f *flight) {
	r.mu.Lock()
	delete(r.flights, id)
	r.mu.Unlock()
	close(f.done)
}

// load fetches, checks and records the document, and caches the answer:
// a usable document for its HTTP caching lifetime, a refused one for
// FailureAge, so a slow or broken document is not fetched on every
// request. A store failure is not the document's fault and is not cached.
func (r *Resolver) load(ctx context.Context, id string, now time.Time) (store.Client, error) {
	cl, age, err := r.fetchClient(ctx, id, now)
	var refused *Error
	switch {
	case errors.As(err, &refused):
		t := r.now()
		r.keep(id, entry{err: refused, expires: t.Add(FailureAge)}, t)
	case err == nil && age > 0:
		r.keep(id, entry{client: cl, expires: now.Add(age)}, now)
	}
	return cl, err
}

// fetchClient is one fetch: the document, checked and recorded.
func (r *Resolver) fetchClient(ctx context.Context, id string, now time.Time) (store.Client, time.Duration, error) {
	body, age, err := r.fetch(ctx, id)
	if err != nil {
		return store.Client{}, 0, &Error{id, err.Error()}
	}
	cl, err := r.parse(id, body)
	if err != nil {
		return store.Client{}, 0, &Error{id, err.Error()}
	}
	if err := r.record(ctx, &cl, now); err != nil {
		return store.Client{}, 0, err
	}
	return cl, age, nil
}
