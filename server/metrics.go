package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts requests and their latency by route pattern (not raw path,
// which would explode the label set). Label children are cached so the hot
// path does no label hashing.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	mu       sync.RWMutex
	children map[metricKey]metricChildren
}

type metricKey struct {
	route, method string
	code          int
}

type metricChildren struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gatehouse_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		children: map[metricKey]metricChildren{},
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *metrics) child(k metricKey) metricChildren {
	m.mu.RLock()
	c, ok := m.children[k]
	m.mu.RUnlock()
	if ok {
		return c
	}
	c = metricChildren{count: m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.code)), latency: m.latency.WithLabelValues(k.route)}
	m.mu.Lock()
	m.children[k] = c
	m.mu.Unlock()
	return c
}

// methods bounds the method label: any other method counts as "other", so
// made-up methods cannot grow the label set (and the memory behind it).
var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		// Write the error here so the status below is the one sent.
		if err := next(c); err != nil {
			c.Error(err)
		}
		k := metricKey{route: c.Path(), method: c.Request().Method, code: c.Response().Status}
		if k.route == "" || k.route == "/*" {
			k.route = "unmatched"
		}
		if !methods[k.method] {
			k.method = "other"
		}
		ch := m.child(k)
		ch.count.Inc()
		ch.latency.Observe(time.Since(start).Seconds())
		return nil
	}
}
