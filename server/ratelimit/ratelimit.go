// Package ratelimit counts requests per client address in memory, in front
// of the unauthenticated endpoints that write rows (sign-in starts, pending
// authorization requests, device codes, registrations). Each instance
// counts on its own: N instances let an address through N times as often,
// which is fine for a limit whose job is to keep one client from filling
// the database. Limits that guard a secret (password guesses) live in the
// store instead, shared by every instance (see signin).
//
// A Limiter uses fixed windows aligned to the clock: every address gets
// Requests requests per Window, and all counts start again together when a
// window ends. That keeps memory bounded without a sweeper: the table is
// replaced at each window, and within a window it holds at most MaxClients
// addresses; addresses beyond that share one overflow count, so an attacker
// with more addresses than that slows down only the other newcomers of the
// window, never the memory.
//
// Bounding rows: a row-creating endpoint whose rows live TTL lets one
// address hold at most Requests × (TTL/Window + 1) live rows, since the
// rows alive at any moment were created within the last TTL, which spans at
// most TTL/Window + 1 windows. With Window = TTL that is 2 × Requests.
package ratelimit

import (
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Limiter is one endpoint family's limit. A nil *Limiter allows everything
// (tests and embedders that wire no limits).
type Limiter struct {
	requests   int
	window     time.Duration
	maxClients int
	now        func() time.Time

	mu       sync.Mutex
	start    time.Time      // the current window's start
	counts   map[string]int // requests per address in the current window
	overflow int            // requests of addresses beyond maxClients
}

// New returns a limiter of requests per window per address, tracking at
// most maxClients addresses per window, on the clock now.
func New(requests int, window time.Duration, maxClients int, now func() time.Time) *Limiter {
	return &Limiter{requests: requests, window: window, maxClients: maxClients, now: now, counts: map[string]int{}}
}

// Take counts one request from key and reports whether it is within the
// limit; if not, wait is how long until the next window.
func (l *Limiter) Take(key string) (ok bool, wait time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if start := now.Truncate(l.window); !start.Equal(l.start) {
		// A new table, not clear(): a flood's buckets are given back.
		l.start, l.counts, l.overflow = start, map[string]int{}, 0
	}
	if l.count(key) <= l.requests {
		return true, 0
	}
	return false, l.start.Add(l.window).Sub(now)
}

func (l *Limiter) count(key string) int {
	n, ok := l.counts[key]
	if !ok && len(l.counts) >= l.maxClients {
		l.overflow++
		return l.overflow
	}
	l.counts[key] = n + 1
	return n + 1
}

// Allow counts one request from the client address of c (echo's RealIP,
// which honours http.trusted_proxies). Over the limit it sets Retry-After
// and returns false; the caller answers 429 in its endpoint's shape.
func (l *Limiter) Allow(c echo.Context) bool {
	ok, wait := l.Take(Key(c.RealIP()))
	if !ok {
		SetRetryAfter(c, wait)
	}
	return ok
}

// Key is the address a client is counted under: an IPv4 address as it is,
// an IPv6 address by its /64 prefix (one subscriber's network gets a whole
// /64, so counting single IPv6 addresses would let one client be anyone).
func Key(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// SetRetryAfter sets Retry-After to wait in whole seconds, at least one.
func SetRetryAfter(c echo.Context, wait time.Duration) {
	secs := int64((wait + time.Second - 1) / time.Second)
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}

// Status is the status every refusal answers with.
const Status = http.StatusTooManyRequests
