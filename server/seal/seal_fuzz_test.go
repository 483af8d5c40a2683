package seal

import (
	"bytes"
	"testing"
)

// fuzzKey is fixed so that crashers replay; its value does not matter.
var fuzzKey = bytes.Repeat([]byte{7}, KeySize)

// FuzzOpen: Open and OpenString never panic on arbitrary input, and never
// accept a sealed value that was changed in any way: one byte or one
// character altered, cut short, extended, or opened for another purpose.
func FuzzOpen(f *testing.F) {
	s, err := New(fuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("purpose-a", []byte("secret"), []byte{}, uint16(0), byte(1))
	f.Add("", []byte{}, []byte("not sealed at all, but long enough to look like it"), uint16(40), byte(0x80))
	f.Add("login-api", []byte(`{"state":"x"}`), s.Seal("login-api", []byte("y")), uint16(999), byte(0xff))
	f.Fuzz(func(t *testing.T, purpose string, plaintext, arbitrary []byte, pos uint16, flip byte) {
		_, _ = s.Open(purpose, arbitrary)
		_, _ = s.OpenString(purpose, string(arbitrary))

		sealed := s.Seal(purpose, plaintext)
		if pt, err := s.Open(purpose, sealed); err != nil || !bytes.Equal(pt, plaintext) {
			t.Fatalf("round trip: %q %v", pt, err)
		}
		if flip == 0 {
			flip = 1
		}
		changed := bytes.Clone(sealed)
		changed[int(pos)%len(changed)] ^= flip
		mustRefuse(t, s, purpose, changed, "a byte altered")
		mustRefuse(t, s, purpose, sealed[:int(pos)%len(sealed)], "cut short")
		mustRefuse(t, s, purpose, append(bytes.Clone(sealed), flip), "extended")
		mustRefuse(t, s, purpose+"x", sealed, "another purpose")

		text := []byte(s.SealString(purpose, plaintext))
		i := int(pos) % len(text)
		for _, c := range []byte("AQgw_-") { // characters differing in any bit position
			if c == text[i] {
				continue
			}
			alt := bytes.Clone(text)
			alt[i] = c
			if _, err := s.OpenString(purpose, string(alt)); err == nil {
				t.Fatalf("OpenString accepted %q, sealed as %q", alt, text)
			}
		}
	})
}

func mustRefuse(t *testing.T, s *Sealer, purpose string, sealed []byte, what string) {
	t.Helper()
	if _, err := s.Open(purpose, sealed); err == nil {
		t.Fatalf("Open accepted a sealed value %s", what)
	}
}
