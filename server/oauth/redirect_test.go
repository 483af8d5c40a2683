package oauth

import "testing"

func TestMatchRedirect(t *testing.T) {
	reg := []string{"https://app.example/cb?x=1", "http://127.0.0.1/cb", "http://[::1]:8000/cb"}
	cases := []struct {
		name, requested string
		anyPort, ok     bool
	}{
		{"exact", "https://app.example/cb?x=1", false, true},
		{"query differs", "https://app.example/cb?x=2", false, false},
		{"query added", "https://app.example/cb?x=1&y=2", false, false},
		{"exact loopback", "http://127.0.0.1/cb", false, true},
		// A confidential app gets no loopback port freedom (RFC 9700 §4.1.1).
		{"loopback port, confidential", "http://127.0.0.1:5555/cb", false, false},
		{"loopback port, native", "http://127.0.0.1:5555/cb", true, true},
		{"loopback v6 port, native", "http://[::1]:9/cb", true, true},
		{"loopback userinfo", "http://user:pw@127.0.0.1:5555/cb", true, false},
		{"loopback other path", "http://127.0.0.1:5555/cb2", true, false},
		{"loopback other query", "http://127.0.0.1:5555/cb?a=b", true, false},
		{"loopback fragment", "http://127.0.0.1:5555/cb#x", true, false},
		// Found by FuzzMatchRedirect: only the port may differ, byte for byte.
		{"loopback empty fragment", "http://127.0.0.1:5555/cb#", true, false},
		{"loopback empty query", "http://127.0.0.1:5555/cb?", true, false},
		{"loopback scheme in capitals", "HTTP://127.0.0.1:5555/cb", true, false},
		{"localhost is not an IP", "http://localhost:5555/cb", true, false},
		{"https on loopback", "https://127.0.0.1:5555/cb", true, false},
		{"other host", "https://evil.example/cb?x=1", true, false},
		{"empty with three registered", "", true, false},
	}
	for _, c := range cases {
		if _, ok := MatchRedirect(reg, c.requested, c.anyPort); ok != c.ok {
			t.Errorf("%s: MatchRedirect(%q, anyPort=%v) ok=%v, want %v", c.name, c.requested, c.anyPort, ok, c.ok)
		}
	}
	if got, ok := MatchRedirect(reg[:1], "", false); !ok || got != reg[0] {
		t.Errorf("empty request with one registered URI: %q %v", got, ok)
	}
}

func TestValidRedirectURI(t *testing.T) {
	for s, want := range map[string]bool{
		"https://app.example/cb":      true,
		"http://127.0.0.1:8080/cb":    true,
		"http://app.example/cb":       false,
		"https://u:p@app.example/cb":  false,
		"https://app.example/cb#frag": false,
		"javascript:alert(1)":         false,
		"com.example.app:/cb":         true,
		"app:/cb":                     false,
		"/relative":                   false,
	} {
		if got := ValidRedirectURI(s); got != want {
			t.Errorf("ValidRedirectURI(%q) = %v, want %v", s, got, want)
		}
	}
}
