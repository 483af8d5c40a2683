package main

import (
	"strings"
	"testing"
)

func TestCLIAPIs(t *testing.T) {
	cfg := tempConfig(t)
	tests := []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"apis", "create", "--identifier", "https://api.example", "--name", "Things",
			"--scope", "read:things=Read your things", "--scope", "write:things", "--access-ttl", "5m"}, 0, `"introspection_secret":"`, ""},
		{[]string{"apis", "create", "--identifier", "https://api.example"}, 1, "", "exists already"},
		{[]string{"apis", "create", "--identifier", "http://api.example"}, 1, "", "must be https"},
		{[]string{"apis", "create", "--identifier", "http://127.0.0.1:8080/api"}, 0, `"identifier":"http://127.0.0.1:8080/api"`, ""},
		{[]string{"apis", "create", "--identifier", "https://b.example#x"}, 1, "", "has a fragment"},
		{[]string{"apis", "create", "--identifier", "/relative"}, 1, "", "not an absolute URI"},
		{[]string{"apis", "create", "--identifier", "https://c.example", "--scope", "openid"}, 1, "", "a built-in scope"},
		{[]string{"apis", "create", "--identifier", "https://c.example", "--scope", "a b"}, 1, "", `scope "a b"`},
		{[]string{"apis", "create", "--identifier", "https://c.example", "--scope", "x", "--scope", "x"}, 1, "", "named twice"},
		{[]string{"apis", "create", "--identifier", "https://c.example", "--access-ttl", "48h"}, 1, "", "access TTL"},
		{[]string{"apis", "create"}, 2, "", "apis create --identifier URI"},
		{[]string{"apis", "frob"}, 2, "", "unknown apis subcommand"},
		{[]string{"apis", "list"}, 0, `[{"name":"read:things","description":"Read your things"},{"name":"write:things"}]`, ""},
		{[]string{"apis", "delete", "https://api.example"}, 0, "deleted API https://api.example", ""},
		{[]string{"apis", "delete", "https://api.example"}, 1, "", `no API "https://api.example"`},
		{[]string{"apis", "delete"}, 2, "", "apis delete IDENTIFIER"},
	}
	for _, tt := range tests {
		code, out, errs := gh(t, cfg, "", tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.errs) {
			t.Errorf("%v: exit %d, out %q, err %q; want %d, %q, %q", tt.args, code, out, errs, tt.code, tt.out, tt.errs)
		}
	}
	code, out, _ := gh(t, cfg, "", "apis", "list")
	if code != 0 || strings.Contains(out, "https://api.example") || !strings.Contains(out, "127.0.0.1") {
		t.Errorf("apis list after delete: %q", out)
	}
	evs := auditTypes(t, cfg)
	for _, want := range []string{"api.created", "api.deleted"} {
		if !strings.Contains(evs, want) {
			t.Errorf("audit events %q lack %s", evs, want)
		}
	}
}
