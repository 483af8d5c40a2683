package gormstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
	"gatehouse/store/gormstore"
	"gatehouse/store/pgtest"
	"gatehouse/store/sqlitetest"
	"gatehouse/store/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sqlitetest.Open(t) })
}

// With one connection per pool, any query issued outside its transaction
// would wait forever for the connection the transaction holds. The suite
// runs InTx, every multi-statement method and rotation inside a caller's
// transaction; a deadlock shows as the test binary's timeout.
func TestOneConnectionNoDeadlock(t *testing.T) {
	oneConn := func(open func(testing.TB) *gormstore.Store) storetest.Opener {
		return func(t *testing.T) store.Store {
			st := open(t)
			require.NoError(t, st.SetMaxOpenConns(1))
			return st
		}
	}
	t.Run("sqlite", func(t *testing.T) { storetest.Run(t, oneConn(sqlitetest.Open)) })
	t.Run("postgres", func(t *testing.T) {
		pgtest.DSN(t)
		storetest.Run(t, oneConn(pgtest.Open))
	})
}

func TestMigrateTwice(t *testing.T) {
	st := sqlitetest.Open(t)
	n, err := st.Migrate(context.Background())
	require.NoError(t, err)
	if n != 0 {
		t.Errorf("second migrate applied %d migrations, want 0", n)
	}
}

// BenchmarkRotateRefreshToken: one rotation (conditional UPDATE … RETURNING
// + INSERT, committed) on a file-backed WAL database. "fast" is the normal
// path (prepared database/sql statements through the group-commit writer);
// "in-tx" is the general gorm path a rotation takes inside a caller's InTx.
func BenchmarkRotateRefreshToken(b *testing.B) {
	b.Run("fast", func(b *testing.B) {
		benchRotate(b, func(st *gormstore.Store, rotate func(store.Store) error) error { return rotate(st) })
	})
	b.Run("in-tx", func(b *testing.B) {
		benchRotate(b, func(st *gormstore.Store, rotate func(store.Store) error) error {
			return st.InTx(context.Background(), rotate)
		})
	})
}

// benchNow is the fixed instant of the rotation benchmarks.
var benchNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// seedChain makes an account and the first token of a refresh chain to
// rotate, in st.
func seedChain(b *testing.B, st store.Store) store.RefreshToken {
	b.Helper()
	ctx, now := context.Background(), benchNow
	a := store.Account{ID: store.NewID(), Username: "bench", CreatedAt: now, UpdatedAt: now}
	require.NoError(b, st.CreateAccount(ctx, &a))
	cur := store.RefreshToken{ID: store.NewID(), AccountID: a.ID, AuthTime: now, CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), FamilyExpiresAt: now.Add(time.Hour)}
	cur.FamilyID = cur.ID
	require.NoError(b, st.CreateRefreshToken(ctx, &cur))
	return cur
}

func benchRotate(b *testing.B, run func(*gormstore.Store, func(store.Store) error) error) {
	st := sqlitetest.Open(b)
	ctx, now := context.Background(), benchNow
	cur := seedChain(b, st)
	b.ResetTimer()
	for b.Loop() {
		next := store.RefreshToken{ID: store.NewID(), ExpiresAt: now.Add(time.Hour)}
		err := run(st, func(s store.Store) error {
			_, err := s.RotateRefreshToken(ctx, cur.ID, &next, now, 0)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		cur = next
	}
}

func TestPostgresConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}

func TestBackupAndCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	src := sqlitetest.Open(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{"alice", "bob"} {
		a := store.Account{ID: store.NewID(), Username: name, EmailVerified: true, PasswordHash: "$argon2id$x", CreatedAt: now, UpdatedAt: now}
		require.NoError(t, src.CreateAccount(ctx, &a))
		id := store.Identity{ID: store.NewID(), AccountID: a.ID, Provider: "github", Subject: name, Profile: []byte(`{"x":1}`), CreatedAt: now, LastLoginAt: now}
		require.NoError(t, src.CreateIdentity(ctx, &id))
		require.NoError(t, src.SetUpstreamGroups(ctx, a.ID, "github", []string{"acme"}, now))
	}
	seedGroups(t, src, now)
	k := store.SigningKey{ID: "k", Alg: "ES256", PrivateCiphertext: []byte{1, 2, 3}, PublicJWK: []byte(`{}`), CreatedAt: now, ActiveAt: now}
	require.NoError(t, src.CreateSigningKey(ctx, &k))

	backup := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, src.Backup(ctx, backup))
	copyOf, err := gormstore.Open(ctx, "sqlite", backup)
	require.NoError(t, err)
	defer copyOf.Close()
	if _, err := copyOf.GetAccountByUsername(ctx, "bob"); err != nil {
		t.Errorf("backup lacks data: %v", err)
	}

	pgDSN := pgtest.NewDatabase(t)
	counts, err := gormstore.CopySQLiteToPostgres(ctx, backup, pgDSN)
	require.NoError(t, err)
	if counts["accounts"] != 2 || counts["identities"] != 2 || counts["signing_keys"] != 1 {
		t.Errorf("counts = %v", counts)
	}
	dst, err := gormstore.Open(ctx, "postgres", pgDSN)
	require.NoError(t, err)
	defer dst.Close()
	id, err := dst.GetIdentity(ctx, "github", "alice")
	require.NoError(t, err)
	if string(id.Profile) != `{"x":1}` || !id.CreatedAt.Equal(now) {
		t.Errorf("copied identity = %+v", id)
	}
	keys, err := dst.ListSigningKeys(ctx, now)
	require.NoError(t, err)
	if len(keys) != 1 || string(keys[0].PrivateCiphertext) != "\x01\x02\x03" {
		t.Errorf("copied keys = %+v", keys)
	}
	checkCopiedGroups(t, dst, now)
	if _, err := gormstore.CopySQLiteToPostgres(ctx, backup, pgDSN); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("copy into a non-empty database: %v", err)
	}
}

// BenchmarkAccountReads: the two reads behind users/me, on a file-backed
// WAL database.
func BenchmarkAccountReads(b *testing.B) {
	st := sqlitetest.Open(b)
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	a := store.Account{ID: store.NewID(), Username: "bench", CreatedAt: now, UpdatedAt: now}
	require.NoError(b, st.CreateAccount(ctx, &a))
	require.NoError(b, st.CreateIdentity(ctx, &store.Identity{ID: store.NewID(), AccountID: a.ID, Provider: "mock",
		Subject: "1", Username: "bench", Profile: []byte(`{"login":"bench"}`), CreatedAt: now, LastLoginAt: now}))
	b.Run("GetAccount", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.GetAccount(ctx, a.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListIdentities", func(b *testing.B) {
		for b.Loop() {
			if ids, err := st.ListIdentities(ctx, a.ID); err != nil || len(ids) != 1 {
				b.Fatal(ids, err)
			}
		}
	})
}

// A successor's sealed value (the refresh grace rule) is on disk only
// for its grace window: DeleteExpired erases it afterwards.
func TestSealedSuccessorErased(t *testing.T) {
	st := sqlitetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	a := store.Account{ID: store.NewID(), Username: "alice", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, st.CreateAccount(ctx, &a))
	first := store.RefreshToken{ID: "p", FamilyID: "p", AccountID: a.ID, AuthTime: now, CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), FamilyExpiresAt: now.Add(time.Hour)}
	require.NoError(t, st.CreateRefreshToken(ctx, &first))
	_, err := st.RotateRefreshToken(ctx, "p", &store.RefreshToken{ID: "c", Sealed: []byte("sealed")}, now, 10*time.Second)
	require.NoError(t, err)
	sealedRows := func() int64 {
		var n int64
		require.NoError(t, st.DB().Raw("SELECT COUNT(*) FROM refresh_tokens WHERE sealed IS NOT NULL").Scan(&n).Error)
		return n
	}
	_, err = st.DeleteExpired(ctx, now.Add(5*time.Second))
	require.NoError(t, err)
	if sealedRows() != 1 {
		t.Fatalf("sealed successor not kept during its window")
	}
	deleted, err := st.DeleteExpired(ctx, now.Add(11*time.Second))
	require.NoError(t, err)
	require.Zero(t, deleted, "erasing a sealed value deletes no row (store.Store.DeleteExpired: not counted)")
	if n := sealedRows(); n != 0 {
		t.Errorf("%d sealed successors left after the window", n)
	}
}

// seedGroups gives alice a local group and makes a redeemed invite.
func seedGroups(t *testing.T, st store.Store, now time.Time) {
	ctx := context.Background()
	alice, err := st.GetAccountByUsername(ctx, "alice")
	require.NoError(t, err)
	require.NoError(t, st.CreateGroup(ctx, &store.Group{ID: store.NewID(), Name: "ops", CreatedAt: now}))
	require.NoError(t, st.AddAccountToGroup(ctx, alice.ID, "ops", now))
	inv := store.Invite{ID: store.NewID(), TokenHash: "h", Admin: true, Groups: []string{"ops"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, st.CreateInvite(ctx, &inv))
	_, err = st.RedeemInvite(ctx, "h", alice.ID, now)
	require.NoError(t, err)
}

// checkCopiedGroups checks what seedGroups made, on a copy.
func checkCopiedGroups(t *testing.T, st store.Store, now time.Time) {
	ctx := context.Background()
	alice, err := st.GetAccountByUsername(ctx, "alice")
	require.NoError(t, err)
	groups, err := st.ListAccountGroups(ctx, alice.ID)
	require.NoError(t, err)
	if len(groups) != 2 || groups[0].Group != "acme" || groups[1].Source != store.SourceLocal {
		t.Errorf("copied groups = %+v", groups)
	}
	invites, err := st.ListInvites(ctx)
	require.NoError(t, err)
	if len(invites) != 1 || !invites[0].Admin || invites[0].RedeemedBy != alice.ID || !invites[0].RedeemedAt.Equal(now) {
		t.Errorf("copied invites = %+v", invites)
	}
	// The copied membership still points at its group.
	require.NoError(t, st.DeleteGroup(ctx, "ops"))
	if groups, _ := st.ListAccountGroups(ctx, alice.ID); len(groups) != 1 {
		t.Errorf("after deleting ops on the copy: %+v", groups)
	}
}
