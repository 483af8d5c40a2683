package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// elsewhere is a zone far from UTC: a backend that compares times as text
// without normalising them gets expiry wrong when callers pass local times.
var elsewhere = time.FixedZone("UTC-5", -5*3600)

// testTimes checks the time contract: times come back in UTC, equal to
// what went in at microsecond precision, and a "now" in another zone means
// the same instant.
func testTimes(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := time.Date(2026, 11, 22, 7, 0, 0, 123456789, elsewhere) // 12:00:00.123456789 UTC
	a := store.Account{ID: store.NewID(), Username: "alice", CreatedAt: in, UpdatedAt: in}
	require.NoError(t, s.CreateAccount(ctx, &a))
	got, err := s.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	want := in.Truncate(time.Microsecond)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v (%v), want %v in UTC", got.CreatedAt, got.CreatedAt.Location(), want)
	}

	exp := t0.Add(time.Hour)
	x := store.Session{ID: "s", AccountID: a.ID, AuthTime: t0, CreatedAt: t0, ExpiresAt: exp, LastSeenAt: t0}
	require.NoError(t, s.CreateSession(ctx, &x))
	if _, err := s.GetSession(ctx, "s", exp.Add(-time.Microsecond).In(elsewhere)); err != nil {
		t.Errorf("session 1µs before expiry, now in another zone: %v", err)
	}
	_, err = s.GetSession(ctx, "s", exp.In(elsewhere))
	wantErr(t, "session at expiry, now in another zone", err, store.ErrNotFound)

	require.NoError(t, s.CreatePendingLogin(ctx, pending("p")))
	_, err = s.TakePendingLogin(ctx, "p", t0.Add(10*time.Minute).In(elsewhere))
	wantErr(t, "pending login at expiry, now in another zone", err, store.ErrNotFound)

	firstToken(t, s, a.ID, "r1") // idle deadline t0+1h
	_, err = s.RotateRefreshToken(ctx, "r1", &store.RefreshToken{ID: "r2"}, t0.Add(time.Hour).In(elsewhere), 0)
	wantErr(t, "rotation at idle expiry, now in another zone", err, store.ErrTokenExpired)
	_, err = s.RotateRefreshToken(ctx, "r1", &store.RefreshToken{ID: "r3"}, t0.Add(59*time.Minute).In(elsewhere), 0)
	require.NoError(t, err)
	child, err := s.GetRefreshToken(ctx, "r3")
	require.NoError(t, err)
	if !child.CreatedAt.Equal(t0.Add(59*time.Minute)) || child.CreatedAt.Location() != time.UTC {
		t.Errorf("child CreatedAt = %v, want %v in UTC", child.CreatedAt, t0.Add(59*time.Minute))
	}
}

// testUnlinkRace: two concurrent unlinks of the two identities of a
// passwordless account must not both succeed (the account would have no
// way in left). Repeated, because a lost race is timing-dependent.
func testUnlinkRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	for round := range 10 {
		a := newAccount(t, s, "u"+store.NewID()[:8])
		ids := make(chan string, 2)
		for i := range 2 {
			id := store.Identity{ID: store.NewID(), AccountID: a.ID, Provider: "p", Subject: a.ID + string(rune('a'+i)),
				CreatedAt: t0, LastLoginAt: t0}
			require.NoError(t, s.CreateIdentity(ctx, &id))
			ids <- id.ID
		}
		wins := race(2, func() error { return s.DeleteIdentity(ctx, a.ID, <-ids) }, store.ErrConflict)
		left, err := s.ListIdentities(ctx, a.ID)
		require.NoError(t, err)
		if wins != 1 || len(left) != 1 {
			t.Fatalf("round %d: %d concurrent unlinks succeeded, %d identities left; want 1 and 1", round, wins, len(left))
		}
	}
}

// testRefreshFamilyAfterRace: after concurrent rotations of one token,
// every token of the family is revoked, the winner's child included.
func testRefreshFamilyAfterRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	firstToken(t, s, a.ID, "c1")
	ids := make(chan string, 8)
	all := make([]string, 8)
	for i := range all {
		all[i] = store.NewID()
		ids <- all[i]
	}
	wins := race(8, func() error {
		_, err := s.RotateRefreshToken(ctx, "c1", &store.RefreshToken{ID: <-ids}, t0, 0)
		return err
	}, store.ErrTokenReused, store.ErrTokenRevoked)
	if wins != 1 {
		t.Errorf("%d concurrent rotations succeeded, want 1", wins)
	}
	children := 0
	for _, id := range all {
		tok, err := s.GetRefreshToken(ctx, id)
		if err != nil {
			wantErr(t, "loser's child", err, store.ErrNotFound)
			continue
		}
		children++
		if tok.RevokedAt == nil || tok.FamilyID != "c1" {
			t.Errorf("winner's child %s: family %q, revoked %v; want family c1, revoked", id, tok.FamilyID, tok.RevokedAt)
		}
	}
	if children != 1 {
		t.Errorf("%d children inserted, want 1", children)
	}
}

// testRotateInTx: rotation inside a caller's transaction takes the
// transaction's path (no query may escape it) and rolls back with it.
func testRotateInTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	firstToken(t, s, a.ID, "t1")
	boom := context.Canceled
	err := s.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.RotateRefreshToken(ctx, "t1", &store.RefreshToken{ID: "t2"}, t0, 0); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "rolled back rotation", err, boom)
	_, err = s.GetRefreshToken(ctx, "t2")
	wantErr(t, "child of a rolled-back rotation", err, store.ErrNotFound)
	require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.RotateRefreshToken(ctx, "t1", &store.RefreshToken{ID: "t3"}, t0, 0)
		return err
	}))
	got, err := s.GetRefreshToken(ctx, "t3")
	require.NoError(t, err)
	if got.ParentID != "t1" || got.FamilyID != "t1" {
		t.Errorf("child rotated in a transaction = %+v", got)
	}
	_, err = s.RotateRefreshToken(ctx, "t1", &store.RefreshToken{ID: "t4"}, t0, 0)
	wantErr(t, "reuse after a committed rotation in a transaction", err, store.ErrTokenReused)
}

// testConsentRace: SaveConsent creates or replaces, so concurrent first
// consents of one account to one client all succeed and leave one row.
func testConsentRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newClient(t, s, "app", "")
	wins := race(8, func() error {
		return s.SaveConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "app", Scope: "openid", CreatedAt: t0, UpdatedAt: t0})
	})
	list, err := s.ListConsents(ctx, a.ID)
	require.NoError(t, err)
	if wins != 8 || len(list) != 1 {
		t.Errorf("concurrent first consents: %d of 8 succeeded, %d rows; want 8 and 1", wins, len(list))
	}
}

// testDevicePollRace: an approved device code is handed out as approved to
// exactly one of several concurrent polls; the others see it used.
func testDevicePollRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newClient(t, s, "tv", "")
	d := store.DeviceCode{ID: "d", UserCode: "WXYZWXYZ", ClientID: "tv", Status: store.DevicePending,
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	require.NoError(t, s.CreateDeviceCode(ctx, &d))
	require.NoError(t, s.DecideDeviceCode(ctx, "WXYZWXYZ", true, a.ID, "pwd", t0, t0))
	var mu sync.Mutex
	approved := 0
	wins := race(6, func() error {
		got, err := s.PollDeviceCode(ctx, "d", t0.Add(time.Second), 0)
		mu.Lock()
		defer mu.Unlock()
		if err == nil && got.Status == store.DeviceApproved {
			approved++
		}
		return err
	})
	if wins != 6 || approved != 1 {
		t.Errorf("concurrent polls: %d ok, %d saw the approval; want 6 and 1", wins, approved)
	}
}

// testPing: a live store answers.
func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping = %v", err)
	}
}
