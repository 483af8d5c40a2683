// Package password hashes human passwords with argon2id (RFC 9106) in the
// PHC string format, so parameters travel with each hash and old hashes keep
// verifying after the defaults change.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// Default is what new hashes use: 9 MiB, 4 passes, 1 lane, one of the
// argon2id configurations OWASP's Password Storage Cheat Sheet lists as
// equally strong (m=19 MiB/t=2, m=12 MiB/t=3, m=9 MiB/t=4, m=7 MiB/t=5:
// less memory, more passes). Of those it keeps memory under parallel logins
// low at the same CPU cost: measured with scripts/bench.sh on 2 CPUs, the
// password grant ran at 97% of the hash rate with a 83 MB peak RSS, against
// 76% and 113 MB with 19 MiB/2 passes (whose 19 MiB allocation per hash the
// runtime had to zero and collect). Hashes made under other parameters keep
// verifying: the parameters travel in each hash.
var Default = Params{Memory: 9 * 1024, Time: 4, Threads: 1, KeyLen: 32, SaltLen: 16}

// MaxLen bounds password length so a huge input cannot cost more than hashing.
const MaxLen = 1024

// Errors for unusable input.
var (
	ErrEmpty     = errors.New("password: empty")
	ErrTooLong   = fmt.Errorf("password: longer than %d bytes", MaxLen)
	ErrMalformed = errors.New("password: malformed hash")
)

// slots caps concurrent hashing: each hash holds Params.Memory of RAM, and
// more hashes than CPUs would only queue inside the scheduler.
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

// InFlightMemory is the most memory that hashes under Default can hold at
// once, in bytes (the GC's memory limit must leave room for it).
func InFlightMemory() int64 { return int64(cap(slots)) * int64(Default.Memory) << 10 }

// Hash returns the PHC string of pw under Default.
func Hash(pw string) (string, error) { return HashWith(pw, Default) }

// HashWith hashes under p (tests use cheap parameters).
func HashWith(pw string, p Params) (string, error) {
	if err := check(pw); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := derive(pw, salt, p)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches encoded, in constant time.
func Verify(pw, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := check(pw); err != nil {
		return false, nil
	}
	got := derive(pw, salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made under other parameters than
// Default (or cannot be read), so a successful sign-in should store a new
// hash of the password it just verified.
func NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p.Memory != Default.Memory || p.Time != Default.Time || p.Threads != Default.Threads || p.KeyLen != Default.KeyLen
}

// dummyHash is verified against when there is no real hash (unknown user,
// account without password), so the answer takes as long either way.
// It is computed on first use, not at start-up.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashWith("gatehouse-dummy-password", Default)
	return h
})

// VerifyDummy burns the time of one Verify under Default.
func VerifyDummy(pw string) {
	if len(pw) > MaxLen {
		pw = pw[:MaxLen]
	}
	_, _ = Verify(pw, dummyHash())
}

func check(pw string) error {
	switch {
	case pw == "":
		return ErrEmpty
	case len(pw) > MaxLen:
		return ErrTooLong
	}
	return nil
}

func derive(pw string, salt []byte, p Params) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// decode parses "$argon2id$v=19$m=..,t=..,p=..$salt$key".
func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return Params{}, nil, nil, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrMalformed
	}
	if p.Memory == 0 || p.Memory > 1<<20 || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return Params{}, nil, nil, ErrMalformed // refuse hashes that would cost unbounded work
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformed
	}
	p.KeyLen, p.SaltLen = uint32(len(key)), uint32(len(salt))
	return p, salt, key, nil
}
