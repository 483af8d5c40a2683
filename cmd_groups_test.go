package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/server/tokens"
	"gatehouse/store/gormstore"
)

func TestCLIGroups(t *testing.T) {
	cfg := tempConfig(t)
	if code, _, errs := gh(t, cfg, "", "users", "create", "--username", "alice"); code != 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"groups", "create", "ops", "--description", "On call"}, 0, `"name":"ops"`, ""},
		{[]string{"groups", "create", "ops"}, 1, "", `group "ops" exists already`},
		{[]string{"groups", "create", "bad name"}, 1, "", "is not valid"},
		{[]string{"groups", "create", "x", "--description", strings.Repeat("d", 201)}, 1, "", "at most 200"},
		{[]string{"groups", "create"}, 2, "", "groups create NAME"},
		{[]string{"groups", "create", "a", "b"}, 2, "", "groups create NAME"},
		{[]string{"groups", "frob"}, 2, "", "unknown groups subcommand"},
		{[]string{"groups", "add", "--username", "alice", "ops"}, 0, "added alice to ops", ""},
		{[]string{"groups", "add", "--username", "alice", "ops"}, 1, "", `alice is in group "ops" already`},
		{[]string{"groups", "add", "--username", "alice", "nope"}, 1, "", `no group "nope"`},
		{[]string{"groups", "add", "--username", "nobody", "ops"}, 1, "", `no user "nobody"`},
		{[]string{"groups", "add", "ops"}, 2, "", "--username U GROUP"},
		{[]string{"groups", "list"}, 0, `"description":"On call","name":"ops"`, ""},
		{[]string{"groups", "list", "--username", "alice"}, 0, `[{"group":"ops","source":"local"}]`, ""},
		{[]string{"groups", "list", "--username", "nobody"}, 1, "", `no user "nobody"`},
		{[]string{"groups", "remove", "--username", "alice", "ops"}, 0, "removed alice from ops", ""},
		{[]string{"groups", "remove", "--username", "alice", "ops"}, 1, "", `alice is not a local member of group "ops"`},
		{[]string{"groups", "list", "--username", "alice"}, 0, `[]`, ""},
	}
	for _, tt := range tests {
		code, out, errs := gh(t, cfg, "", tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.errs) {
			t.Errorf("%v: exit %d, out %q, err %q; want %d, %q, %q", tt.args, code, out, errs, tt.code, tt.out, tt.errs)
		}
	}
	evs := auditTypes(t, cfg)
	for _, want := range []string{"group.created", "group.member_added", "group.member_removed"} {
		if !strings.Contains(evs, want) {
			t.Errorf("audit events %q lack %s", evs, want)
		}
	}
}

func TestCLIInvites(t *testing.T) {
	cfg := tempConfig(t)
	if code, _, errs := gh(t, cfg, "", "groups", "create", "ops"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := gh(t, cfg, "", "invites", "create", "--ttl", "1h", "--admin", "--group", "ops", "--group", "ops")
	if code != 0 {
		t.Fatalf("invites create: %d %s", code, errs)
	}
	var inv struct {
		ID, Link string
		Admin    bool
		Groups   []string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &inv))
	base, token, ok := strings.Cut(inv.Link, "/invite/")
	if !ok || !strings.HasPrefix(base, "http://") || len(token) != 43 || !inv.Admin || len(inv.Groups) != 1 {
		t.Errorf("invite = %+v", inv)
	}
	// The database keeps the token's hash, never the token.
	db := readDB(t, cfg)
	if strings.Contains(db, token) || !strings.Contains(db, tokens.HashToken(token)) {
		t.Error("the database holds the invite token, or not its hash")
	}

	for _, tt := range []struct {
		args []string
		code int
		errs string
	}{
		{[]string{"invites", "create", "--ttl", "1s"}, 1, "lifetime must be between"},
		{[]string{"invites", "create", "--ttl", "2000h"}, 1, "lifetime must be between"},
		{[]string{"invites", "create", "--ttl", "soon"}, 2, "invalid value"},
		{[]string{"invites", "create", "--group", "nope"}, 1, `there is no group "nope"`},
		{[]string{"invites", "create", "--group", "bad name"}, 1, "is not valid"},
		{[]string{"invites", "create", "extra"}, 2, "invites create [--ttl"},
		{[]string{"invites"}, 2, "needs a subcommand"},
	} {
		if code, _, errs := gh(t, cfg, "", tt.args...); code != tt.code || !strings.Contains(errs, tt.errs) {
			t.Errorf("%v: exit %d, err %q; want %d, %q", tt.args, code, errs, tt.code, tt.errs)
		}
	}
	code, out, _ = gh(t, cfg, "", "invites", "list")
	if code != 0 || strings.Count(out, `"id"`) != 1 || !strings.Contains(out, `"status":"pending"`) || strings.Contains(out, token) {
		t.Errorf("invites list: %d %s", code, out)
	}
	if evs := auditTypes(t, cfg); !strings.Contains(evs, "invite.created") || strings.Contains(evs, token) {
		t.Errorf("audit events: %q", evs)
	}
}

// auditTypes lists the audit events' types and details of the CLI's database.
func auditTypes(t *testing.T, cfg string) string {
	t.Helper()
	st, err := gormstore.Open(context.Background(), "sqlite", dbPath(cfg))
	require.NoError(t, err)
	defer st.Close()
	evs, err := st.ListAudit(context.Background(), "", 100)
	require.NoError(t, err)
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Type + " " + e.Detail + "\n")
	}
	return b.String()
}

// readDB returns the bytes of the CLI's database files (WAL included).
func readDB(t *testing.T, cfg string) string {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(dbPath(cfg) + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return string(all)
}

func dbPath(cfg string) string { return filepath.Join(filepath.Dir(cfg), "g.db") }
