package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// /metrics speaks the Prometheus text format (checked with Prometheus' own
// parser), counts by route pattern, and keeps made-up methods and paths
// from growing the label set.
func TestMetricsExposition(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)
	for range 3 {
		get(t, b, ts.URL+"/healthz")
	}
	get(t, b, ts.URL+"/no/such/page/"+strings.Repeat("x", 50))
	for _, m := range []string{"BREW", "PROPFIND"} {
		req, _ := http.NewRequest(m, ts.URL+"/healthz", nil)
		resp, err := b.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	resp, body := get(t, b, ts.URL+"/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"))

	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err, body)

	counts := map[string]float64{}
	for _, m := range fams["gatehouse_http_requests_total"].GetMetric() {
		l := map[string]string{}
		for _, lp := range m.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		counts[l["route"]+" "+l["method"]+" "+l["code"]] += m.GetCounter().GetValue()
	}
	other := 0.0
	for name, n := range counts {
		if strings.Contains(name, " other ") {
			other += n
		}
	}
	if counts["/healthz GET 200"] != 3 || counts["unmatched GET 404"] != 1 || other != 2 {
		t.Errorf("request counts = %v", counts)
	}
	for name := range counts {
		if strings.Contains(name, "xxx") || strings.Contains(name, "BREW") {
			t.Errorf("raw path or method in a label: %q", name)
		}
	}
	var healthz bool
	for _, m := range fams["gatehouse_http_request_duration_seconds"].GetMetric() {
		if m.GetLabel()[0].GetValue() == "/healthz" {
			h := m.GetHistogram()
			buckets := h.GetBucket()
			healthz = h.GetSampleCount() == 3 && len(buckets) >= 11 && buckets[len(buckets)-1].GetCumulativeCount() == 3
		}
	}
	if !healthz {
		t.Errorf("no /healthz latency histogram:\n%s", body)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds"} {
		if len(fams[name].GetMetric()) != 1 {
			t.Errorf("%s missing", name)
		}
	}
}
