package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// usernames lists accounts' usernames in order.
func usernames(list []store.Account) string {
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.Username
	}
	return strings.Join(names, " ")
}

func testListAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.CountAccounts(ctx)
	require.NoError(t, err)
	if n != 0 {
		t.Errorf("CountAccounts of an empty store = %d", n)
	}
	// Inserted out of order; byte order puts upper case and the LIKE
	// wildcards before the lower-case letters.
	for _, u := range []string{"bob", "alice", "al_ice", "Alan", "alfred", `al\ce`, "al%ce"} {
		newAccount(t, s, u)
	}
	n, err = s.CountAccounts(ctx)
	require.NoError(t, err)
	if n != 7 {
		t.Errorf("CountAccounts = %d, want 7", n)
	}
	tests := []struct {
		name, after, prefix string
		limit               int
		want                string
	}{
		{"first page", "", "", 3, `Alan al%ce al\ce`},
		{"second page", `al\ce`, "", 3, "al_ice alfred alice"},
		{"last page", "alice", "", 3, "bob"},
		{"after the end", "bob", "", 3, ""},
		{"after a missing name", "alb", "", 10, "alfred alice bob"},
		{"prefix, any case", "", "AL", 10, `Alan al%ce al\ce al_ice alfred alice`},
		{"prefix paged", "al_ice", "al", 10, "alfred alice"},
		{"underscore is literal", "", "al_", 10, "al_ice"},
		{"percent is literal", "", "al%", 10, "al%ce"},
		{"backslash is literal", "", `al\`, 10, `al\ce`},
		{"lone percent", "", "%", 10, ""},
		{"lone underscore", "", "_", 10, ""},
		{"no match", "", "zz", 10, ""},
		{"whole name", "", "bob", 10, "bob"},
		{"longer than any name", "", strings.Repeat("a", 500), 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.ListAccounts(ctx, tt.after, tt.limit, tt.prefix)
			require.NoError(t, err)
			if got := usernames(list); got != tt.want {
				t.Errorf("ListAccounts(after %q, %d, prefix %q) = %q, want %q", tt.after, tt.limit, tt.prefix, got, tt.want)
			}
		})
	}
	list, err := s.ListAccounts(ctx, "", 1, "bob")
	require.NoError(t, err)
	if len(list) != 1 || list[0].Email != "bob@example.test" || !list[0].CreatedAt.Equal(t0) {
		t.Errorf("listed account = %+v", list)
	}
}

func testSetAccountFlags(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	a.PasswordHash, a.Name = "$argon2id$x", "Alice"
	require.NoError(t, s.UpdateAccount(ctx, &a))
	yes, no := true, false
	later := t0.Add(time.Hour)

	// What alice (and, to show it is hers alone, bob) can get in with.
	alice := grantWays(t, s, a)
	bob := grantWays(t, s, newAccount(t, s, "bob"))

	require.NoError(t, s.SetAccountFlags(ctx, a.ID, store.AccountFlags{Disabled: &yes}, later))
	got, err := s.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	if !got.Disabled || got.IsAdmin || !got.UpdatedAt.Equal(later) || got.PasswordHash != "$argon2id$x" || got.Name != "Alice" {
		t.Errorf("after disabling: %+v", got)
	}
	checkLockedOut(t, s, alice, bob, later)
	require.NoError(t, s.SetAccountFlags(ctx, a.ID, store.AccountFlags{IsAdmin: &yes}, later))
	got, err = s.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	if !got.Disabled || !got.IsAdmin {
		t.Errorf("granting admin touched Disabled: %+v", got)
	}
	require.NoError(t, s.SetAccountFlags(ctx, a.ID, store.AccountFlags{IsAdmin: &no, Disabled: &no}, later))
	got, err = s.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	if got.Disabled || got.IsAdmin {
		t.Errorf("after clearing both: %+v", got)
	}
	// Enabling brings none of it back.
	_, err = s.GetAPITokenBySecretHash(ctx, alice.api.SecretHash, later)
	wantErr(t, "API token after enabling", err, store.ErrNotFound)
	_, err = s.GetSession(ctx, alice.sess.ID, t0)
	wantErr(t, "session after enabling", err, store.ErrNotFound)
	// Setting a flag to the value it has is not "not found".
	require.NoError(t, s.SetAccountFlags(ctx, a.ID, store.AccountFlags{Disabled: &no}, later))
	wantErr(t, "unknown account", s.SetAccountFlags(ctx, "nope", store.AccountFlags{Disabled: &yes}, later), store.ErrNotFound)
}

// ways are what an account can get back in with.
type ways struct {
	sess store.Session
	rt   store.RefreshToken
	api  store.APIToken
}

// grantWays gives acct a session, a refresh token and an API token.
func grantWays(t *testing.T, s store.Store, acct store.Account) ways {
	t.Helper()
	ctx := context.Background()
	sess := store.Session{ID: store.NewID(), AccountID: acct.ID, AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour), LastSeenAt: t0}
	require.NoError(t, s.CreateSession(ctx, &sess))
	rt := store.RefreshToken{ID: store.NewID(), AccountID: acct.ID, AuthTime: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(48 * time.Hour), FamilyExpiresAt: t0.Add(48 * time.Hour)}
	rt.FamilyID = rt.ID
	require.NoError(t, s.CreateRefreshToken(ctx, &rt))
	api := store.APIToken{ID: store.NewID(), AccountID: acct.ID, Name: "cli", SecretHash: store.NewID(), CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}
	require.NoError(t, s.CreateAPIToken(ctx, &api))
	return ways{sess, rt, api}
}

// checkLockedOut: disabling alice ended her ways back in, and only hers.
func checkLockedOut(t *testing.T, s store.Store, alice, bob ways, later time.Time) {
	t.Helper()
	ctx := context.Background()
	_, err := s.GetSession(ctx, alice.sess.ID, t0)
	wantErr(t, "session of a disabled account", err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, alice.rt.ID, &store.RefreshToken{ID: store.NewID(), ExpiresAt: t0.Add(time.Hour)}, later, 0)
	wantErr(t, "refresh token of a disabled account", err, store.ErrTokenRevoked)
	_, err = s.GetAPITokenBySecretHash(ctx, alice.api.SecretHash, later)
	wantErr(t, "API token of a disabled account", err, store.ErrNotFound)
	_, err = s.GetSession(ctx, bob.sess.ID, t0)
	require.NoError(t, err, "bob's session")
	if r, err := s.GetRefreshToken(ctx, bob.rt.ID); err != nil || r.RevokedAt != nil {
		t.Errorf("bob's refresh token: %+v %v", r, err)
	}
	_, err = s.GetAPITokenBySecretHash(ctx, bob.api.SecretHash, later)
	require.NoError(t, err, "bob's API token")
}

func testReplacePasswordHash(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	a.PasswordHash = "$argon2id$old"
	require.NoError(t, s.UpdateAccount(ctx, &a))
	require.NoError(t, s.ReplacePasswordHash(ctx, a.ID, "$argon2id$old", "$argon2id$new", t0.Add(time.Hour)))
	got, err := s.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	if got.PasswordHash != "$argon2id$new" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after replace: %+v", got)
	}
	// A rehash racing a password change loses: the changed password stays.
	wantErr(t, "stale old hash", s.ReplacePasswordHash(ctx, a.ID, "$argon2id$old", "$argon2id$rehash", t0), store.ErrConflict)
	if got, _ := s.GetAccount(ctx, a.ID); got.PasswordHash != "$argon2id$new" {
		t.Errorf("stale replace wrote: %q", got.PasswordHash)
	}
	wantErr(t, "unknown account", s.ReplacePasswordHash(ctx, "nope", "a", "b", t0), store.ErrNotFound)
}

// The last active administrator cannot be disabled or un-admined, even by
// two changes racing each other.
func testLastAdmin(t *testing.T, s store.Store) {
	ctx := context.Background()
	yes, no := true, false
	admin := func(name string) store.Account {
		a := newAccount(t, s, name)
		require.NoError(t, s.SetAccountFlags(ctx, a.ID, store.AccountFlags{IsAdmin: &yes}, t0))
		return a
	}
	plain := newAccount(t, s, "carl")
	require.NoError(t, s.SetAccountFlags(ctx, plain.ID, store.AccountFlags{Disabled: &yes}, t0), "a non-admin")

	// Two administrators each take the other's rights at the same moment:
	// one wins. Rounds make the two changes overlap; each round's survivor
	// races a new administrator in the next.
	last := admin("ann")
	for round := range 20 {
		pair := []store.Account{last, admin(fmt.Sprintf("admin%d", round))}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, target := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.SetAccountFlags(ctx, target.ID, store.AccountFlags{IsAdmin: &no}, t0)
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrConflict):
				conflict++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("round %d: two racing admin removals: %d succeeded, %d refused; want 1 and 1", round, ok, conflict)
		}
		if got, _ := s.GetAccount(ctx, pair[0].ID); !got.IsAdmin {
			last = pair[1]
		}
	}
	wantErr(t, "disable the last admin", s.SetAccountFlags(ctx, last.ID, store.AccountFlags{Disabled: &yes}, t0), store.ErrConflict)
	if got, _ := s.GetAccount(ctx, last.ID); !got.IsAdmin || got.Disabled {
		t.Errorf("a refused change changed the account: %+v", got)
	}
	// With another administrator, the same change goes through.
	admin("dora")
	require.NoError(t, s.SetAccountFlags(ctx, last.ID, store.AccountFlags{Disabled: &yes}, t0))
}
