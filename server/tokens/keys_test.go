package tokens_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"gatehouse/server/seal"
	"gatehouse/server/tokens"
	"gatehouse/store/sqlitetest"
)

func TestKeysPersistAndRotate(t *testing.T) {
	f := newFixture(t, "ES256")
	ctx := context.Background()
	kid1, _, err := f.keys.Signer(ctx, "ES256")
	require.NoError(t, err)
	again := tokens.NewKeys(f.st, f.seal, tokens.KeyOptions{Now: f.clk.Now})
	require.NoError(t, again.Ensure(ctx))
	kid2, _, err := again.Signer(ctx, "ES256")
	require.NoError(t, err)
	if kid1 != kid2 {
		t.Errorf("second start signs with %s, want the stored %s", kid2, kid1)
	}
	jwks, err := f.keys.JWKS(ctx)
	require.NoError(t, err)
	if strings.Contains(string(jwks), `"d"`) || !strings.Contains(string(jwks), kid1) {
		t.Errorf("JWKS leaks private parts or lacks the key: %s", jwks)
	}
	wrongMaster, _ := seal.New(seal.GenerateKey())
	if err := tokens.NewKeys(f.st, wrongMaster, tokens.KeyOptions{Now: f.clk.Now}).Ensure(ctx); err == nil {
		t.Errorf("keys opened with the wrong master key")
	}

	old := f.issue(t)
	nk, err := f.keys.Rotate(ctx, "ES256", time.Hour)
	require.NoError(t, err)
	if nk.ID == kid1 {
		t.Fatal("rotation kept the kid")
	}
	newKid, _, _ := f.keys.Signer(ctx, "ES256")
	if newKid != nk.ID {
		t.Errorf("signing with %s after rotation, want %s", newKid, nk.ID)
	}
	if _, err := f.iss.VerifyAccess(ctx, old, iss); err != nil {
		t.Errorf("token of the retired key no longer verifies: %v", err)
	}
	f.clk.Add(61 * time.Minute) // past the retired key's expiry
	if _, _, err := again.Verifier(ctx, kid1); err == nil {
		t.Errorf("expired key still published")
	}
}

func TestScheduledRotation(t *testing.T) {
	f := newFixture(t, "ES256")
	ctx := context.Background()
	sched := tokens.Schedule{Every: 24 * time.Hour, Prepublish: 5 * time.Minute, Grace: time.Hour}
	made, err := f.keys.RotateDue(ctx, "ES256", sched)
	require.NoError(t, err)
	if made {
		t.Fatal("rotated a fresh key")
	}
	oldKid, _, _ := f.keys.Signer(ctx, "ES256")
	old := f.issue(t)

	f.clk.Add(24*time.Hour - 5*time.Minute)
	made, err = f.keys.RotateDue(ctx, "ES256", sched)
	require.NoError(t, err)
	if !made {
		t.Fatal("no rotation when due")
	}
	if again, _ := f.keys.RotateDue(ctx, "ES256", sched); again {
		t.Errorf("a second next key was made while one waits")
	}
	// The next key is published one cache period before it signs.
	jwks, _ := f.keys.JWKS(ctx)
	var set struct{ Keys []map[string]any }
	require.NoError(t, json.Unmarshal(jwks, &set))
	if len(set.Keys) != 3 {
		t.Errorf("JWKS has %d keys, want old ES256, next ES256 and RS256", len(set.Keys))
	}
	if kid, _, _ := f.keys.Signer(ctx, "ES256"); kid != oldKid {
		t.Errorf("the next key signs before its time")
	}
	f.clk.Add(5 * time.Minute)
	newKid, _, _ := f.keys.Signer(ctx, "ES256")
	if newKid == oldKid {
		t.Errorf("the next key does not sign once active")
	}
	// Tokens of the old key verify through the grace period, then not.
	if _, err := f.iss.VerifyAccess(ctx, old, iss); err != nil && !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("old token: %v", err)
	}
	if _, _, err := f.keys.Verifier(ctx, oldKid); err != nil {
		t.Errorf("old kid unpublished during grace: %v", err)
	}
	f.clk.Add(61 * time.Minute)
	if _, _, err := f.keys.Verifier(ctx, oldKid); err == nil {
		t.Errorf("old kid still published after its grace")
	}
}

// Instances sharing one database start and rotate at the same moment: one
// key per algorithm at start, one next key per due rotation, and every
// instance signs with the same key.
func TestKeysAcrossInstances(t *testing.T) {
	st := sqlitetest.Open(t)
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	s, err := seal.New(seal.GenerateKey())
	require.NoError(t, err)
	ctx := context.Background()
	instances := make([]*tokens.Keys, 4)
	for i := range instances {
		instances[i] = tokens.NewKeys(st, s, tokens.KeyOptions{Now: clk.Now, RSABits: 1024})
	}
	all := func(f func(*tokens.Keys) error) []error {
		errs := make([]error, len(instances))
		var wg sync.WaitGroup
		for i, k := range instances {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = f(k) }()
		}
		wg.Wait()
		return errs
	}
	for _, err := range all(func(k *tokens.Keys) error { return k.Ensure(ctx) }) {
		require.NoError(t, err)
	}
	keys, err := st.ListSigningKeys(ctx, clk.Now())
	require.NoError(t, err)
	if len(keys) != 2 {
		t.Fatalf("%d keys after four instances started at once, want one per algorithm", len(keys))
	}
	signer := func(k *tokens.Keys) string { kid, _, _ := k.Signer(ctx, "ES256"); return kid }
	for _, k := range instances[1:] {
		if signer(k) != signer(instances[0]) {
			t.Errorf("instances sign with different keys")
		}
	}

	sched := tokens.Schedule{Every: 24 * time.Hour, Prepublish: 6 * time.Minute, Grace: time.Hour}
	clk.Add(24 * time.Hour)
	var mu sync.Mutex
	made := 0
	for _, err := range all(func(k *tokens.Keys) error {
		ok, err := k.RotateDue(ctx, "ES256", sched)
		if ok {
			mu.Lock()
			made++
			mu.Unlock()
		}
		return err
	}) {
		require.NoError(t, err)
	}
	keys, err = st.ListSigningKeys(ctx, clk.Now())
	require.NoError(t, err)
	if made != 1 || len(keys) != 3 {
		t.Fatalf("a due rotation on four instances made %d next keys (%d keys in all), want 1", made, len(keys))
	}

	// Rotations by hand at the same moment: each either makes the next
	// generation or is told another one did.
	for _, err := range all(func(k *tokens.Keys) error { _, err := k.Rotate(ctx, "RS256", time.Hour); return err }) {
		if err != nil && !errors.Is(err, tokens.ErrConcurrentRotation) {
			t.Errorf("concurrent rotation: %v", err)
		}
	}
	gens := map[int]bool{}
	keys, _ = st.ListSigningKeys(ctx, clk.Now())
	for _, k := range keys {
		if k.Alg == "RS256" {
			require.False(t, gens[k.Generation], "generation %d twice", k.Generation)
			gens[k.Generation] = true
		}
	}
}
