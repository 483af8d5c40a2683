package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

// An event recorded after Close (a request finishing during shutdown) is
// written at once, not sent on the closed queue (which panicked).
func TestRecordAfterClose(t *testing.T) {
	st := sqlitetest.Open(t)
	w := audit.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 4)
	w.Close()
	w.Record(context.Background(), store.AuditEvent{ID: store.NewID(), Time: time.Unix(1, 0), Type: "login"})
	w.Flush()
	w.Close() // twice is fine
	evs, err := st.ListAudit(context.Background(), "", 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
}

// Every event is also one structured log line, for fail2ban and log
// alerting, which cannot read the database.
func TestEveryEventIsLogged(t *testing.T) {
	st := sqlitetest.Open(t)
	var buf bytes.Buffer
	w := audit.New(st, slog.New(slog.NewJSONHandler(&buf, nil)), 4)
	w.Record(context.Background(), store.AuditEvent{ID: store.NewID(), Time: time.Unix(1, 0), Type: "login_failed",
		AccountID: "acct1", Provider: "pwd", IP: "203.0.113.7", Detail: store.Detail("client_id", "app_x")})
	w.Close()
	var line map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line), buf.String())
	want := map[string]any{"msg": "audit", "type": "login_failed", "account": "acct1", "provider": "pwd", "ip": "203.0.113.7",
		"detail": `{"client_id":"app_x"}`}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v (line %s)", k, line[k], v, buf.String())
		}
	}
}

// Change stores the event with the change, before it returns (no queue, no
// Flush), logs its line once committed, and neither stores nor logs the
// event of a change that failed.
func TestChangeStoresEventWithTheChange(t *testing.T) {
	st := sqlitetest.Open(t)
	var buf bytes.Buffer
	w := audit.New(st, slog.New(slog.NewJSONHandler(&buf, nil)), 4)
	defer w.Close()
	ctx := context.Background()
	acct := store.Account{ID: store.NewID(), Username: "dora", CreatedAt: time.Unix(1, 0), UpdatedAt: time.Unix(1, 0)}
	err := w.Change(ctx, func(tx store.Store) (store.AuditEvent, error) {
		return store.AuditEvent{ID: store.NewID(), Time: time.Unix(2, 0), Type: "account_created", AccountID: acct.ID},
			tx.CreateAccount(ctx, &acct)
	})
	require.NoError(t, err)
	evs, err := st.ListAudit(ctx, acct.ID, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1, "the event is stored by the time Change returns")
	require.Contains(t, buf.String(), `"type":"account_created"`)

	buf.Reset()
	err = w.Change(ctx, func(tx store.Store) (store.AuditEvent, error) {
		dup := acct // the username is taken: the change fails
		dup.ID = store.NewID()
		return store.AuditEvent{ID: store.NewID(), Time: time.Unix(3, 0), Type: "account_created", AccountID: dup.ID},
			tx.CreateAccount(ctx, &dup)
	})
	require.ErrorIs(t, err, store.ErrAlreadyExists)
	evs, err = st.ListAudit(ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, evs, 1, "no event for a change that was rolled back")
	require.Empty(t, buf.String(), "no log line for a change that was rolled back")
}
