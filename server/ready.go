package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// readyFor is how long a readiness answer is reused: load balancers probe
// every instance often, and the check is a write transaction.
const readyFor = time.Second

// readiness caches the last readiness check.
type readiness struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// readyz answers 200 when the database takes writes (a database that
// answers reads but refuses writes fails every sign-in and token), else
// 503. Concurrent probes share one check.
func (s *Server) readyz(c echo.Context) error {
	if err := s.checkReady(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) checkReady(ctx context.Context) error {
	r := &s.ready
	r.mu.Lock()
	defer r.mu.Unlock()
	now := s.now()
	if d := now.Sub(r.at); !r.at.IsZero() && d >= 0 && d < readyFor {
		return r.err
	}
	// The answer is shared: one probe hanging up must not become the
	// next second's answer.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	r.err = s.store.Ping(ctx)
	if r.err == nil {
		r.err = s.store.CheckWritable(ctx)
	}
	if r.err != nil {
		s.log.Warn("not ready", "err", r.err)
	}
	r.at = now
	return r.err
}
