package password

import (
	"errors"
	"strings"
	"testing"
)

var cheap = Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashVerify(t *testing.T) {
	h, err := HashWith("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := HashWith("correct horse", cheap)
	if h == h2 {
		t.Errorf("two hashes of one password are equal: salt missing")
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"correct horse", true}, {"correct horsE", false}, {"", false}, {strings.Repeat("x", MaxLen+1), false},
	}
	for _, tt := range tests {
		ok, err := Verify(tt.pw, h)
		if err != nil || ok != tt.want {
			t.Errorf("Verify(%.10q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
}

func TestRefusedInput(t *testing.T) {
	if _, err := Hash(""); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := Hash(strings.Repeat("x", MaxLen+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("too long: %v", err)
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1$a$b", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=1024,t=1,p=1$!!$!!"} {
		if _, err := Verify("pw", bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify with %q: err = %v, want ErrMalformed", bad, err)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInFlightMemory(t *testing.T) {
	// One Default matrix per hash slot, in bytes.
	if got, want := InFlightMemory(), int64(cap(slots))*9<<20; got != want {
		t.Errorf("InFlightMemory = %d, want %d", got, want)
	}
}

func TestNeedsRehash(t *testing.T) {
	cur, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	old, err := HashWith("correct horse", Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(cur) || !NeedsRehash(old) || !NeedsRehash("garbage") {
		t.Errorf("NeedsRehash: current %v, old %v, garbage %v", NeedsRehash(cur), NeedsRehash(old), NeedsRehash("garbage"))
	}
}
