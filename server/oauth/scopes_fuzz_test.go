package oauth

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseScope: ParseScope never panics and yields a sorted set of
// non-empty tokens without whitespace, exactly the input's tokens, that
// parses back to itself.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", "openid profile email", "  openid\topenid\nprofile ", "a\u00a0b c\u2028d", "\xff\xfe openid", "x\x00y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := ParseScope(s)
		if !slices.IsSorted(out) || len(slices.Compact(slices.Clone(out))) != len(out) {
			t.Fatalf("ParseScope(%q) = %q: not a sorted set", s, out)
		}
		fields := strings.Fields(s)
		for _, tok := range out {
			if tok == "" || strings.IndexFunc(tok, unicode.IsSpace) >= 0 || !slices.Contains(fields, tok) {
				t.Fatalf("ParseScope(%q) yields token %q", s, tok)
			}
		}
		for _, f := range fields {
			if !slices.Contains(out, f) {
				t.Fatalf("ParseScope(%q) drops %q", s, f)
			}
		}
		if again := ParseScope(JoinScope(out)); !slices.Equal(again, out) {
			t.Fatalf("ParseScope(JoinScope(%q)) = %q", out, again)
		}
	})
}
