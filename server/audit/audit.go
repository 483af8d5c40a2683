// Package audit records audit events in two ways.
//
// Changes (to accounts, apps, tokens, and by administrators) are recorded
// with Change: the event row is written in the same transaction as the
// change it records, so a committed change always has its event, even if
// the process dies (kill -9) right after answering.
//
// High-volume sign-in events (logins, failed logins, token-auth, replays)
// go through Record, off the request path: Record logs the event as one
// structured line, queues it and returns; a background writer stores queued
// events in batches. When the queue is full Record writes the event itself,
// and Close (on graceful shutdown) drains the queue, but events still
// queued when the process crashes are lost from the table (their log line
// was written).
package audit

import (
	"context"
	"log/slog"
	"sync"

	"gatehouse/store"
)

// Writer queues and stores audit events. Safe for concurrent use.
type Writer struct {
	st    store.Store
	log   *slog.Logger
	queue chan store.AuditEvent
	done  chan struct{}
	once  sync.Once

	mu      sync.Mutex
	closed  bool       // Close was called: Record writes at once
	pending int        // events recorded and not yet written (stored or given up)
	idle    *sync.Cond // signalled when pending drops to 0
}

// New starts a writer with a queue of size n.
func New(st store.Store, log *slog.Logger, n int) *Writer {
	w := &Writer{st: st, log: log, queue: make(chan store.AuditEvent, n), done: make(chan struct{})}
	w.idle = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

// Record logs e as one structured line and queues it for the store, or
// writes it at once when the queue is full. The line is for fail2ban and
// log alerting, which cannot read the database; events carry no secrets
// (store.AuditEvent.Detail never holds one).
func (w *Writer) Record(ctx context.Context, e store.AuditEvent) {
	w.logLine(ctx, e)
	if !w.enqueue(e) {
		w.write(context.WithoutCancel(ctx), []store.AuditEvent{e})
	}
}

// enqueue queues e unless the queue is full or closed. The send does not
// block, so it may hold the lock that orders it before Close.
func (w *Writer) enqueue(e store.AuditEvent) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	select {
	case w.queue <- e:
		w.pending++
		return true
	default:
		return false
	}
}

// settle adds n to the events in flight and wakes Flush when none are left.
func (w *Writer) settle(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending += n; w.pending == 0 {
		w.idle.Broadcast()
	}
}

// Change runs change in a transaction and stores the event it returns in
// that same transaction, then logs the event's line once committed. An
// error from change (or the store) rolls both back and is returned.
func (w *Writer) Change(ctx context.Context, change func(tx store.Store) (store.AuditEvent, error)) error {
	var e store.AuditEvent
	err := w.st.InTx(ctx, func(tx store.Store) error {
		var err error
		if e, err = change(tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &e)
	})
	if err == nil {
		w.logLine(ctx, e)
	}
	return err
}

// Stored logs the line of an event its caller stored itself, in the
// transaction of its change (where Change does not fit).
func (w *Writer) Stored(ctx context.Context, e store.AuditEvent) { w.logLine(ctx, e) }

// logLine writes e as one structured line: for fail2ban and log alerting,
// which cannot read the database.
func (w *Writer) logLine(ctx context.Context, e store.AuditEvent) {
	w.log.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("type", e.Type), slog.String("account", e.AccountID),
		slog.String("provider", e.Provider), slog.String("ip", e.IP), slog.String("detail", e.Detail))
}

func (w *Writer) loop() {
	defer close(w.done)
	for e := range w.queue {
		b := w.batch(e)
		w.write(context.Background(), b)
		w.settle(-len(b))
	}
}

// batch takes e and whatever else is queued right now (at most 256).
func (w *Writer) batch(first store.AuditEvent) []store.AuditEvent {
	b := []store.AuditEvent{first}
	for len(b) < 256 {
		select {
		case e, ok := <-w.queue:
			if !ok {
				return b
			}
			b = append(b, e)
		default:
			return b
		}
	}
	return b
}

// write stores a batch in one transaction; a failure is logged (the event
// kinds, never their details).
func (w *Writer) write(ctx context.Context, b []store.AuditEvent) {
	err := w.st.InTx(ctx, func(tx store.Store) error {
		for i := range b {
			if err := tx.AppendAudit(ctx, &b[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.log.Error("audit events not recorded", "count", len(b), "first_type", b[0].Type, "err", err)
	}
}

// Flush waits until every event recorded so far is written (tests read
// the table right after). It counts events, not the queue: an event the
// loop has taken from the queue but not yet stored is still waited for.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.pending > 0 {
		w.idle.Wait()
	}
}

// Close stops accepting events and waits until the queue is stored.
func (w *Writer) Close() {
	w.once.Do(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.closed = true
		close(w.queue)
	})
	<-w.done
}
