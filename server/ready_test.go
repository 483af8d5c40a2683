package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store/gormstore"
)

// /readyz reports a database that answers reads but refuses writes as not
// ready (while /healthz, the process check, stays 200), and recovers. The
// answer is cached for a second of the server's clock.
func TestReadyzReadOnlyDatabase(t *testing.T) {
	ts := startServer(t, mockOnly)
	st := ts.Store.(*gormstore.Store)
	b := browser(t)
	status := func(path string) int {
		resp, _ := get(t, b, ts.URL+path)
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, status("/readyz"))

	require.NoError(t, st.SetReadOnly(context.Background(), true))
	ts.Clock.Add(1100 * time.Millisecond)
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a read-only database = %d, want 503", got)
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz on a read-only database = %d, want 200", got)
	}

	require.NoError(t, st.SetReadOnly(context.Background(), false))
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz within a second of the last check = %d, want the cached 503", got)
	}
	ts.Clock.Add(1100 * time.Millisecond)
	if got := status("/readyz"); got != http.StatusOK {
		t.Errorf("/readyz once writable again = %d, want 200", got)
	}
}
