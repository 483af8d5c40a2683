package argon2

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

type params struct {
	time, memory uint32
	threads      uint8
	keyLen       uint32
}

// Every case runs twice in a row with the same memory size, so the second
// run gets the first one's dirty matrix from the pool.
var cases = []params{
	{1, 8, 1, 32}, {1, 8, 1, 32}, // below the minimum: rounded up
	{2, 64, 1, 32}, {2, 64, 1, 16},
	{3, 256, 1, 64}, {3, 256, 1, 64},
	{1, 256, 4, 32}, {2, 256, 4, 32},
	{2, 19 * 1024, 1, 32}, {2, 19 * 1024, 1, 32}, // password.Default
}

func TestMatchesUpstream(t *testing.T) {
	for i, p := range cases {
		pw, salt := fmt.Appendf(nil, "password %d", i), fmt.Appendf(nil, "salt-of-%d", i)
		got := IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen)
		want := upstream.IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen)
		if !bytes.Equal(got, want) {
			t.Errorf("%+v: got %x, want %x", p, got, want)
		}
	}
}

// Concurrent hashes never share a matrix.
func TestConcurrentMatchesUpstream(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := fmt.Appendf(nil, "concurrent %d", i)
			for range 4 {
				got := IDKey(pw, []byte("saltsaltsalt"), 2, 512, 1, 32)
				if want := upstream.IDKey(pw, []byte("saltsaltsalt"), 2, 512, 1, 32); !bytes.Equal(got, want) {
					t.Errorf("goroutine %d: got %x, want %x", i, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkIDKey(b *testing.B) {
	pw, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	b.Run("pooled", func(b *testing.B) {
		for b.Loop() {
			IDKey(pw, salt, 2, 19*1024, 1, 32)
		}
	})
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			upstream.IDKey(pw, salt, 2, 19*1024, 1, 32)
		}
	})
}

// The path for CPUs without SSE4.1 (and for other architectures) gives the
// same keys.
func TestGenericMatchesUpstream(t *testing.T) {
	defer func(v bool) { useSSE4 = v }(useSSE4)
	useSSE4 = false
	for _, p := range cases[:6] {
		got := IDKey([]byte("generic"), []byte("saltsaltsalt"), p.time, p.memory, p.threads, p.keyLen)
		if want := upstream.IDKey([]byte("generic"), []byte("saltsaltsalt"), p.time, p.memory, p.threads, p.keyLen); !bytes.Equal(got, want) {
			t.Errorf("%+v: got %x, want %x", p, got, want)
		}
	}
}
