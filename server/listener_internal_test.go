package server

import "testing"

func TestMaxConnectionsSizing(t *testing.T) {
	for _, c := range []struct {
		configured int
		limit      uint64
		want       int
	}{
		{10, 1 << 20, 10},        // configured wins
		{0, 0, 4096},             // limit unknown
		{0, 1024, 1024 - 128},    // small limit: the minimum reserve
		{0, 65536, 65536 - 8192}, // an eighth kept back
		{0, 100, 64},             // tiny limit: still serve a few
		{0, 1 << 62, 1 << 30},    // "unlimited"
	} {
		if got := maxConnections(c.configured, c.limit); got != c.want {
			t.Errorf("maxConnections(%d, %d) = %d, want %d", c.configured, c.limit, got, c.want)
		}
	}
}
