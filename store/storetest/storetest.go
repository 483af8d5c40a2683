package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// Opener returns a fresh, empty, migrated store for one test.
type Opener func(t *testing.T) store.Store

// t0 is the suite's fixed "now"; expiry is tested by passing other times.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open(t)) })
	t.Run("ListAccounts", func(t *testing.T) { testListAccounts(t, open(t)) })
	t.Run("SetAccountFlags", func(t *testing.T) { testSetAccountFlags(t, open(t)) })
	t.Run("ReplacePasswordHash", func(t *testing.T) { testReplacePasswordHash(t, open(t)) })
	t.Run("EndAccountAccess", func(t *testing.T) { testEndAccountAccess(t, open(t)) })
	t.Run("LastAdmin", func(t *testing.T) { testLastAdmin(t, open(t)) })
	t.Run("Identities", func(t *testing.T) { testIdentities(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("SessionClients", func(t *testing.T) { testSessionClients(t, open(t)) })
	t.Run("ClientLogoutFields", func(t *testing.T) { testClientLogoutFields(t, open(t)) })
	t.Run("PendingLogins", func(t *testing.T) { testPendingLogins(t, open(t)) })
	t.Run("PendingLoginsConcurrent", func(t *testing.T) { testPendingConcurrent(t, open(t)) })
	t.Run("AuthRequests", func(t *testing.T) { testAuthRequests(t, open(t)) })
	t.Run("AuthRequestsConcurrent", func(t *testing.T) { testAuthRequestsConcurrent(t, open(t)) })
	t.Run("RefreshTokens", func(t *testing.T) { testRefresh(t, open(t)) })
	t.Run("RefreshGrace", func(t *testing.T) { testRefreshGrace(t, open(t)) })
	t.Run("RefreshGraceConcurrent", func(t *testing.T) { testRefreshGraceConcurrent(t, open(t)) })
	t.Run("RevokedAccessTokens", func(t *testing.T) { testRevokedAccessTokens(t, open(t)) })
	t.Run("RefreshConcurrent", func(t *testing.T) { testRefreshConcurrent(t, open(t)) })
	t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
	t.Run("InTx", func(t *testing.T) { testInTx(t, open(t)) })
	t.Run("Clients", func(t *testing.T) { testClients(t, open(t)) })
	t.Run("ClientAllowedGroups", func(t *testing.T) { testClientAllowedGroups(t, open(t)) })
	t.Run("ClientExchangeProviders", func(t *testing.T) { testClientExchangeProviders(t, open(t)) })
	t.Run("ClientUse", func(t *testing.T) { testClientUse(t, open(t)) })
	t.Run("AuthCodes", func(t *testing.T) { testAuthCodes(t, open(t)) })
	t.Run("Consents", func(t *testing.T) { testConsents(t, open(t)) })
	t.Run("DeviceCodes", func(t *testing.T) { testDeviceCodes(t, open(t)) })
	t.Run("APITokens", func(t *testing.T) { testAPITokens(t, open(t)) })
	t.Run("LoginStates", func(t *testing.T) { testLoginStates(t, open(t)) })
	t.Run("CancelLogin", func(t *testing.T) { testCancelLogin(t, open(t)) })
	t.Run("DeleteExpired", func(t *testing.T) { testDeleteExpired(t, open(t)) })
	t.Run("Hit", func(t *testing.T) { testHit(t, open(t)) })
	t.Run("Times", func(t *testing.T) { testTimes(t, open(t)) })
	t.Run("UnlinkRace", func(t *testing.T) { testUnlinkRace(t, open(t)) })
	t.Run("RefreshFamilyAfterRace", func(t *testing.T) { testRefreshFamilyAfterRace(t, open(t)) })
	t.Run("RotateInTx", func(t *testing.T) { testRotateInTx(t, open(t)) })
	t.Run("ConsentRace", func(t *testing.T) { testConsentRace(t, open(t)) })
	t.Run("DevicePollRace", func(t *testing.T) { testDevicePollRace(t, open(t)) })
	t.Run("Ping", func(t *testing.T) { testPing(t, open(t)) })
	t.Run("CheckWritable", func(t *testing.T) { testCheckWritable(t, open(t)) })
	t.Run("Groups", func(t *testing.T) { testGroups(t, open(t)) })
	t.Run("APIs", func(t *testing.T) { testAPIs(t, open(t)) })
	t.Run("RefreshResource", func(t *testing.T) { testRefreshResource(t, open(t)) })
	t.Run("RefreshSID", func(t *testing.T) { testRefreshSID(t, open(t)) })
	t.Run("SetUpstreamGroups", func(t *testing.T) { testSetUpstreamGroups(t, open(t)) })
	t.Run("Invites", func(t *testing.T) { testInvites(t, open(t)) })
	t.Run("InviteRace", func(t *testing.T) { testInviteRace(t, open(t)) })
	t.Run("InviteSweep", func(t *testing.T) { testInviteSweep(t, open(t)) })
}

func newAccount(t *testing.T, s store.Store, username string) store.Account {
	t.Helper()
	a := store.Account{ID: store.NewID(), Username: username, Email: username + "@example.test",
		EmailVerified: true, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateAccount(context.Background(), &a))
	return a
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: err = %v, want %v", what, got, want)
	}
}

func testAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	got, err := s.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	if got.Username != "alice" || !got.CreatedAt.Equal(t0) || !got.EmailVerified {
		t.Errorf("GetAccount = %+v", got)
	}
	dup := store.Account{ID: store.NewID(), Username: "alice", CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "duplicate username", s.CreateAccount(ctx, &dup), store.ErrAlreadyExists)
	dupID := store.Account{ID: a.ID, Username: "other", CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "duplicate id", s.CreateAccount(ctx, &dupID), store.ErrAlreadyExists)
	_, err = s.GetAccount(ctx, "nope")
	wantErr(t, "unknown id", err, store.ErrNotFound)
	_, err = s.GetAccountByUsername(ctx, "nope")
	wantErr(t, "unknown username", err, store.ErrNotFound)

	// An operator disables alice while a stale copy of her account is being
	// changed: the update writes profile and password, not the flags.
	yes := true
	require.NoError(t, s.SetAccountFlags(ctx, a.ID, store.AccountFlags{Disabled: &yes}, t0))
	a.PasswordHash, a.Name, a.IsAdmin = "$argon2id$x", "Alice A.", true
	require.NoError(t, s.UpdateAccount(ctx, &a))
	got, err = s.GetAccountByUsername(ctx, "alice")
	require.NoError(t, err)
	if got.PasswordHash != "$argon2id$x" || got.Name != "Alice A." || !got.Disabled || got.IsAdmin {
		t.Errorf("after update: %+v", got)
	}
	ghost := store.Account{ID: "ghost", Username: "ghost"}
	wantErr(t, "update unknown", s.UpdateAccount(ctx, &ghost), store.ErrNotFound)
	b := newAccount(t, s, "bob")
	b.Username = "alice"
	wantErr(t, "rename onto taken username", s.UpdateAccount(ctx, &b), store.ErrAlreadyExists)

	list, err := s.ListAccountsByEmail(ctx, "ALICE@example.test")
	require.NoError(t, err)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("by e-mail = %+v", list)
	}
	c := store.Account{ID: store.NewID(), Username: "carol", Email: "alice@example.test", CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateAccount(ctx, &c)) // same address, unverified: an owner too
	list, err = s.ListAccountsByEmail(ctx, "alice@example.test")
	require.NoError(t, err)
	if len(list) != 2 || list[0].ID != a.ID || list[1].EmailVerified {
		t.Errorf("by e-mail, one verified and one not: %+v", list)
	}
	if list, err = s.ListAccountsByEmail(ctx, ""); err != nil || len(list) != 0 {
		t.Errorf("the empty address has owners: %d, %v", len(list), err)
	}
}

func testIdentities(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	gh := store.Identity{ID: store.NewID(), AccountID: a.ID, Provider: "github", Subject: "42",
		Profile: []byte(`{"id":42}`), CreatedAt: t0, LastLoginAt: t0}
	require.NoError(t, s.CreateIdentity(ctx, &gh))
	again := gh
	again.ID = store.NewID()
	wantErr(t, "same provider+subject", s.CreateIdentity(ctx, &again), store.ErrAlreadyExists)
	orphan := store.Identity{ID: store.NewID(), AccountID: "nope", Provider: "x", Subject: "1", CreatedAt: t0, LastLoginAt: t0}
	wantErr(t, "unknown account", s.CreateIdentity(ctx, &orphan), store.ErrNotFound)

	got, err := s.GetIdentity(ctx, "github", "42")
	require.NoError(t, err)
	if got.AccountID != a.ID || string(got.Profile) != `{"id":42}` {
		t.Errorf("GetIdentity = %+v", got)
	}
	_, err = s.GetIdentity(ctx, "github", "43")
	wantErr(t, "unknown identity", err, store.ErrNotFound)

	got.Email, got.LastLoginAt = "a@example.test", t0.Add(time.Hour)
	require.NoError(t, s.UpdateIdentity(ctx, &got))
	ghost := store.Identity{ID: "ghost"}
	wantErr(t, "update unknown", s.UpdateIdentity(ctx, &ghost), store.ErrNotFound)

	// The only way in cannot be removed; with a second one it can.
	wantErr(t, "delete last way in", s.DeleteIdentity(ctx, a.ID, gh.ID), store.ErrConflict)
	lego := store.Identity{ID: store.NewID(), AccountID: a.ID, Provider: "lego", Subject: "7", CreatedAt: t0.Add(time.Minute), LastLoginAt: t0}
	require.NoError(t, s.CreateIdentity(ctx, &lego))
	// Inserted last but created first: lists are in creation order.
	early := store.Identity{ID: store.NewID(), AccountID: a.ID, Provider: "early", Subject: "1", CreatedAt: t0.Add(-time.Minute), LastLoginAt: t0}
	require.NoError(t, s.CreateIdentity(ctx, &early))
	ids, err := s.ListIdentities(ctx, a.ID)
	require.NoError(t, err)
	if len(ids) != 3 || ids[0].Provider != "early" || ids[1].Provider != "github" || ids[2].Provider != "lego" ||
		!ids[1].LastLoginAt.Equal(t0.Add(time.Hour)) || string(ids[1].Profile) != `{"id":42}` {
		t.Errorf("ListIdentities = %+v", ids)
	}
	require.NoError(t, s.DeleteIdentity(ctx, a.ID, early.ID))
	b := newAccount(t, s, "bob")
	wantErr(t, "delete another account's identity", s.DeleteIdentity(ctx, b.ID, gh.ID), store.ErrNotFound)
	require.NoError(t, s.DeleteIdentity(ctx, a.ID, gh.ID))
	wantErr(t, "delete twice", s.DeleteIdentity(ctx, a.ID, gh.ID), store.ErrNotFound)
	// A password is a way in too.
	a.PasswordHash = "$argon2id$x"
	require.NoError(t, s.UpdateAccount(ctx, &a))
	require.NoError(t, s.DeleteIdentity(ctx, a.ID, lego.ID))
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	x := store.Session{ID: "h1", AccountID: a.ID, AMR: "github", AuthTime: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour), LastSeenAt: t0, IP: "127.0.0.1"}
	require.NoError(t, s.CreateSession(ctx, &x))
	wantErr(t, "duplicate", s.CreateSession(ctx, &x), store.ErrAlreadyExists)
	got, err := s.GetSession(ctx, "h1", t0.Add(time.Minute))
	require.NoError(t, err)
	if got.AccountID != a.ID || got.AMR != "github" || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("GetSession = %+v", got)
	}
	_, err = s.GetSession(ctx, "h1", t0.Add(time.Hour))
	wantErr(t, "expired", err, store.ErrNotFound)
	require.NoError(t, s.DeleteSession(ctx, "h1"))
	require.NoError(t, s.DeleteSession(ctx, "h1"))
	_, err = s.GetSession(ctx, "h1", t0)
	wantErr(t, "deleted", err, store.ErrNotFound)
}

func pending(id string) *store.PendingLogin {
	return &store.PendingLogin{ID: id, Provider: "github", Session: `{"verifier":"v"}`, ReturnTo: "/account",
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

func testPendingLogins(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreatePendingLogin(ctx, pending("p1")))
	wantErr(t, "duplicate", s.CreatePendingLogin(ctx, pending("p1")), store.ErrAlreadyExists)
	got, err := s.TakePendingLogin(ctx, "p1", t0.Add(time.Minute))
	require.NoError(t, err)
	if got.Session != `{"verifier":"v"}` || got.ReturnTo != "/account" {
		t.Errorf("TakePendingLogin = %+v", got)
	}
	_, err = s.TakePendingLogin(ctx, "p1", t0)
	wantErr(t, "taken twice", err, store.ErrNotFound)
	require.NoError(t, s.CreatePendingLogin(ctx, pending("p2")))
	_, err = s.TakePendingLogin(ctx, "p2", t0.Add(10*time.Minute))
	wantErr(t, "expired", err, store.ErrNotFound)
	_, err = s.TakePendingLogin(ctx, "nope", t0)
	wantErr(t, "unknown", err, store.ErrNotFound)
}

func testPendingConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreatePendingLogin(ctx, pending("p")))
	wins := race(8, func() error { _, err := s.TakePendingLogin(ctx, "p", t0); return err }, store.ErrNotFound)
	if wins != 1 {
		t.Errorf("%d callers took one pending login, want exactly 1", wins)
	}
}

// race runs fn from n goroutines released together and counts the
// successes; errors other than loss fail loudly via the returned count -1.
func race(n int, fn func() error, loss ...error) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	wins := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !isOneOf(err, loss):
				wins = -1000 // an unexpected error: make the count impossible
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins
}

func isOneOf(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
