package store

import (
	"context"
	"time"
)

// ClientUse records when clients are used, so registered (dynamic) clients
// nobody uses can be deleted. Issuing a token calls TouchClient; the sweep
// calls DeleteIdleClients.
type ClientUse interface {
	// TouchClient records a use: LastUsedAt = now unless it is already
	// within a day of now, so a busy client costs one write a day. Callers
	// check the LastUsedAt of the client they hold first, so most requests
	// write nothing. ErrNotFound for an unknown ID.
	TouchClient(ctx context.Context, id string, now time.Time) error
	// DeleteIdleClients deletes, as DeleteClient, the clients of kind
	// (never "": an operator's apps are never deleted) whose last use, or
	// creation when never used, is before cutoff; it returns how many.
	DeleteIdleClients(ctx context.Context, kind string, cutoff, now time.Time) (int64, error)
}

// TouchEvery is how often TouchClient writes for a busy client.
const TouchEvery = 24 * time.Hour
