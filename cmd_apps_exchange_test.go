package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// apps create --exchange-provider names provider instances of the config
// (a typo is refused with the flag named); it needs the token-exchange
// grant; a public app cannot exchange; apps list shows the providers.
func TestCLIAppsExchangeProviders(t *testing.T) {
	cfg := tempConfig(t)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("providers:\n  - name: mock\n    type: mock\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	const grant = "urn:ietf:params:oauth:grant-type:token-exchange"
	for name, args := range map[string][]string{
		"unknown provider": {"--grant", grant, "--exchange-provider", "githb"},
		"without grant":    {"--grant", "client_credentials", "--exchange-provider", "mock"},
		"public app":       {"--grant", grant, "--public"},
	} {
		code, _, errs := gh(t, cfg, "", append([]string{"apps", "create", "--name", "Bad"}, args...)...)
		if code != 1 || (!strings.Contains(errs, "exchange-provider") && !strings.Contains(errs, "token exchange")) {
			t.Errorf("%s: %d %s", name, code, errs)
		}
	}
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Gateway", "--grant", grant, "--exchange-provider", "mock", "--scope", "openid")
	require.Equal(t, 0, code, errs)
	var app map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &app))
	if p, _ := app["exchange_providers"].([]any); !slices.Equal(p, []any{"mock"}) {
		t.Errorf("created app exchange_providers = %v", app["exchange_providers"])
	}
	code, out, _ = gh(t, cfg, "", "apps", "list")
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	if code != 0 || len(list) != 1 || !slices.Equal(list[0]["exchange_providers"].([]any), []any{"mock"}) {
		t.Errorf("apps list: %d %s", code, out)
	}
}
