package oauth

import (
	"net"
	"slices"
	"strings"
	"testing"
)

// FuzzMatchRedirect: nothing is accepted that differs from a registered
// URI, except the RFC 8252 loopback-port case for public apps: an accepted
// URI that is not byte-equal to a registered one needs anyPort and must be
// a registered loopback URI with only the port changed (no userinfo, no
// fragment). The oracle works on the raw strings, not on url.Parse, so it
// does not share the matcher's blind spots.
func FuzzMatchRedirect(f *testing.F) {
	for _, s := range []struct {
		reg, req string
		anyPort  bool
	}{
		{"http://127.0.0.1/cb", "http://127.0.0.1:5555/cb", true},
		{"http://[::1]:8000/cb", "http://[::1]:9/cb", true},
		{"http://127.0.0.1:8080/cb?x=1", "http://127.0.0.1:9/cb?x=1", true},
		{"https://app.example/cb?x=1\nhttp://127.0.0.1/cb", "https://app.example/cb?x=1", false},
		{"http://127.0.0.1/cb", "http://user@127.0.0.1:5555/cb", true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:5555/cb#x", true},
		{"http://127.0.0.1/cb", "http://localhost:5555/cb", true},
		{"com.example.app:/cb", "com.example.app:/cb", true},
		{"http://127.0.0.1/cb", "", true},
	} {
		f.Add(s.reg, s.req, s.anyPort)
	}
	f.Fuzz(func(t *testing.T, regs, requested string, anyPort bool) {
		registered := strings.Split(regs, "\n")
		got, ok := MatchRedirect(registered, requested, anyPort)
		switch {
		case !ok:
			if got != "" {
				t.Fatalf("refused but returned %q", got)
			}
			return
		case requested == "":
			if len(registered) != 1 || got != registered[0] {
				t.Fatalf("empty request matched %q with %d registered", got, len(registered))
			}
			return
		case got != requested:
			t.Fatalf("accepted %q but returned %q", requested, got)
		case slices.Contains(registered, requested):
			return
		case !anyPort:
			t.Fatalf("accepted %q, registered %q, without anyPort", requested, registered)
		}
		reqRest, ok := oracleLoopbackWithoutPort(requested)
		if !ok {
			t.Fatalf("accepted %q (registered %q): not a plain http loopback URI", requested, registered)
		}
		for _, r := range registered {
			if rest, ok := oracleLoopbackWithoutPort(r); ok && rest == reqRest {
				return
			}
		}
		t.Fatalf("accepted %q: no registered loopback URI differs from it only in the port (registered %q)", requested, registered)
	})
}

// oracleLoopbackWithoutPort returns s without its port if s is
// "http://" + a loopback IP literal + optional ":digits" + the rest, with
// no userinfo and no fragment anywhere.
func oracleLoopbackWithoutPort(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "http://")
	if !ok || strings.ContainsAny(s, "@#") {
		return "", false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	host := authority
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host = authority[:i]
		for _, c := range authority[i+1:] {
			if c < '0' || c > '9' {
				return "", false
			}
		}
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if ip == nil || !ip.IsLoopback() || strings.Contains(host, ":") != strings.HasPrefix(host, "[") {
		return "", false
	}
	return host + tail, true
}
