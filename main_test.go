package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// gh runs the CLI with a config pointing at a temp database.
func gh(t *testing.T, cfg string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--config", cfg}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func tempConfig(t *testing.T) string {
	dir := t.TempDir()
	p := filepath.Join(dir, "gatehouse.yaml")
	body := "dev: true\ndatabase:\n  dsn: " + filepath.Join(dir, "g.db") + "\nmaster_key_file: " + filepath.Join(dir, "k") + "\n"
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestCLI(t *testing.T) {
	cfg := tempConfig(t)
	code, out, _ := gh(t, cfg, "", "version")
	if code != 0 || !strings.HasPrefix(out, "gatehouse ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = gh(t, cfg, "", "migrate")
	if code != 0 || !strings.Contains(out, "applied 1 migrations") {
		t.Errorf("first migrate: %d %q", code, out)
	}
	code, out, _ = gh(t, cfg, "", "migrate")
	if code != 0 || !strings.Contains(out, "applied 0 migrations") {
		t.Errorf("second migrate: %d %q", code, out)
	}
	code, out, errs := gh(t, cfg, "correct horse battery\n", "users", "create", "--username", "alice", "--email", "a@example.test", "--password-stdin")
	if code != 0 || !strings.Contains(out, `"username":"alice"`) {
		t.Errorf("users create: %d %q %q", code, out, errs)
	}
	code, _, errs = gh(t, cfg, "", "users", "create", "--username", "alice")
	if code != 1 || !strings.Contains(errs, `username "alice" is taken`) {
		t.Errorf("duplicate: %d %q", code, errs)
	}
	code, out, _ = gh(t, cfg, "another password\n", "users", "set-password", "--username", "alice", "--password-stdin")
	if code != 0 || !strings.Contains(out, "password set") {
		t.Errorf("set-password: %d %q", code, out)
	}
	code, _, errs = gh(t, cfg, "short\n", "users", "set-password", "--username", "alice", "--password-stdin")
	if code != 1 || !strings.Contains(errs, "at least 8") {
		t.Errorf("short password: %d %q", code, errs)
	}
	code, _, errs = gh(t, cfg, "long enough pw\n", "users", "set-password", "--username", "nobody", "--password-stdin")
	if code != 1 || !strings.Contains(errs, `no user "nobody"`) {
		t.Errorf("unknown user: %d %q", code, errs)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	cfg := tempConfig(t)
	for _, args := range [][]string{{}, {"frobnicate"}, {"users"}, {"users", "create"}, {"users", "set-password", "--username", "a"}} {
		if code, _, _ := gh(t, cfg, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("dev: true\nlisten: nope\n"), 0o600))
	code, _, errs := gh(t, bad, "", "migrate")
	if code != 1 || !strings.Contains(errs, "listen: must be host:port") {
		t.Errorf("bad config: %d %q", code, errs)
	}
}
