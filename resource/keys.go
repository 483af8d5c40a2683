package resource

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet is the issuer's JWKS, cached; fetched again for an unknown kid
// (at most once per refetch) and when older than maxAge.
type keySet struct {
	uri     string
	client  *http.Client
	now     func() time.Time
	refetch time.Duration
	maxAge  time.Duration

	fetchMu sync.Mutex // one fetch at a time
	tried   time.Time  // the last fetch attempt, under fetchMu
	mu      sync.RWMutex
	keys    map[string]key
	fetched time.Time
}

// key is a verification key and the one algorithm it may be used with.
type key struct {
	pub any
	alg string
}

// get returns the key kid, fetching the set again when kid is unknown
// (rotation) or the set is stale, unless it was fetched within refetch.
func (s *keySet) get(ctx context.Context, kid string) (key, error) {
	k, ok, fresh := s.lookup(kid)
	if ok && fresh {
		return k, nil
	}
	if err := s.refresh(ctx); err != nil && !ok {
		return key{}, err
	}
	if k, ok, _ = s.lookup(kid); !ok {
		return key{}, fmt.Errorf("unknown key %q", kid)
	}
	return k, nil
}

func (s *keySet) lookup(kid string) (key, bool, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[kid]
	return k, ok, s.now().Sub(s.fetched) < s.maxAge
}

// refresh fetches the set unless that was done within refetch.
func (s *keySet) refresh(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	// Rate-limited on attempts, not successes: an issuer that is down is
	// not asked on every request.
	if s.now().Sub(s.tried) < s.refetch {
		return nil
	}
	s.tried = s.now()
	return s.fetch(ctx)
}

// fetch reads the JWKS and keeps the keys we accept (ES256 on P-256,
// RS256 of 2048 bits or more).
func (s *keySet) fetch(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, s.client, s.uri, &set); err != nil {
		return fmt.Errorf("resource: JWKS: %w", err)
	}
	keys := map[string]key{}
	for _, jwk := range set.Keys {
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		if alg := algOf(jwk); alg != "" {
			keys[jwk.KeyID] = key{pub: jwk.Key, alg: alg}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys, s.fetched = keys, s.now()
	return nil
}

// algOf is the algorithm a JWK is for, "" for keys we do not accept: its
// alg must agree with its type when it names one.
func algOf(jwk jose.JSONWebKey) string {
	var alg string
	switch pub := jwk.Key.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			alg = "ES256"
		}
	case *rsa.PublicKey:
		if pub.N.BitLen() >= 2048 {
			alg = "RS256"
		}
	}
	if jwk.Algorithm != "" && jwk.Algorithm != alg {
		return ""
	}
	return alg
}
