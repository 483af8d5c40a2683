package providers

import (
	"fmt"
	"sync"
	"time"
)

// ErrRetryLater: the upstream call failed moments ago and is not tried
// again until its back-off ends, so a broken upstream is not asked (and
// its answer not read) on every sign-in.
var ErrRetryLater = fmt.Errorf("%w: failed recently, try again later", ErrUpstream)

// Backoff spaces out the retries of a failing upstream call: after n
// failures in a row, no try for Min·2^(n-1), at most Max. The zero value
// is not usable; use NewBackoff.
type Backoff struct {
	min, max time.Duration
	now      func() time.Time

	mu       sync.Mutex
	failures int
	until    time.Time
	last     error
}

// NewBackoff returns a back-off on clock now (nil: time.Now).
func NewBackoff(min, max time.Duration, now func() time.Time) *Backoff {
	if now == nil {
		now = time.Now
	}
	return &Backoff{min: min, max: max, now: now}
}

// Check returns an ErrRetryLater error, naming the last failure, while a
// back-off runs; nil when a try is allowed.
func (b *Backoff) Check() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if wait := b.until.Sub(b.now()); wait > 0 {
		return fmt.Errorf("%w (next try in %s; last failure: %v)", ErrRetryLater, wait.Round(time.Millisecond), b.last)
	}
	return nil
}

// Failed records a failed try and starts the next back-off. A try that
// began before a back-off started (a concurrent caller) does not extend it.
func (b *Backoff) Failed(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.until) {
		return
	}
	b.failures++
	wait := b.max
	if b.failures < 32 { // no overflow of the shift
		wait = min(b.min<<(b.failures-1), b.max)
	}
	if wait <= 0 {
		wait = b.max
	}
	b.until, b.last = now.Add(wait), err
}

// Succeeded ends the series of failures.
func (b *Backoff) Succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.until, b.last = 0, time.Time{}, nil
}
