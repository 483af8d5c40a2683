package seal

import (
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	s, err := New(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(GenerateKey())
	sealed := s.SealString("purpose-a", []byte("secret"))
	if pt, err := s.OpenString("purpose-a", sealed); err != nil || string(pt) != "secret" {
		t.Fatalf("round trip: %q %v", pt, err)
	}
	if s.SealString("purpose-a", []byte("secret")) == sealed {
		t.Errorf("two seals are equal: nonce reused")
	}
	flipped := []byte(sealed)
	flipped[len(flipped)/2] ^= 1
	for name, tc := range map[string]struct {
		s       *Sealer
		purpose string
		value   string
	}{
		"wrong purpose": {s, "purpose-b", sealed},
		"wrong key":     {other, "purpose-a", sealed},
		"altered":       {s, "purpose-a", string(flipped)},
		"truncated":     {s, "purpose-a", sealed[:10]},
		"not base64":    {s, "purpose-a", "!!!"},
		"empty":         {s, "purpose-a", ""},
	} {
		if _, err := tc.s.OpenString(tc.purpose, tc.value); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	if _, err := New([]byte("short")); err == nil {
		t.Errorf("short key accepted")
	}
	if _, err := DecodeKey("bm90IDMyIGJ5dGVz"); err == nil {
		t.Errorf("wrong-length key decoded")
	}
}
