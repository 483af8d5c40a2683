package server

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
)

// metrics counts requests and their latency by route pattern (not raw path,
// which would explode the label set) and writes them, with a few Go and
// process figures under the names Prometheus' own collectors use, in the
// Prometheus text format at /metrics. It is our own because the client
// library made up a tenth of the binary, and so of the idle RSS.
type metrics struct {
	start    time.Time
	mu       sync.RWMutex
	requests map[requestKey]*atomic.Uint64
	latency  map[string]*histogram // by route
}

type requestKey struct {
	route, method string
	code          int
}

// latencyBuckets are Prometheus' default buckets, in seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type histogram struct {
	counts [12]atomic.Uint64 // one per bucket (not cumulative), then +Inf
	sumNs  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	i, _ := slices.BinarySearch(latencyBuckets, d.Seconds())
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

func newMetrics() *metrics {
	return &metrics{start: time.Now(), requests: map[requestKey]*atomic.Uint64{}, latency: map[string]*histogram{}}
}

// methods bounds the method label: any other method counts as "other", so
// made-up methods cannot grow the label set.
var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		// Write the error here so the status below is the one sent.
		if err := next(c); err != nil {
			c.Error(err)
		}
		k := requestKey{route: c.Path(), method: c.Request().Method, code: c.Response().Status}
		if k.route == "" || k.route == "/*" {
			k.route = "unmatched"
		}
		if !methods[k.method] {
			k.method = "other"
		}
		count, hist := m.series(k)
		count.Add(1)
		hist.observe(time.Since(start))
		return nil
	}
}

// series returns the counter and histogram of k, creating them once.
func (m *metrics) series(k requestKey) (*atomic.Uint64, *histogram) {
	m.mu.RLock()
	c, h := m.requests[k], m.latency[k.route]
	m.mu.RUnlock()
	if c != nil && h != nil {
		return c, h
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests[k] == nil {
		m.requests[k] = new(atomic.Uint64)
	}
	if m.latency[k.route] == nil {
		m.latency[k.route] = new(histogram)
	}
	return m.requests[k], m.latency[k.route]
}

// handler serves the text exposition format, series in a stable order.
func (m *metrics) handler(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	w := bufio.NewWriter(c.Response())
	type counter struct {
		requestKey
		n *atomic.Uint64
	}
	type route struct {
		name string
		h    *histogram
	}
	m.mu.RLock()
	counters := make([]counter, 0, len(m.requests))
	for k, n := range m.requests {
		counters = append(counters, counter{k, n})
	}
	routes := make([]route, 0, len(m.latency))
	for r, h := range m.latency {
		routes = append(routes, route{r, h})
	}
	m.mu.RUnlock()
	slices.SortFunc(counters, func(a, b counter) int {
		return cmp.Or(strings.Compare(a.route, b.route), strings.Compare(a.method, b.method), a.code-b.code)
	})
	slices.SortFunc(routes, func(a, b route) int { return strings.Compare(a.name, b.name) })

	header(w, "gatehouse_http_requests_total", "counter", "HTTP requests by route, method and status.")
	for _, c := range counters {
		fmt.Fprintf(w, "gatehouse_http_requests_total{code=\"%d\",method=%s,route=%s} %d\n", c.code, label(c.method), label(c.route), c.n.Load())
	}
	header(w, "gatehouse_http_request_duration_seconds", "histogram", "HTTP request latency by route.")
	for _, r := range routes {
		var cum uint64
		for i := range r.h.counts {
			cum += r.h.counts[i].Load()
			le := "+Inf"
			if i < len(latencyBuckets) {
				le = strconv.FormatFloat(latencyBuckets[i], 'g', -1, 64)
			}
			fmt.Fprintf(w, "gatehouse_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", label(r.name), le, cum)
		}
		fmt.Fprintf(w, "gatehouse_http_request_duration_seconds_sum{route=%s} %g\n", label(r.name), time.Duration(r.h.sumNs.Load()).Seconds())
		fmt.Fprintf(w, "gatehouse_http_request_duration_seconds_count{route=%s} %d\n", label(r.name), cum)
	}
	m.writeRuntime(w)
	return w.Flush()
}

// writeRuntime writes the Go and process figures operators chart most,
// named as client_golang's Go and process collectors name them.
func (m *metrics) writeRuntime(w *bufio.Writer) {
	samples := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}, {Name: "/memory/classes/total:bytes"}}
	rtmetrics.Read(samples)
	gauge := func(name, typ, help string, v float64) {
		header(w, name, typ, help)
		fmt.Fprintf(w, "%s %s\n", name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	gauge("go_goroutines", "gauge", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	gauge("go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and still in use.", float64(samples[0].Value.Uint64()))
	gauge("go_gc_cycles_total", "counter", "Number of completed GC cycles.", float64(samples[1].Value.Uint64()))
	gauge("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from the system.", float64(samples[2].Value.Uint64()))
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		gauge("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu.Seconds())
	}
	if rss, ok := residentBytes(); ok {
		gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", float64(rss))
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		gauge("process_open_fds", "gauge", "Number of open file descriptors.", float64(len(fds)))
	}
	gauge("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", math.Floor(float64(m.start.UnixMilli())/1000))
}

// residentBytes reads the resident set size from /proc (Linux only).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()), err == nil
}

func header(w *bufio.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// label quotes a label value with the escapes the text format requires.
func label(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}
