package server

import (
	"context"
	"net/http"
	"time"
)

// drain shuts srv down gracefully: it stops accepting, lets requests in
// flight finish for http.shutdown_timeout, then closes whatever is still
// open and says how much that was. A client that never finishes its
// request must not turn a routine restart into a failed exit.
func (s *Server) drain(srv *http.Server, lim *limitListener) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err == nil {
		return
	}
	open := lim.Open()
	srv.Close()
	s.log.Warn("shutdown deadline passed; closed the connections still open",
		"connections_open", open, "waited", time.Since(start).Round(time.Millisecond))
}
