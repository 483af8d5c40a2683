package tokens

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"gatehouse/server/seal"
	"gatehouse/store"
)

// unknownKidReload is the least time between reloads caused by unknown kids.
const unknownKidReload = 5 * time.Second

// Algorithms we sign with.
var algs = []string{"ES256", "RS256"}

// ErrUnknownKey: no published key has this kid.
var ErrUnknownKey = errors.New("tokens: unknown signing key")

// ErrConcurrentRotation: another instance (or command) rotated the same
// algorithm at the same moment; its key stands, and rotating again makes
// one more.
var ErrConcurrentRotation = errors.New("tokens: another rotation of this algorithm happened at the same time; try again")

// KeyOptions tune Keys; zero values take defaults.
type KeyOptions struct {
	Now     func() time.Time
	RSABits int // default 2048
	// Refresh is how long the in-memory key set is trusted before it is
	// reloaded from the store (so another instance's rotation is seen);
	// default 1 minute.
	Refresh time.Duration
}

// KeyStore is what Keys needs of the store: the signing keys, and a
// transaction, so that a new key and its predecessor's retirement commit
// together.
type KeyStore interface {
	store.SigningKeys
	InTx(ctx context.Context, fn func(tx store.Store) error) error
}

// Keys manages our signing keys: generated on first start, stored sealed
// with the master key, cached decrypted in memory.
type Keys struct {
	st    KeyStore
	seal  *seal.Sealer
	opts  KeyOptions
	mu    sync.Mutex
	cache *keySet
}

type keySet struct {
	loaded time.Time
	keys   []loadedKey // oldest ActiveAt first
	jwks   []byte
}

type loadedKey struct {
	store.SigningKey
	priv crypto.Signer
}

// NewKeys returns a key manager over st.
func NewKeys(st KeyStore, s *seal.Sealer, opts KeyOptions) *Keys {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RSABits == 0 {
		opts.RSABits = 2048
	}
	if opts.Refresh == 0 {
		opts.Refresh = time.Minute
	}
	return &Keys{st: st, seal: s, opts: opts}
}

// Ensure creates an active key for every algorithm that has none.
func (k *Keys) Ensure(ctx context.Context) error {
	set, err := k.reload(ctx)
	if err != nil {
		return err
	}
	for _, alg := range algs {
		if _, ok := set.active(alg, k.opts.Now()); ok {
			continue
		}
		// Instances starting together on an empty database race here: one
		// makes the key, the others find its generation taken and use it.
		if _, err := k.replace(ctx, alg, k.opts.Now(), set.nextGeneration(alg), nil, 0); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
	}
	_, err = k.reload(ctx)
	return err
}

// Rotate makes a new active key for alg and retires the current one, which
// stays published for retireGrace (at least the longest token lifetime).
// also, if given, runs in the same transaction with the new key (the
// admin page stores its audit event there).
func (k *Keys) Rotate(ctx context.Context, alg string, retireGrace time.Duration, also ...func(tx store.Store, nk store.SigningKey) error) (store.SigningKey, error) {
	set, err := k.reload(ctx)
	if err != nil {
		return store.SigningKey{}, err
	}
	now := k.opts.Now()
	var cur *store.SigningKey
	if prev, ok := set.active(alg, now); ok {
		cur = &prev.SigningKey
	}
	nk, err := k.replace(ctx, alg, now, set.nextGeneration(alg), cur, retireGrace, also...)
	if errors.Is(err, store.ErrAlreadyExists) {
		return store.SigningKey{}, ErrConcurrentRotation
	}
	if err != nil {
		return store.SigningKey{}, err
	}
	_, err = k.reload(ctx)
	return nk, err
}

// Signer returns the key that signs new tokens with alg.
func (k *Keys) Signer(ctx context.Context, alg string) (kid string, key crypto.Signer, err error) {
	set, err := k.current(ctx, "")
	if err != nil {
		return "", nil, err
	}
	lk, ok := set.active(alg, k.opts.Now())
	if !ok {
		return "", nil, fmt.Errorf("tokens: no active %s key (run Ensure)", alg)
	}
	return lk.ID, lk.priv, nil
}

// Verifier returns the public key and algorithm of kid, if it is published.
func (k *Keys) Verifier(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	set, err := k.current(ctx, kid)
	if err != nil {
		return nil, "", err
	}
	for _, lk := range set.keys {
		if lk.ID == kid {
			return lk.priv.Public(), lk.Alg, nil
		}
	}
	return nil, "", ErrUnknownKey
}

// JWKS returns the JSON Web Key Set of every published key (public parts).
func (k *Keys) JWKS(ctx context.Context) ([]byte, error) {
	set, err := k.current(ctx, "")
	if err != nil {
		return nil, err
	}
	return set.jwks, nil
}

// current returns the cached set, reloading it when stale or when wantKid
// is not in it (a key another instance just created).
func (k *Keys) current(ctx context.Context, wantKid string) (*keySet, error) {
	k.mu.Lock()
	set := k.cache
	k.mu.Unlock()
	if set != nil {
		age := k.opts.Now().Sub(set.loaded)
		// An unknown kid triggers a reload at most every few seconds, so
		// tokens with made-up kids cannot turn into a query each.
		if age < k.opts.Refresh && (wantKid == "" || set.has(wantKid) || age < unknownKidReload) {
			return set, nil
		}
	}
	return k.reload(ctx)
}

func (k *Keys) reload(ctx context.Context) (*keySet, error) {
	now := k.opts.Now()
	rows, err := k.st.ListSigningKeys(ctx, now)
	if err != nil {
		return nil, err
	}
	set := &keySet{loaded: now}
	pub := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, r := range rows {
		priv, err := k.open(r)
		if err != nil {
			return nil, err
		}
		set.keys = append(set.keys, loadedKey{SigningKey: r, priv: priv})
		pub.Keys = append(pub.Keys, jose.JSONWebKey{Key: priv.Public(), KeyID: r.ID, Algorithm: r.Alg, Use: "sig"})
	}
	if set.jwks, err = json.Marshal(pub); err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.cache = set
	k.mu.Unlock()
	return set, nil
}

func (k *Keys) open(r store.SigningKey) (crypto.Signer, error) {
	der, err := k.seal.Open("signing-key:"+r.ID, r.PrivateCiphertext)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w (wrong master key?)", r.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.ID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a signer", r.ID)
	}
	return signer, nil
}

// replace stores a new key, generation gen of alg, that signs from
// activeAt, and retires cur (if any) at that moment, published for grace
// more: both or neither (ErrAlreadyExists if that generation exists). The
// key is generated before the transaction, which then holds the database
// only for the two writes.
func (k *Keys) replace(ctx context.Context, alg string, activeAt time.Time, gen int, cur *store.SigningKey, grace time.Duration,
	also ...func(tx store.Store, nk store.SigningKey) error) (store.SigningKey, error) {
	nk, err := k.generate(alg, activeAt, gen)
	if err != nil {
		return store.SigningKey{}, err
	}
	return nk, k.st.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateSigningKey(ctx, &nk); err != nil {
			return err
		}
		if cur != nil {
			if err := tx.RetireSigningKey(ctx, cur.ID, activeAt, activeAt.Add(grace)); err != nil {
				return err
			}
		}
		for _, fn := range also {
			if err := fn(tx, nk); err != nil {
				return err
			}
		}
		return nil
	})
}

// generate makes key generation gen for alg, sealed, signing from activeAt.
func (k *Keys) generate(alg string, activeAt time.Time, gen int) (store.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, k.opts.RSABits)
	default:
		return store.SigningKey{}, fmt.Errorf("tokens: unsupported algorithm %q", alg)
	}
	if err != nil {
		return store.SigningKey{}, err
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return store.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, err
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	if err != nil {
		return store.SigningKey{}, err
	}
	now := k.opts.Now()
	return store.SigningKey{ID: kid, Alg: alg, Generation: gen, PrivateCiphertext: k.seal.Seal("signing-key:"+kid, der),
		PublicJWK: jwk, CreatedAt: now, ActiveAt: activeAt}, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint, base64url: a kid that
// names the key itself.
func thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// active is the newest key for alg that is active and not retired at now.
func (s *keySet) active(alg string, now time.Time) (loadedKey, bool) {
	for i := len(s.keys) - 1; i >= 0; i-- {
		lk := s.keys[i]
		if lk.Alg == alg && !lk.ActiveAt.After(now) && (lk.RetireAt == nil || lk.RetireAt.After(now)) {
			return lk, true
		}
	}
	return loadedKey{}, false
}

func (s *keySet) has(kid string) bool {
	for _, lk := range s.keys {
		if lk.ID == kid {
			return true
		}
	}
	return false
}

// Schedule says when keys rotate on their own.
type Schedule struct {
	Every time.Duration // a key signs for this long; 0 disables rotation
	// Prepublish is how long the next key sits in the JWKS before it signs:
	// at least the JWKS cache lifetime, so verifiers know it in time.
	Prepublish time.Duration
	// Grace keeps a retired key published so every token it signed still
	// verifies: at least the longest token lifetime.
	Grace time.Duration
}

// RotateDue publishes the next key for alg when the active one has signed
// for Schedule.Every minus Prepublish, and retires the active one at the
// moment the next becomes active. It does nothing when a next key is
// already waiting. It reports whether it made a key.
func (k *Keys) RotateDue(ctx context.Context, alg string, s Schedule) (bool, error) {
	if s.Every <= 0 {
		return false, nil
	}
	set, err := k.reload(ctx)
	if err != nil {
		return false, err
	}
	now := k.opts.Now()
	cur, ok := set.active(alg, now)
	if !ok || set.hasFuture(alg, now) || now.Before(cur.ActiveAt.Add(s.Every-s.Prepublish)) {
		return false, nil
	}
	_, err = k.replace(ctx, alg, now.Add(s.Prepublish), set.nextGeneration(alg), &cur.SigningKey, s.Grace)
	if errors.Is(err, store.ErrAlreadyExists) {
		return false, nil // another instance made this rotation's key first
	} else if err != nil {
		return false, err
	}
	_, err = k.reload(ctx)
	return true, err
}

// nextGeneration is one more than the newest generation of alg in the set
// (expired keys leave the set, but the newest never is expired).
func (s *keySet) nextGeneration(alg string) int {
	n := 0
	for _, lk := range s.keys {
		if lk.Alg == alg {
			n = max(n, lk.Generation)
		}
	}
	return n + 1
}

func (s *keySet) hasFuture(alg string, now time.Time) bool {
	for _, lk := range s.keys {
		if lk.Alg == alg && lk.ActiveAt.After(now) {
			return true
		}
	}
	return false
}
