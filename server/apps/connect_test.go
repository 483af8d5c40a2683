package apps

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"gatehouse/store"
)

// A value quoted by sh reaches the command as one argument, unchanged,
// whatever it holds: a pasted snippet runs nothing it carries.
func TestShellQuoteRoundTrip(t *testing.T) {
	for _, v := range []string{"", "plain", "https://a.example/cb?x=1&y=2", "it's", `'$(echo injected)'`, "a b\tc\nd", `\"; rm -rf ~ #`, "`id`", "${IFS}*"} {
		cmd := exec.Command("/bin/sh", "-c", "printf %s "+sh(v))
		cmd.Dir = t.TempDir() // were the quoting wrong, nothing lands in the tree
		out, err := cmd.Output()
		if err != nil || string(out) != v {
			t.Errorf("sh(%q) = %s came back as %q (%v)", v, sh(v), out, err)
		}
	}
}

// q is a JSON string: it decodes to the value (Go, JavaScript and TOML
// read the same literal).
func TestQuoteIsAStringLiteral(t *testing.T) {
	for _, v := range []string{"plain", `a"b\c`, "</script>", "line\nbreak", "\u2028"} {
		var got string
		if err := json.Unmarshal([]byte(q(v)), &got); err != nil || got != v {
			t.Errorf("q(%q) = %s decodes to %q (%v)", v, q(v), got, err)
		}
	}
}

// A public app has no secret: no snippet asks for one, and the code
// snippets use PKCE alone. Endpoints keep the usual order; others (an
// end_session_endpoint) follow.
func TestConnectPublicApp(t *testing.T) {
	eps := map[string]string{"end_session_endpoint": "https://id.example/oauth2/logout", "token_endpoint": "https://id.example/oauth2/token",
		"authorization_endpoint": "https://id.example/oauth2/authorize", "jwks_uri": "https://id.example/oauth2/jwks"}
	c, err := NewConnect("https://id.example", eps, store.Client{ID: "app_1", Public: true, RedirectURIs: []string{"http://127.0.0.1/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range c.Endpoints {
		names = append(names, e.Name)
	}
	if want := []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"}; !slices.Equal(names, want) {
		t.Errorf("endpoints %v, want %v", names, want)
	}
	for _, s := range c.Snippets {
		if strings.Contains(s.Text, "<client secret>") || !strings.Contains(s.Text, "app_1") {
			t.Errorf("public app's %s snippet asks for a secret or lacks the client ID:\n%s", s.ID, s.Text)
		}
		if s.ID == "node" && !strings.Contains(s.Text, "client.None()") {
			t.Errorf("node snippet for a public app lacks client.None():\n%s", s.Text)
		}
	}
}
