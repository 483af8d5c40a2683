package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

func newClient(t *testing.T, s store.Store, id, owner string) store.Client {
	t.Helper()
	c := store.Client{ID: id, SecretHash: "abc", Name: "App " + id, RedirectURIs: []string{"https://app.test/cb", "http://127.0.0.1/cb"},
		Scopes: []string{"openid", "profile"}, GrantTypes: []string{"authorization_code", "refresh_token"},
		AccessTTL: time.Minute, IDTokenAlg: "RS256", OwnerID: owner, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateClient(context.Background(), &c))
	return c
}

func testClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	c := newClient(t, s, "app1", a.ID)
	newClient(t, s, "app2", "")
	wantErr(t, "duplicate", s.CreateClient(ctx, &c), store.ErrAlreadyExists)
	got, err := s.GetClient(ctx, "app1")
	require.NoError(t, err)
	if len(got.RedirectURIs) != 2 || got.RedirectURIs[1] != "http://127.0.0.1/cb" || got.AccessTTL != time.Minute || got.OwnerID != a.ID || len(got.GrantTypes) != 2 {
		t.Errorf("GetClient = %+v", got)
	}
	_, err = s.GetClient(ctx, "nope")
	wantErr(t, "unknown", err, store.ErrNotFound)
	mine, err := s.ListClients(ctx, a.ID)
	require.NoError(t, err)
	all, err := s.ListClients(ctx, "")
	require.NoError(t, err)
	if len(mine) != 1 || len(all) != 2 {
		t.Errorf("ListClients: mine %d, all %d", len(mine), len(all))
	}
	// The secret is rotated, then an edit made from the copy read before
	// lands: it keeps the new secret.
	stale := got
	require.NoError(t, s.SetClientSecret(ctx, "app1", "new-hash", t0.Add(time.Minute)))
	if got.Vetted {
		t.Errorf("a client created unvetted reads back vetted")
	}
	stale.Name, stale.Public, stale.Vetted = "Renamed", true, true
	require.NoError(t, s.UpdateClient(ctx, &stale))
	got, _ = s.GetClient(ctx, "app1")
	if got.Name != "Renamed" || !got.Public || !got.Vetted || got.SecretHash != "new-hash" {
		t.Errorf("after update = %+v", got)
	}
	ghost := store.Client{ID: "ghost"}
	wantErr(t, "update unknown", s.UpdateClient(ctx, &ghost), store.ErrNotFound)
	wantErr(t, "new secret for unknown", s.SetClientSecret(ctx, "ghost", "h", t0), store.ErrNotFound)

	// Deleting a client revokes its refresh tokens and removes codes and consents.
	rt := store.RefreshToken{ID: "rt", FamilyID: "rt", AccountID: a.ID, ClientID: "app1", AuthTime: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour), FamilyExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateRefreshToken(ctx, &rt))
	require.NoError(t, s.SaveConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "app1", Scope: "openid", CreatedAt: t0, UpdatedAt: t0}))
	require.NoError(t, s.DeleteClient(ctx, "app1", t0))
	wantErr(t, "delete twice", s.DeleteClient(ctx, "app1", t0), store.ErrNotFound)
	tok, err := s.GetRefreshToken(ctx, "rt")
	require.NoError(t, err)
	if tok.RevokedAt == nil {
		t.Errorf("client deletion left its refresh token alive")
	}
	_, err = s.GetConsent(ctx, a.ID, "app1")
	wantErr(t, "consent of deleted client", err, store.ErrNotFound)
}

// testClientAllowedGroups: a client's allowed groups are stored in order,
// read back empty when none, and cleared by an update.
func testClientAllowedGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newClient(t, s, "app", "")
	if len(c.AllowedGroups) != 0 {
		t.Fatalf("newClient set allowed groups")
	}
	got, err := s.GetClient(ctx, "app")
	require.NoError(t, err)
	if got.AllowedGroups == nil || len(got.AllowedGroups) != 0 {
		t.Errorf("a client created without allowed groups reads back %#v", got.AllowedGroups)
	}
	c.AllowedGroups = []string{"staff", "acme/ops"}
	require.NoError(t, s.UpdateClient(ctx, &c))
	if got, _ = s.GetClient(ctx, "app"); !slices.Equal(got.AllowedGroups, []string{"staff", "acme/ops"}) {
		t.Errorf("allowed groups after update = %q", got.AllowedGroups)
	}
	if all, _ := s.ListClients(ctx, ""); len(all) != 1 || !slices.Equal(all[0].AllowedGroups, c.AllowedGroups) {
		t.Errorf("ListClients allowed groups = %v", all)
	}
	c.AllowedGroups = nil
	require.NoError(t, s.UpdateClient(ctx, &c))
	if got, _ = s.GetClient(ctx, "app"); len(got.AllowedGroups) != 0 {
		t.Errorf("allowed groups after clearing = %q", got.AllowedGroups)
	}
}

func testAuthCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newClient(t, s, "app", "")
	code := store.AuthCode{ID: "c1", ClientID: "app", AccountID: a.ID, RedirectURI: "https://app.test/cb", Scope: "openid",
		Nonce: "n", CodeChallenge: "ch", CodeChallengeMethod: "S256", AMR: "github", AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	require.NoError(t, s.CreateAuthCode(ctx, &code))
	wantErr(t, "duplicate", s.CreateAuthCode(ctx, &code), store.ErrAlreadyExists)
	got, err := s.RedeemAuthCode(ctx, "c1", t0.Add(time.Second))
	require.NoError(t, err)
	if got.Nonce != "n" || got.CodeChallenge != "ch" || got.RedirectURI != "https://app.test/cb" || got.UsedAt == nil {
		t.Errorf("redeemed = %+v", got)
	}
	require.NoError(t, s.SetAuthCodeIssued(ctx, "c1", "fam", "jti-1"))
	got, err = s.RedeemAuthCode(ctx, "c1", t0.Add(2*time.Second))
	wantErr(t, "replay", err, store.ErrTokenReused)
	if got.FamilyID != "fam" || got.AccessJTI != "jti-1" {
		t.Errorf("replayed code lost its family: %+v", got)
	}
	code.ID = "c2"
	require.NoError(t, s.CreateAuthCode(ctx, &code))
	_, err = s.RedeemAuthCode(ctx, "c2", t0.Add(time.Minute))
	wantErr(t, "expired", err, store.ErrTokenExpired)
	_, err = s.RedeemAuthCode(ctx, "nope", t0)
	wantErr(t, "unknown", err, store.ErrNotFound)
	code.ID = "c3"
	require.NoError(t, s.CreateAuthCode(ctx, &code))
	wins := race(8, func() error { _, err := s.RedeemAuthCode(ctx, "c3", t0); return err }, store.ErrTokenReused)
	if wins != 1 {
		t.Errorf("%d concurrent redemptions of one code won, want 1", wins)
	}
}

func testConsents(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newClient(t, s, "app", "")
	_, err := s.GetConsent(ctx, a.ID, "app")
	wantErr(t, "none yet", err, store.ErrNotFound)
	require.NoError(t, s.SaveConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "app", Scope: "openid", CreatedAt: t0, UpdatedAt: t0}))
	require.NoError(t, s.SaveConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "app", Scope: "openid profile", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}))
	got, err := s.GetConsent(ctx, a.ID, "app")
	require.NoError(t, err)
	if got.Scope != "openid profile" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("consent = %+v", got)
	}
	list, err := s.ListConsents(ctx, a.ID)
	require.NoError(t, err)
	if len(list) != 1 {
		t.Errorf("ListConsents = %+v", list)
	}
	rt := store.RefreshToken{ID: "rt", FamilyID: "rt", AccountID: a.ID, ClientID: "app", AuthTime: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour), FamilyExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateRefreshToken(ctx, &rt))
	require.NoError(t, s.RevokeConsent(ctx, a.ID, "app", t0))
	wantErr(t, "revoke twice", s.RevokeConsent(ctx, a.ID, "app", t0), store.ErrNotFound)
	tok, _ := s.GetRefreshToken(ctx, "rt")
	if tok.RevokedAt == nil {
		t.Errorf("revoking consent left the app's refresh token alive")
	}
}

func testDeviceCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newClient(t, s, "tv", "")
	d := store.DeviceCode{ID: "d1", UserCode: "BCDFGHJK", ClientID: "tv", Scope: "openid", Status: store.DevicePending,
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	require.NoError(t, s.CreateDeviceCode(ctx, &d))
	dup := d
	dup.ID = "d2"
	wantErr(t, "duplicate user code", s.CreateDeviceCode(ctx, &dup), store.ErrAlreadyExists)
	got, err := s.GetDeviceCodeByUserCode(ctx, "BCDFGHJK", t0)
	require.NoError(t, err)
	if got.ClientID != "tv" || got.Status != store.DevicePending {
		t.Errorf("by user code = %+v", got)
	}
	_, err = s.GetDeviceCodeByUserCode(ctx, "BCDFGHJK", t0.Add(10*time.Minute))
	wantErr(t, "expired user code", err, store.ErrNotFound)

	p, err := s.PollDeviceCode(ctx, "d1", t0, 5*time.Second)
	require.NoError(t, err)
	if p.Status != store.DevicePending {
		t.Errorf("first poll = %+v", p)
	}
	_, err = s.PollDeviceCode(ctx, "d1", t0.Add(2*time.Second), 5*time.Second)
	wantErr(t, "poll too fast", err, store.ErrSlowDown)
	require.NoError(t, s.DecideDeviceCode(ctx, "BCDFGHJK", true, a.ID, "github", t0, t0.Add(3*time.Second)))
	wantErr(t, "decide twice", s.DecideDeviceCode(ctx, "BCDFGHJK", false, a.ID, "", t0, t0), store.ErrNotFound)
	p, err = s.PollDeviceCode(ctx, "d1", t0.Add(10*time.Second), 5*time.Second)
	require.NoError(t, err)
	if p.Status != store.DeviceApproved || p.AccountID != a.ID || p.AMR != "github" {
		t.Errorf("approved poll = %+v", p)
	}
	p, err = s.PollDeviceCode(ctx, "d1", t0.Add(20*time.Second), 5*time.Second)
	require.NoError(t, err)
	if p.Status != store.DeviceUsed {
		t.Errorf("a spent code answered %q", p.Status)
	}
	_, err = s.PollDeviceCode(ctx, "nope", t0, time.Second)
	wantErr(t, "unknown", err, store.ErrNotFound)
}

func testAPITokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	tok := store.APIToken{ID: "t1", AccountID: a.ID, Name: "laptop", SecretHash: "h1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateAPIToken(ctx, &tok))
	dup := tok
	dup.ID = "t2"
	wantErr(t, "duplicate secret", s.CreateAPIToken(ctx, &dup), store.ErrAlreadyExists)
	got, err := s.GetAPITokenBySecretHash(ctx, "h1", t0)
	require.NoError(t, err)
	if got.ID != "t1" || got.Name != "laptop" {
		t.Errorf("token = %+v", got)
	}
	_, err = s.GetAPITokenBySecretHash(ctx, "h1", t0.Add(time.Hour))
	wantErr(t, "expired", err, store.ErrNotFound)
	require.NoError(t, s.TouchAPIToken(ctx, "t1", t0.Add(time.Minute)))
	b := newAccount(t, s, "bob")
	wantErr(t, "revoke another's", s.RevokeAPIToken(ctx, b.ID, "t1", t0), store.ErrNotFound)
	require.NoError(t, s.RevokeAPIToken(ctx, a.ID, "t1", t0))
	_, err = s.GetAPITokenBySecretHash(ctx, "h1", t0)
	wantErr(t, "revoked", err, store.ErrNotFound)
	list, err := s.ListAPITokens(ctx, a.ID)
	require.NoError(t, err)
	if len(list) != 1 || list[0].LastUsedAt == nil || list[0].RevokedAt == nil {
		t.Errorf("list = %+v", list)
	}
}

func testLoginStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	st := store.LoginState{ID: "s1", Provider: "github", Session: "sess", Redirect: "http://127.0.0.1/cb", CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	require.NoError(t, s.CreateLoginState(ctx, &st))
	_, err := s.TakeLoginResult(ctx, "s1", t0)
	wantErr(t, "pending", err, store.ErrConflict)
	got, err := s.TakeLoginSession(ctx, "s1", t0)
	require.NoError(t, err)
	if got.Session != "sess" || got.Provider != "github" {
		t.Errorf("session = %+v", got)
	}
	_, err = s.TakeLoginSession(ctx, "s1", t0)
	wantErr(t, "session twice", err, store.ErrNotFound)
	require.NoError(t, s.SetLoginResult(ctx, "s1", []byte("sealed"), "confirm-hash"))
	_, err = s.TakeLoginResult(ctx, "s1", t0)
	wantErr(t, "unconfirmed", err, store.ErrConflict)
	_, err = s.ConfirmLogin(ctx, "s1", "other", t0)
	wantErr(t, "wrong confirmation", err, store.ErrNotFound)
	confirmed, err := s.ConfirmLogin(ctx, "s1", "confirm-hash", t0)
	require.NoError(t, err)
	if confirmed.Redirect != "http://127.0.0.1/cb" || confirmed.Provider != "github" || confirmed.Session != "" {
		t.Errorf("confirmed state = %+v", confirmed)
	}
	_, err = s.ConfirmLogin(ctx, "s1", "confirm-hash", t0)
	wantErr(t, "confirm twice", err, store.ErrNotFound)
	_, err = s.CancelLogin(ctx, "s1", "confirm-hash")
	wantErr(t, "cancel after confirm", err, store.ErrNotFound)
	wins := race(6, func() error { _, err := s.TakeLoginResult(ctx, "s1", t0); return err }, store.ErrTokenReused)
	if wins != 1 {
		t.Errorf("%d pollers got the result, want 1", wins)
	}
	_, err = s.TakeLoginResult(ctx, "s1", t0.Add(10*time.Minute))
	wantErr(t, "expired", err, store.ErrNotFound)
	_, err = s.TakeLoginResult(ctx, "nope", t0)
	wantErr(t, "unknown", err, store.ErrNotFound)
}

// CancelLogin hands back the held result once, with the right hash, and
// the state is gone; racing a confirmation, exactly one of them wins.
func testCancelLogin(t *testing.T, s store.Store) {
	ctx := context.Background()
	pending := func(id string) {
		require.NoError(t, s.CreateLoginState(ctx, &store.LoginState{ID: id, Provider: "github", Session: "sess", CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}))
		_, err := s.TakeLoginSession(ctx, id, t0)
		require.NoError(t, err)
		require.NoError(t, s.SetLoginResult(ctx, id, []byte("sealed-"+id), "hash-"+id))
	}
	pending("c1")
	_, err := s.CancelLogin(ctx, "c1", "other")
	wantErr(t, "wrong hash", err, store.ErrNotFound)
	_, err = s.CancelLogin(ctx, "c1", "")
	wantErr(t, "empty hash", err, store.ErrNotFound)
	got, err := s.CancelLogin(ctx, "c1", "hash-c1")
	require.NoError(t, err)
	if string(got) != "sealed-c1" {
		t.Errorf("cancel returned %q", got)
	}
	_, err = s.CancelLogin(ctx, "c1", "hash-c1")
	wantErr(t, "cancel twice", err, store.ErrNotFound)
	_, err = s.ConfirmLogin(ctx, "c1", "hash-c1", t0)
	wantErr(t, "confirm after cancel", err, store.ErrNotFound)
	_, err = s.TakeLoginResult(ctx, "c1", t0)
	wantErr(t, "poll after cancel", err, store.ErrNotFound)
	_, err = s.CancelLogin(ctx, "nope", "hash-nope")
	wantErr(t, "unknown", err, store.ErrNotFound)

	for i := range 5 {
		id := fmt.Sprintf("r%d", i)
		pending(id)
		var flip atomic.Int32
		wins := race(4, func() error {
			if flip.Add(1)%2 == 0 {
				_, err := s.ConfirmLogin(ctx, id, "hash-"+id, t0)
				return err
			}
			_, err := s.CancelLogin(ctx, id, "hash-"+id)
			return err
		}, store.ErrNotFound)
		if wins != 1 {
			t.Errorf("round %d: %d of confirm/cancel won, want 1", i, wins)
		}
	}
}

func testDeleteExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	require.NoError(t, s.CreatePendingLogin(ctx, pending("old")))
	require.NoError(t, s.CreatePendingLogin(ctx, &store.PendingLogin{ID: "new", Provider: "x", Session: "s", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	firstToken(t, s, a.ID, "rt") // family expires at t0+24h
	sess := store.Session{ID: "s1", AccountID: a.ID, AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute), LastSeenAt: t0}
	require.NoError(t, s.CreateSession(ctx, &sess))
	require.NoError(t, s.CreateAuthRequest(ctx, authRequest("old")))
	live := authRequest("new")
	live.ExpiresAt = t0.Add(time.Hour)
	require.NoError(t, s.CreateAuthRequest(ctx, live))
	n, err := s.DeleteExpired(ctx, t0.Add(30*time.Minute))
	require.NoError(t, err)
	if n != 3 {
		t.Errorf("deleted %d rows, want 3 (the old pending login, the old authorization request and the session)", n)
	}
	if _, err := s.TakePendingLogin(ctx, "new", t0); err != nil {
		t.Errorf("a live pending login went: %v", err)
	}
	if _, err := s.GetAuthRequest(ctx, "new", t0); err != nil {
		t.Errorf("a live authorization request went: %v", err)
	}
	if _, err := s.GetRefreshToken(ctx, "rt"); err != nil {
		t.Errorf("a live refresh token went: %v", err)
	}
	n, err = s.DeleteExpired(ctx, t0.Add(25*time.Hour))
	require.NoError(t, err)
	if n != 2 {
		t.Errorf("deleted %d rows after the family expired, want 2 (the family's token and the other authorization request)", n)
	}
}

func testHit(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		n, err := s.Hit(ctx, "k", time.Minute, t0.Add(time.Duration(i)*time.Second))
		require.NoError(t, err)
		if n != i {
			t.Errorf("hit %d counted %d", i, n)
		}
	}
	n, err := s.Hit(ctx, "k", time.Minute, t0.Add(2*time.Minute))
	require.NoError(t, err)
	if n != 1 {
		t.Errorf("a new window counted %d, want 1", n)
	}
	if n, _ := s.Hit(ctx, "other", time.Minute, t0); n != 1 {
		t.Errorf("another key counted %d", n)
	}
	wins := race(10, func() error { _, err := s.Hit(ctx, "c", time.Hour, t0); return err })
	if n, _ := s.Hit(ctx, "c", time.Hour, t0); wins != 10 || n != 11 {
		t.Errorf("concurrent hits: %d ok, count %d, want 11", wins, n)
	}
}
