package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// drain shuts srv down gracefully: it stops accepting, lets requests in
// flight finish for http.shutdown_timeout, then closes whatever is still
// open and says how much that was. A client that never finishes its
// request must not turn a routine restart into a failed exit. After a
// forced close it waits (again at most shutdown_timeout) for the handlers
// of the closed connections to return, so that nothing records an audit
// event after the audit writer is closed.
func (s *Server) drain(srv *http.Server, conns *connTracker) {
	d := s.cfg.HTTP.ShutdownTimeout
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	err := srv.Shutdown(ctx)
	if err == nil {
		return
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		s.log.Error("shutdown", "err", err)
	}
	open := conns.open()
	srv.Close()
	s.log.Warn("shutdown deadline passed; closed the connections still open",
		"connections_open", open, "waited", time.Since(start).Round(time.Millisecond))
	if !conns.waitZero(d) {
		s.log.Error("handlers still running after shutdown; their audit events may be lost", "connections", conns.open())
	}
}

// connTracker counts the connections whose serving goroutine is alive
// (net/http reports StateClosed only after the connection's handler has
// returned), for http.Server.ConnState.
type connTracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops to 0, if someone waits
}

func (t *connTracker) hook(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		t.mu.Lock()
		t.n++
		t.mu.Unlock()
	case http.StateClosed, http.StateHijacked:
		t.mu.Lock()
		t.n--
		if t.n == 0 && t.zero != nil {
			close(t.zero)
			t.zero = nil
		}
		t.mu.Unlock()
	}
}

func (t *connTracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// waitZero waits up to d for every connection to be done.
func (t *connTracker) waitZero(d time.Duration) bool {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return true
	}
	if t.zero == nil {
		t.zero = make(chan struct{})
	}
	ch := t.zero
	t.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}
