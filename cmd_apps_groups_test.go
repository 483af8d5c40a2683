package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// apps create --allowed-group (repeatable) restricts the app; apps list
// shows the groups; a malformed group name is refused with the flag named.
func TestCLIAppsAllowedGroups(t *testing.T) {
	cfg := tempConfig(t)
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Grafana", "--redirect-uri", "https://grafana.example/cb",
		"--scope", "openid", "--scope", "groups", "--allowed-group", "staff", "--allowed-group", "acme/ops")
	require.Equal(t, 0, code, errs)
	var app map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &app))
	if g, _ := app["allowed_groups"].([]any); !slices.Equal(g, []any{"staff", "acme/ops"}) {
		t.Errorf("created app allowed_groups = %v", app["allowed_groups"])
	}
	code, out, _ = gh(t, cfg, "", "apps", "list")
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	if code != 0 || len(list) != 1 || !slices.Equal(list[0]["allowed_groups"].([]any), []any{"staff", "acme/ops"}) {
		t.Errorf("apps list: %d %s", code, out)
	}
	code, _, errs = gh(t, cfg, "", "apps", "create", "--name", "Bad", "--redirect-uri", "https://b.example/cb", "--allowed-group", "two words")
	if code != 1 || !strings.Contains(errs, "allowed-group") {
		t.Errorf("bad group name: %d %s", code, errs)
	}
}
