package server_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server"
	"gatehouse/server/config"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

// sweepSpy tells when the server has swept.
type sweepSpy struct {
	store.Store
	swept chan struct{}
}

func (s *sweepSpy) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.Store.DeleteExpired(ctx, now)
	select {
	case s.swept <- struct{}{}:
	default:
	}
	return n, err
}

// A server restarted in a loop must still clean up: Run sweeps expired rows
// at start (in the background), not only after its first ten minutes.
func TestRunSweepsExpiredRowsAtStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.yaml")
	require.NoError(t, os.WriteFile(path, []byte("issuer: http://127.0.0.1\ndev: true\nlisten: 127.0.0.1:0\nmaster_key_file: "+
		filepath.Join(dir, "key")+"\ndatabase:\n  driver: sqlite\n  dsn: "+filepath.Join(dir, "unused.db")+"\n"+mockOnly), 0o600))
	cfg, err := config.Load(path, nil)
	require.NoError(t, err)
	ctx := context.Background()
	st := sqlitetest.Open(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	old := now.Add(-time.Hour)
	require.NoError(t, st.CreatePendingLogin(ctx, &store.PendingLogin{ID: "stale", Provider: "mock",
		Session: "s", CreatedAt: old, ExpiresAt: old.Add(10 * time.Minute)}))
	spy := &sweepSpy{Store: st, swept: make(chan struct{}, 1)}
	s, err := server.NewWithOptions(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		server.Options{Now: func() time.Time { return now }, Store: spy})
	require.NoError(t, err)

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	defer func() { cancel(); require.NoError(t, <-done); s.Close() }()

	select {
	case <-spy.swept:
	case <-time.After(20 * time.Second): // a failure detector: the old loop swept after ten minutes
		t.Fatal("no sweep at start")
	}
	_, err = st.TakePendingLogin(ctx, "stale", old) // at a time it was valid: only the sweep can have removed it
	require.ErrorIs(t, err, store.ErrNotFound)
}
