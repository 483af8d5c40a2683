// Package server wires Gatehouse together: the Echo app, its middleware, the
// routes of every sub-package, and the process lifecycle.
package server

import (
	"context"
	"errors"
	"log/slog"

	"gatehouse/server/config"
)

// Server is one running Gatehouse instance.
type Server struct {
	cfg *config.Config
	log *slog.Logger
}

// New builds a server from validated config: it opens and migrates the store,
// loads the master key, ensures signing keys exist and instantiates providers.
// Errors name the config key at fault.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	return nil, errors.New("server: not wired yet")
}

// Run serves HTTP on cfg.Listen until ctx is cancelled, then shuts down
// gracefully.
func (s *Server) Run(ctx context.Context) error { return errors.New("server: not wired yet") }

// Close releases the store.
func (s *Server) Close() error { return nil }
