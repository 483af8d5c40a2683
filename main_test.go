package main

import (
	"bytes"
	"context"
	"encoding/json"
	"gatehouse/store/gormstore"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/store/pgtest"
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
	if code != 0 || !strings.Contains(out, "applied ") || strings.Contains(out, "applied 0 ") {
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

func TestCLIAppsAndKeys(t *testing.T) {
	cfg := tempConfig(t)
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Wiki", "--redirect-uri", "https://wiki.example/cb",
		"--grant", "authorization_code", "--grant", "refresh_token", "--scope", "openid", "--scope", "profile")
	if code != 0 {
		t.Fatalf("apps create: %d %s", code, errs)
	}
	var app map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &app))
	id, _ := app["client_id"].(string)
	if id == "" || app["client_secret"] == "" || app["public"] != false {
		t.Errorf("created app = %v", app)
	}
	code, out, _ = gh(t, cfg, "", "apps", "create", "--name", "CLI", "--public", "--redirect-uri", "http://127.0.0.1/cb")
	if code != 0 || strings.Contains(out, "client_secret") {
		t.Errorf("public app: %d %s", code, out)
	}
	code, _, errs = gh(t, cfg, "", "apps", "create", "--name", "", "--redirect-uri", "http://evil.example/cb", "--grant", "magic")
	if code != 1 || !strings.Contains(errs, "name: required") || !strings.Contains(errs, "redirect-uri") || !strings.Contains(errs, `unknown grant type "magic"`) {
		t.Errorf("bad app: %d %s", code, errs)
	}
	code, out, _ = gh(t, cfg, "", "apps", "list")
	if code != 0 || strings.Count(out, "client_id") != 2 || strings.Contains(out, "client_secret") {
		t.Errorf("apps list: %d %s", code, out)
	}
	if code, out, _ = gh(t, cfg, "", "apps", "delete", id); code != 0 || !strings.Contains(out, "deleted") {
		t.Errorf("apps delete: %d %s", code, out)
	}
	if code, _, errs = gh(t, cfg, "", "apps", "delete", id); code != 1 || !strings.Contains(errs, "no app") {
		t.Errorf("apps delete twice: %d %s", code, errs)
	}

	// Keys exist after the first server start; here, rotate creates one.
	code, out, errs = gh(t, cfg, "", "keys", "rotate", "--alg", "ES256", "--grace", "1h")
	if code != 0 || !strings.Contains(out, `"alg":"ES256"`) {
		t.Errorf("keys rotate: %d %s %s", code, out, errs)
	}
	code, out, _ = gh(t, cfg, "", "keys", "list")
	if code != 0 || !strings.Contains(out, "ES256") {
		t.Errorf("keys list: %d %s", code, out)
	}
	if code, _, errs = gh(t, cfg, "", "keys", "rotate", "--grace", "1s"); code != 1 || !strings.Contains(errs, "shorter than tokens.access_ttl") {
		t.Errorf("short grace: %d %s", code, errs)
	}
}

func TestCLIBackupAndMigrateTo(t *testing.T) {
	cfg := tempConfig(t)
	if code, _, errs := gh(t, cfg, "pw-long-enough\n", "users", "create", "--username", "alice", "--password-stdin"); code != 0 {
		t.Fatal(errs)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	if code, stdout, errs := gh(t, cfg, "", "backup", "--out", out); code != 0 || !strings.Contains(stdout, "wrote") {
		t.Fatalf("backup: %d %s %s", code, stdout, errs)
	}
	if code, _, _ := gh(t, cfg, "", "backup"); code != 2 {
		t.Errorf("backup without --out: %d", code)
	}
	if code, _, _ := gh(t, cfg, "", "migrate", "--to", "mysql", "x"); code != 2 {
		t.Errorf("migrate --to mysql: %d", code)
	}
	dsn := pgtest.NewDatabase(t)
	code, stdout, errs := gh(t, cfg, "", "migrate", "--to", "postgres", dsn)
	if code != 0 || !strings.Contains(stdout, "accounts         1 rows") {
		t.Errorf("migrate --to postgres: %d %s %s", code, stdout, errs)
	}
}

func TestCLIPublicPasswordRefused(t *testing.T) {
	cfg := tempConfig(t)
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Mobile", "--public", "--grant", "password")
	if code != 1 || !strings.Contains(errs, "public app cannot use the password grant") || strings.Contains(out, "client_id") {
		t.Errorf("public password app: %d %q %q", code, out, errs)
	}
	// An operator may still make a confidential password app.
	if code, _, errs := gh(t, cfg, "", "apps", "create", "--name", "edX", "--grant", "password"); code != 0 {
		t.Errorf("confidential password app: %d %s", code, errs)
	}
}

// The CLI's app changes are audit events "by cli".
func TestCLIAppAudit(t *testing.T) {
	cfg := tempConfig(t)
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Wiki", "--redirect-uri", "https://wiki.example/cb")
	require.Equal(t, 0, code, errs)
	var app map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &app))
	id := app["client_id"].(string)
	code, _, errs = gh(t, cfg, "", "apps", "delete", id)
	require.Equal(t, 0, code, errs)
	st, err := gormstore.Open(context.Background(), "sqlite", filepath.Join(filepath.Dir(cfg), "g.db"))
	require.NoError(t, err)
	defer st.Close()
	evs, err := st.ListAudit(context.Background(), "", 10)
	require.NoError(t, err)
	got := map[string]bool{}
	for _, e := range evs {
		if strings.Contains(e.Detail, id) && strings.Contains(e.Detail, `"by":"cli"`) {
			got[e.Type] = true
		}
	}
	if !got["app.created"] || !got["app.deleted"] {
		t.Errorf("CLI audit events: %+v", evs)
	}
}

// A second serve on a busy port says only that the address is taken: the
// dev banner (and a new master key) come after the bind.
func TestServeBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	dir := t.TempDir()
	p := filepath.Join(dir, "gatehouse.yaml")
	key := filepath.Join(dir, "k")
	body := "dev: true\nlisten: " + ln.Addr().String() + "\ndatabase:\n  dsn: " + filepath.Join(dir, "g.db") + "\nmaster_key_file: " + key + "\n"
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	code, _, errs := gh(t, p, "", "serve")
	if code != 1 || !strings.Contains(errs, "address already in use") {
		t.Fatalf("serve on a busy port: exit %d, stderr %q", code, errs)
	}
	if strings.Contains(errs, "DEV SETUP") || strings.Contains(errs, "dev mode") {
		t.Errorf("banner printed before the address error:\n%s", errs)
	}
	if _, err := os.Stat(key); err == nil {
		t.Errorf("a master key was generated for a server that never started")
	}
}
