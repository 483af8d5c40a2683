package gormstore_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
	"gatehouse/store/gormstore"
	"gatehouse/store/pgtest"
	"gatehouse/store/sqlitetest"
)

// fillExpired inserts n pending logins that expired long ago, in one
// transaction (a recursive CTE, so a million rows take seconds).
func fillExpired(t testing.TB, st *gormstore.Store, n int) {
	t.Helper()
	require.NoError(t, st.DB().Exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < ?)
		INSERT INTO pending_logins (id, provider, session, created_at, expires_at)
		SELECT 'p' || i, 'mock', 's', '2000-01-01 00:00:00+00:00', '2000-01-01 00:10:00+00:00' FROM seq`, n).Error)
}

// A sweep deletes in batches of at most SweepBatch rows, each its own
// statement: between two batches another writer gets the (single) SQLite
// writer. Were the sweep one statement or one transaction, the write in the
// hook would wait for the connection the sweep holds until its deadline.
func TestSweepInBatchesReleasesWriter(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSweepInBatches(t, sqlitetest.Open(t)) })
	t.Run("postgres", func(t *testing.T) {
		pgtest.DSN(t)
		testSweepInBatches(t, pgtest.Open(t))
	})
}

func testSweepInBatches(t *testing.T, st *gormstore.Store) {
	ctx := context.Background()
	rows := 2*gormstore.SweepBatch + 5
	fillExpired(t, st, rows)
	live := &store.PendingLogin{ID: "live", Provider: "mock", Session: "s", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	require.NoError(t, st.CreatePendingLogin(ctx, live))

	var batches []int64
	st.SetSweepHook(func(table string, n int64) {
		if table != "pending_logins" {
			return
		}
		batches = append(batches, n)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a failure detector, not a wait
		defer cancel()
		require.NoError(t, st.AppendAudit(wctx, &store.AuditEvent{ID: "between" + strconv.Itoa(len(batches)), Time: time.Now(), Type: "probe"}),
			"another writer must get through between batches")
	})
	n, err := st.DeleteExpired(ctx, time.Now())
	require.NoError(t, err)
	require.EqualValues(t, rows, n)
	require.GreaterOrEqual(t, len(batches), 3)
	for _, b := range batches {
		require.LessOrEqual(t, b, int64(gormstore.SweepBatch))
	}
	_, err = st.TakePendingLogin(ctx, "live", time.Now())
	require.NoError(t, err, "a live row survives the sweep")
}

// TestSweepMillionPending measures what one sweep of a million expired
// rows does to other writers: the longest wait of a writer running
// alongside. Heavy, so only with GATEHOUSE_TEST_SWEEP_ROWS set (e.g.
// 1000000); it asserts nothing about time (that would flake), it reports.
func TestSweepMillionPending(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("GATEHOUSE_TEST_SWEEP_ROWS"))
	if rows == 0 {
		t.Skip("set GATEHOUSE_TEST_SWEEP_ROWS=1000000 to measure")
	}
	st := sqlitetest.Open(t)
	ctx := context.Background()
	t0 := time.Now()
	fillExpired(t, st, rows)
	t.Logf("inserted %d expired rows in %v", rows, time.Since(t0))

	done := make(chan struct{})
	var worst time.Duration
	var writes int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // another writer, as a request would be
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			start := time.Now()
			err := st.AppendAudit(ctx, &store.AuditEvent{ID: "w" + strconv.Itoa(i), Time: start, Type: "probe"})
			require.NoError(t, err)
			worst = max(worst, time.Since(start))
			writes++
		}
	}()
	var batches []time.Duration
	st.SetSweepTimer(func(d time.Duration) { batches = append(batches, d) })
	t0 = time.Now()
	n, err := st.DeleteExpired(ctx, time.Now())
	took := time.Since(t0)
	close(done)
	wg.Wait()
	require.NoError(t, err)
	require.EqualValues(t, rows, n)
	slices.Sort(batches)
	pct := func(p int) time.Duration { return batches[(len(batches)-1)*p/100] }
	t.Logf("sweep of %d rows: %v in all; %d batches: median %v, p99 %v, longest %v; longest wait of another writer %v (%d writes got through)",
		n, took, len(batches), pct(50), pct(99), pct(100), worst, writes)
}

// A sweep that meets a closed database (a server shutting down under it)
// answers an error; it panicked when a failed statement's row was scanned.
func TestSweepAfterCloseIsAnError(t *testing.T) {
	st, err := gormstore.Open(context.Background(), "sqlite", t.TempDir()+"/closed.db")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	_, err = st.DeleteExpired(context.Background(), time.Now())
	require.Error(t, err)
}
