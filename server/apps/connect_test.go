package apps

import (
	"encoding/json"
	"os/exec"
	"testing"
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
