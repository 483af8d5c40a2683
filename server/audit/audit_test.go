package audit_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gatehouse/server/audit"
	"gatehouse/store"
	"gatehouse/store/sqlitetest"
)

func TestNothingLost(t *testing.T) {
	st := sqlitetest.Open(t)
	w := audit.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 4) // a tiny queue: Record must fall back to writing
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Record(context.Background(), store.AuditEvent{ID: store.NewID(), Time: time.Unix(int64(i), 0), Type: "login"})
		}()
	}
	wg.Wait()
	w.Close()
	evs, err := st.ListAudit(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 50 {
		t.Errorf("%d of 50 events stored", len(evs))
	}
}
