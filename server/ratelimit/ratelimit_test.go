package ratelimit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestTakeWindows(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 30, 0, time.UTC)}
	l := New(2, time.Minute, 100, clk.now)
	for i, want := range []bool{true, true, false, false} {
		if ok, _ := l.Take("a"); ok != want {
			t.Fatalf("request %d of a: ok=%v, want %v", i+1, ok, want)
		}
	}
	if ok, _ := l.Take("b"); !ok {
		t.Fatal("b pays for a's requests")
	}
	if _, wait := l.Take("a"); wait != 30*time.Second {
		t.Errorf("wait = %s, want the rest of the window (30s)", wait)
	}
	clk.t = clk.t.Add(30 * time.Second) // the next window
	if ok, _ := l.Take("a"); !ok {
		t.Error("a is still refused in the next window")
	}
}

// Addresses beyond maxClients share one count, so the table stays bounded
// and a newcomer is still limited.
func TestTakeBounded(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	l := New(3, time.Minute, 10, clk.now)
	for i := range 1000 {
		l.Take(fmt.Sprint("10.0.0.", i))
	}
	if n := len(l.counts); n != 10 {
		t.Fatalf("%d addresses tracked, want at most 10", n)
	}
	if ok, _ := l.Take("192.0.2.1"); ok {
		t.Error("a newcomer beyond the table escaped the limit")
	}
	if ok, _ := l.Take("10.0.0.0"); !ok {
		t.Error("a tracked address paid for the overflow")
	}
	clk.t = clk.t.Add(time.Minute)
	if ok, _ := l.Take("192.0.2.1"); !ok || len(l.counts) != 1 {
		t.Errorf("the next window did not start afresh: ok=%v, %d tracked", ok, len(l.counts))
	}
}

func TestAllowRetryAfter(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 500_000_000, time.UTC)}
	l := New(1, 10*time.Second, 10, clk.now)
	e := echo.New()
	allow := func() (bool, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "192.0.2.7:1234"
		ok := l.Allow(e.NewContext(req, rec))
		return ok, rec.Header().Get("Retry-After")
	}
	if ok, ra := allow(); !ok || ra != "" {
		t.Fatalf("first request: ok=%v Retry-After=%q", ok, ra)
	}
	if ok, ra := allow(); ok || ra != "10" { // 9.5s, rounded up
		t.Errorf("second request: ok=%v Retry-After=%q, want refused with 10", ok, ra)
	}
	var none *Limiter
	if ok, _ := none.Take("x"); !ok {
		t.Error("a nil limiter refused")
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": "192.0.2.1", "2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "2001:db8:1:2::ffff": "2001:db8:1:2::/64",
		"::ffff:192.0.2.1": "::ffff:192.0.2.1", "not an address": "not an address",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}
