package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestServingDefaults(t *testing.T) {
	c, err := Load("", nil)
	require.NoError(t, err)
	h := c.HTTP
	if h.ReadTimeout != 20*time.Second || h.WriteTimeout != 30*time.Second || h.IdleTimeout != time.Minute ||
		h.ShutdownTimeout != 15*time.Second || h.MaxHeaderBytes != 64<<10 || h.MaxConnections != 0 {
		t.Errorf("http defaults = %+v", h)
	}
	if c.Database.Synchronous != "normal" {
		t.Errorf("database.synchronous default = %q, want normal", c.Database.Synchronous)
	}
}

func TestServingValidation(t *testing.T) {
	for body, key := range map[string]string{
		"http:\n  read_timeout: -1s\n":                         "http.read_timeout",
		"http:\n  idle_timeout: -1s\n":                         "http.idle_timeout",
		"http:\n  shutdown_timeout: -1s\n":                     "http.shutdown_timeout",
		"http:\n  write_timeout: 5s\n":                         "http.write_timeout: must exceed http.upstream_timeout",
		"http:\n  max_header_bytes: 100\n":                     "http.max_header_bytes",
		"http:\n  max_connections: -1\n":                       "http.max_connections",
		"database:\n  synchronous: off\n":                      "database.synchronous: must be normal or full",
		"database:\n  driver: postgres\n  synchronous: full\n": "database.synchronous: applies to sqlite only",
	} {
		_, err := Load(write(t, "dev: true\nmaster_key_file: k\n"+body), nil)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err = %v, want one naming %s", body, err, key)
		}
	}
}
