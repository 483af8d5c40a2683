package store

import (
	"context"
	"sync"
	"time"
)

// ClientCache wraps a Store and keeps OAuth clients (and APIs) in memory for ttl:
// every token request reads its client, and clients rarely change. Changes
// made through this Store invalidate at once; changes made by another
// instance are seen after at most ttl (a deleted client or a rotated secret
// keeps working that long there).
type ClientCache struct {
	Store
	c *clientCache
}

type clientCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.RWMutex
	m   map[string]cachedClient
	// apis are cached the same way (cache_apis.go).
	apis apiCache
}

type cachedClient struct {
	c       Client
	expires time.Time
}

// WithClientCache returns s with a client cache of the given lifetime.
func WithClientCache(s Store, ttl time.Duration, now func() time.Time) *ClientCache {
	return &ClientCache{Store: s, c: &clientCache{ttl: ttl, now: now, m: map[string]cachedClient{},
		apis: apiCache{m: map[string]cachedAPI{}}}}
}

// GetClient serves from the cache, loading on a miss. Misses for unknown
// IDs are not cached, so made-up client IDs cannot fill memory.
func (s *ClientCache) GetClient(ctx context.Context, id string) (Client, error) {
	now := s.c.now()
	s.c.mu.RLock()
	e, ok := s.c.m[id]
	s.c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.c, nil
	}
	cl, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return cl, err
	}
	s.c.mu.Lock()
	s.c.m[id] = cachedClient{c: cl, expires: now.Add(s.c.ttl)}
	s.c.mu.Unlock()
	return cl, nil
}

func (s *ClientCache) forget(id string) {
	s.c.mu.Lock()
	delete(s.c.m, id)
	s.c.mu.Unlock()
}

// UpdateClient implements Clients and invalidates.
func (s *ClientCache) UpdateClient(ctx context.Context, c *Client) error {
	defer s.forget(c.ID)
	return s.Store.UpdateClient(ctx, c)
}

// SetClientSecret implements Clients and invalidates.
func (s *ClientCache) SetClientSecret(ctx context.Context, id, secretHash string, now time.Time) error {
	defer s.forget(id)
	return s.Store.SetClientSecret(ctx, id, secretHash, now)
}

// DeleteClient implements Clients and invalidates.
func (s *ClientCache) DeleteClient(ctx context.Context, id string, now time.Time) error {
	defer s.forget(id)
	return s.Store.DeleteClient(ctx, id, now)
}

// InTx runs fn with a transaction that shares this cache, so client
// changes inside it invalidate too.
func (s *ClientCache) InTx(ctx context.Context, fn func(tx Store) error) error {
	return s.Store.InTx(ctx, func(tx Store) error { return fn(&ClientCache{Store: tx, c: s.c}) })
}

// TouchClient implements ClientUse and invalidates, so the next read sees
// the new LastUsedAt and does not touch again.
func (s *ClientCache) TouchClient(ctx context.Context, id string, now time.Time) error {
	defer s.forget(id)
	return s.Store.TouchClient(ctx, id, now)
}

// DeleteIdleClients implements ClientUse and empties the cache (the
// deleted IDs are not returned).
func (s *ClientCache) DeleteIdleClients(ctx context.Context, kind string, cutoff, now time.Time) (int64, error) {
	defer func() {
		s.c.mu.Lock()
		clear(s.c.m)
		s.c.mu.Unlock()
	}()
	return s.Store.DeleteIdleClients(ctx, kind, cutoff, now)
}
