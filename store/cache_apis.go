package store

import (
	"context"
	"sync"
	"time"
)

// The client cache keeps APIs too: a token request for an API reads it
// (every refresh of a resource-bound family), and APIs rarely change.
// The same rules: changes through this Store invalidate at once, another
// instance's are seen within the TTL; unknown identifiers are not cached.

type apiCache struct {
	mu sync.RWMutex
	m  map[string]cachedAPI
}

type cachedAPI struct {
	a       API
	expires time.Time
}

// GetAPI serves from the cache, loading on a miss.
func (s *ClientCache) GetAPI(ctx context.Context, identifier string) (API, error) {
	now := s.c.now()
	s.c.apis.mu.RLock()
	e, ok := s.c.apis.m[identifier]
	s.c.apis.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.a, nil
	}
	a, err := s.Store.GetAPI(ctx, identifier)
	if err != nil {
		return a, err
	}
	s.c.apis.mu.Lock()
	s.c.apis.m[identifier] = cachedAPI{a: a, expires: now.Add(s.c.ttl)}
	s.c.apis.mu.Unlock()
	return a, nil
}

func (s *ClientCache) forgetAPI(identifier string) {
	s.c.apis.mu.Lock()
	delete(s.c.apis.m, identifier)
	s.c.apis.mu.Unlock()
}

// UpdateAPI implements APIs and invalidates.
func (s *ClientCache) UpdateAPI(ctx context.Context, a *API) error {
	defer s.forgetAPI(a.Identifier)
	return s.Store.UpdateAPI(ctx, a)
}

// DeleteAPI implements APIs and invalidates.
func (s *ClientCache) DeleteAPI(ctx context.Context, identifier string) error {
	defer s.forgetAPI(identifier)
	return s.Store.DeleteAPI(ctx, identifier)
}
