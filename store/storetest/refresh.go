package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

func firstToken(t *testing.T, s store.Store, accountID, id string) store.RefreshToken {
	t.Helper()
	rt := store.RefreshToken{ID: id, FamilyID: id, AccountID: accountID, ClientID: "app", Scope: "openid offline_access",
		AMR: "github", AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), FamilyExpiresAt: t0.Add(24 * time.Hour)}
	require.NoError(t, s.CreateRefreshToken(context.Background(), &rt))
	return rt
}

func testRefresh(t *testing.T, s store.Store) {
	a := newAccount(t, s, "alice")
	checkRotation(t, s, a.ID)
	checkReuse(t, s)
	checkRotationRefused(t, s, a.ID)
}

// checkRotation: rotation copies the family's facts and may narrow the
// scope (leaves r1 spent, r2 its child).
func checkRotation(t *testing.T, s store.Store, accountID string) {
	t.Helper()
	ctx := context.Background()
	first := firstToken(t, s, accountID, "r1")
	wantErr(t, "duplicate", s.CreateRefreshToken(ctx, &first), store.ErrAlreadyExists)

	next := store.RefreshToken{ID: "r2", Scope: "openid", ExpiresAt: t0.Add(48 * time.Hour)}
	old, err := s.RotateRefreshToken(ctx, "r1", &next, t0.Add(time.Minute), 0)
	require.NoError(t, err)
	if old.ID != "r1" || old.Scope != "openid offline_access" {
		t.Errorf("old = %+v", old)
	}
	got, err := s.GetRefreshToken(ctx, "r2")
	require.NoError(t, err)
	if got.FamilyID != "r1" || got.ParentID != "r1" || got.AccountID != accountID || got.ClientID != "app" ||
		got.Scope != "openid" || !got.AuthTime.Equal(t0) || got.AMR != "github" {
		t.Errorf("child = %+v", got)
	}
	if !got.ExpiresAt.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("child ExpiresAt %v not clamped to the family's %v", got.ExpiresAt, t0.Add(24*time.Hour))
	}
	spent, err := s.GetRefreshToken(ctx, "r1")
	require.NoError(t, err)
	if spent.RotatedAt == nil {
		t.Errorf("parent not marked rotated")
	}
}

// checkReuse: reuse of r1 (spent by checkRotation) revokes the family, r2
// included, and the revocation sticks.
func checkReuse(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	_, err := s.RotateRefreshToken(ctx, "r1", &store.RefreshToken{ID: "r3"}, t0.Add(2*time.Minute), 0)
	wantErr(t, "reuse", err, store.ErrTokenReused)
	got, err := s.GetRefreshToken(ctx, "r2")
	require.NoError(t, err)
	if got.RevokedAt == nil {
		t.Errorf("reuse did not revoke the child")
	}
	_, err = s.RotateRefreshToken(ctx, "r2", &store.RefreshToken{ID: "r4"}, t0.Add(3*time.Minute), 0)
	wantErr(t, "child after reuse", err, store.ErrTokenRevoked)
	_, err = s.GetRefreshToken(ctx, "r3")
	wantErr(t, "no child inserted on reuse", err, store.ErrNotFound)
}

// checkRotationRefused: unknown, expired, foreign and revoked tokens are
// not rotated.
func checkRotationRefused(t *testing.T, s store.Store, accountID string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.RotateRefreshToken(ctx, "nope", &store.RefreshToken{ID: "r5"}, t0, 0)
	wantErr(t, "unknown", err, store.ErrNotFound)

	// Idle expiry and absolute expiry.
	firstToken(t, s, accountID, "e1")
	_, err = s.RotateRefreshToken(ctx, "e1", &store.RefreshToken{ID: "e2"}, t0.Add(time.Hour), 0)
	wantErr(t, "idle expiry", err, store.ErrTokenExpired)
	abs := store.RefreshToken{ID: "f1", FamilyID: "f1", AccountID: accountID, AuthTime: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(48 * time.Hour), FamilyExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateRefreshToken(ctx, &abs))
	_, err = s.RotateRefreshToken(ctx, "f1", &store.RefreshToken{ID: "f2"}, t0.Add(2*time.Hour), 0)
	wantErr(t, "absolute expiry", err, store.ErrTokenExpired)

	// A token presented for another client is refused and not spent.
	firstToken(t, s, accountID, "h1")
	_, err = s.RotateRefreshToken(ctx, "h1", &store.RefreshToken{ID: "h2", ClientID: "other-app"}, t0, 0)
	wantErr(t, "other client", err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, "h1", &store.RefreshToken{ID: "h3", ClientID: "app"}, t0, 0)
	require.NoError(t, err)

	// Explicit family revocation, idempotent.
	firstToken(t, s, accountID, "g1")
	require.NoError(t, s.RevokeRefreshFamily(ctx, "g1", t0))
	require.NoError(t, s.RevokeRefreshFamily(ctx, "g1", t0))
	_, err = s.RotateRefreshToken(ctx, "g1", &store.RefreshToken{ID: "g2"}, t0, 0)
	wantErr(t, "revoked family", err, store.ErrTokenRevoked)
}

func testRefreshConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	firstToken(t, s, a.ID, "c1")
	wins := race(8, func() error {
		_, err := s.RotateRefreshToken(ctx, "c1", &store.RefreshToken{ID: store.NewID()}, t0, 0)
		return err
	}, store.ErrTokenReused, store.ErrTokenRevoked)
	if wins != 1 {
		t.Errorf("%d concurrent rotations of one token succeeded, want exactly 1", wins)
	}
	tok, err := s.GetRefreshToken(ctx, "c1")
	require.NoError(t, err)
	if tok.RevokedAt == nil {
		t.Errorf("family not revoked after the losers reused the token")
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	k1 := store.SigningKey{ID: "k1", Alg: "ES256", Generation: 1, PrivateCiphertext: []byte{1}, PublicJWK: []byte(`{}`), CreatedAt: t0, ActiveAt: t0}
	k2 := store.SigningKey{ID: "k2", Alg: "ES256", Generation: 2, PrivateCiphertext: []byte{2}, PublicJWK: []byte(`{}`), CreatedAt: t0, ActiveAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateSigningKey(ctx, &k2))
	require.NoError(t, s.CreateSigningKey(ctx, &k1))
	wantErr(t, "duplicate", s.CreateSigningKey(ctx, &k1), store.ErrAlreadyExists)
	// Another instance's key for a generation that is taken.
	rival := store.SigningKey{ID: "k2-rival", Alg: "ES256", Generation: 2, PrivateCiphertext: []byte{3}, PublicJWK: []byte(`{}`), CreatedAt: t0, ActiveAt: t0.Add(time.Hour)}
	wantErr(t, "generation taken", s.CreateSigningKey(ctx, &rival), store.ErrAlreadyExists)
	rsa1 := store.SigningKey{ID: "r1", Alg: "RS256", Generation: 1, PrivateCiphertext: []byte{4}, PublicJWK: []byte(`{}`), CreatedAt: t0, ActiveAt: t0}
	require.NoError(t, s.CreateSigningKey(ctx, &rsa1), "generation 1 of another algorithm")
	keys, err := s.ListSigningKeys(ctx, t0)
	require.NoError(t, err)
	if len(keys) != 3 || keys[0].ID != "k1" || keys[0].PrivateCiphertext[0] != 1 || keys[0].Generation != 1 || keys[2].Generation != 2 {
		t.Errorf("ListSigningKeys = %+v", keys)
	}
	require.NoError(t, s.RetireSigningKey(ctx, "k1", t0.Add(time.Hour), t0.Add(2*time.Hour)))
	wantErr(t, "retire unknown", s.RetireSigningKey(ctx, "nope", t0, t0), store.ErrNotFound)
	keys, err = s.ListSigningKeys(ctx, t0.Add(90*time.Minute))
	require.NoError(t, err)
	if len(keys) != 3 || keys[0].RetireAt == nil || !keys[0].RetireAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("retired key before expiry = %+v", keys)
	}
	keys, err = s.ListSigningKeys(ctx, t0.Add(2*time.Hour))
	require.NoError(t, err)
	if len(keys) != 2 || keys[1].ID != "k2" {
		t.Errorf("after expiry = %+v", keys)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, acct := range []string{"a", "b", "a"} {
		e := store.AuditEvent{ID: store.NewID(), Time: t0.Add(time.Duration(i) * time.Minute), Type: "login", AccountID: acct, Detail: "{}"}
		require.NoError(t, s.AppendAudit(ctx, &e))
	}
	evs, err := s.ListAudit(ctx, "a", 10)
	require.NoError(t, err)
	if len(evs) != 2 || !evs[0].Time.After(evs[1].Time) {
		t.Errorf("ListAudit(a) = %+v", evs)
	}
	evs, err = s.ListAudit(ctx, "", 2)
	require.NoError(t, err)
	if len(evs) != 2 {
		t.Errorf("ListAudit(all, 2) returned %d", len(evs))
	}
}

func testInTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := context.Canceled
	err := s.InTx(ctx, func(tx store.Store) error {
		newAccount(t, tx, "rolled")
		return tx.InTx(ctx, func(inner store.Store) error {
			newAccount(t, inner, "rolled2")
			return boom
		})
	})
	wantErr(t, "rollback", err, boom)
	for _, name := range []string{"rolled", "rolled2"} {
		_, err = s.GetAccountByUsername(ctx, name)
		wantErr(t, "rolled back "+name, err, store.ErrNotFound)
	}
	require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
		a := newAccount(t, tx, "kept")
		_, err := tx.GetAccount(ctx, a.ID) // reads its own write inside the tx
		return err
	}))
	_, err = s.GetAccountByUsername(ctx, "kept")
	require.NoError(t, err)
}

// testRefreshGrace: inside the grace window a re-presented token gets the
// successor of its first rotation back (ErrTokenInGrace), never a second
// branch; after the window, or once the successor rotated, it is reuse.
func testRefreshGrace(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	firstToken(t, s, a.ID, "g1")
	_, err := s.RotateRefreshToken(ctx, "g1", &store.RefreshToken{ID: "g2", Sealed: []byte("sealed-g2")}, t0, 10*time.Second)
	require.NoError(t, err)
	again := store.RefreshToken{ID: "g3", Sealed: []byte("sealed-g3")}
	_, err = s.RotateRefreshToken(ctx, "g1", &again, t0.Add(5*time.Second), 10*time.Second)
	wantErr(t, "inside the grace window", err, store.ErrTokenInGrace)
	if again.ID != "g2" || string(again.Sealed) != "sealed-g2" || again.FamilyID != "g1" || again.AccountID != a.ID {
		t.Errorf("grace answer = %+v, want the successor g2 with its sealed value", again)
	}
	_, err = s.GetRefreshToken(ctx, "g3")
	wantErr(t, "no second branch", err, store.ErrNotFound)
	// The sweep erases the sealed value once the window is over.
	_, err = s.DeleteExpired(ctx, t0.Add(11*time.Second))
	require.NoError(t, err)
	// After the window, presenting it is reuse and revokes the family.
	_, err = s.RotateRefreshToken(ctx, "g1", &store.RefreshToken{ID: "g4"}, t0.Add(11*time.Second), 10*time.Second)
	wantErr(t, "after the grace window", err, store.ErrTokenReused)
	tok, err := s.GetRefreshToken(ctx, "g2")
	require.NoError(t, err)
	if tok.RevokedAt == nil {
		t.Errorf("the successor survived reuse after the grace window")
	}

	// Once the successor itself rotated (the client moved on), the parent
	// inside its window is reuse: nothing is resurrected, the family goes.
	firstToken(t, s, a.ID, "m1")
	_, err = s.RotateRefreshToken(ctx, "m1", &store.RefreshToken{ID: "m2", Sealed: []byte("x")}, t0, 10*time.Second)
	require.NoError(t, err)
	_, err = s.RotateRefreshToken(ctx, "m2", &store.RefreshToken{ID: "m3", Sealed: []byte("y")}, t0.Add(time.Second), 10*time.Second)
	require.NoError(t, err)
	_, err = s.RotateRefreshToken(ctx, "m1", &store.RefreshToken{ID: "m4", Sealed: []byte("z")}, t0.Add(2*time.Second), 10*time.Second)
	wantErr(t, "parent after its successor rotated", err, store.ErrTokenReused)
	tok, err = s.GetRefreshToken(ctx, "m3")
	require.NoError(t, err)
	if tok.RevokedAt == nil {
		t.Errorf("the newest token survived the parent's reuse")
	}

	// Without a sealed value (or without grace) there is no grace: reuse.
	firstToken(t, s, a.ID, "n1")
	_, err = s.RotateRefreshToken(ctx, "n1", &store.RefreshToken{ID: "n2"}, t0, 10*time.Second)
	require.NoError(t, err)
	_, err = s.RotateRefreshToken(ctx, "n1", &store.RefreshToken{ID: "n3"}, t0.Add(time.Second), 10*time.Second)
	wantErr(t, "no sealed successor", err, store.ErrTokenReused)
}

// testRefreshGraceConcurrent: many concurrent presentations of one token
// inside the window: one rotates, every other gets that same successor,
// and the family stays alive.
func testRefreshGraceConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	firstToken(t, s, a.ID, "c1")
	var mu sync.Mutex
	got := map[string]int{}
	wins := race(32, func() error {
		id := store.NewID()
		next := store.RefreshToken{ID: id, Sealed: []byte("sealed-" + id)}
		_, err := s.RotateRefreshToken(ctx, "c1", &next, t0, 10*time.Second)
		if err == nil || errors.Is(err, store.ErrTokenInGrace) {
			mu.Lock()
			got[next.ID+"/"+string(next.Sealed)]++
			mu.Unlock()
		}
		return err
	}, store.ErrTokenInGrace)
	if wins != 1 || len(got) != 1 {
		t.Fatalf("32 presentations in the window: %d rotated, %d distinct successors (%v); want 1 and 1", wins, len(got), got)
	}
	for k, n := range got {
		id, _, _ := strings.Cut(k, "/")
		if n != 32 || k != id+"/sealed-"+id {
			t.Errorf("successor %s handed out %d times, want 32 with its own sealed value", k, n)
		}
		tok, err := s.GetRefreshToken(ctx, id)
		require.NoError(t, err)
		if tok.RevokedAt != nil || tok.RotatedAt != nil {
			t.Errorf("the successor is not live: %+v", tok)
		}
	}
}

// testRevokedAccessTokens: a revoked jti is listed (idempotently) until
// DeleteExpired passes its expiry.
func testRevokedAccessTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.RevokeAccessToken(ctx, "jti-1", t0.Add(time.Hour)))
	require.NoError(t, s.RevokeAccessToken(ctx, "jti-1", t0.Add(2*time.Hour)), "revoking twice")
	for jti, want := range map[string]bool{"jti-1": true, "jti-2": false} {
		got, err := s.AccessTokenRevoked(ctx, jti)
		require.NoError(t, err)
		if got != want {
			t.Errorf("AccessTokenRevoked(%s) = %v, want %v", jti, got, want)
		}
	}
	_, err := s.DeleteExpired(ctx, t0.Add(30*time.Minute))
	require.NoError(t, err)
	if got, err := s.AccessTokenRevoked(ctx, "jti-1"); err != nil || !got {
		t.Errorf("a sweep before expiry dropped the record: %v %v", got, err)
	}
	_, err = s.DeleteExpired(ctx, t0.Add(3*time.Hour))
	require.NoError(t, err)
	if got, err := s.AccessTokenRevoked(ctx, "jti-1"); err != nil || got {
		t.Errorf("the record outlived its expiry: %v %v", got, err)
	}
}
