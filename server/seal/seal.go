// Package seal encrypts small secrets at rest (signing keys, upstream tokens)
// and seals values handed to clients (login-API sessions) with the master
// key, using AES-256-GCM. A sealed value is nonce || ciphertext || tag; the
// caller-supplied purpose is bound as additional data, so a value sealed for
// one purpose cannot be replayed as another.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the master key length in bytes.
const KeySize = 32

// ErrOpen is returned for any value that fails to decrypt: wrong key,
// wrong purpose, truncated or altered. It deliberately says no more.
var ErrOpen = errors.New("seal: cannot open sealed value")

// Sealer seals and opens values with one master key. Safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for purpose.
func (s *Sealer) Seal(purpose string, plaintext []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: crypto/rand failed: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
}

// Open decrypts a value sealed for purpose.
func (s *Sealer) Open(purpose string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// SealString seals plaintext and encodes it as unpadded base64url, for
// values that travel in JSON or URLs.
func (s *Sealer) SealString(purpose string, plaintext []byte) string {
	return base64.RawURLEncoding.EncodeToString(s.Seal(purpose, plaintext))
}

// OpenString reverses SealString. The decoding is strict: the last
// character's unused bits must be zero, so exactly one string opens (a
// lenient decoder accepts up to 16 spellings of one sealed value).
func (s *Sealer) OpenString(purpose, sealed string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return s.Open(purpose, b)
}

// GenerateKey returns a fresh random master key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("seal: crypto/rand failed: " + err.Error())
	}
	return k
}

// EncodeKey renders a key as the file format: base64 (std) plus newline.
func EncodeKey(k []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(k) + "\n")
}

// DecodeKey parses the file format (surrounding whitespace ignored).
func DecodeKey(text string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("master key is not base64: %w", err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("master key must decode to %d bytes, got %d", KeySize, len(k))
	}
	return k, nil
}

// LoadOrCreateKeyFile reads the key at path; if the file does not exist and
// create is true, it writes a new key there with mode 0600 and reports
// created=true. An existing file is never overwritten.
func LoadOrCreateKeyFile(path string, create bool) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := DecodeKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, false, err
	}
	k := GenerateKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.Write(EncodeKey(k)); err != nil {
		f.Close()
		return nil, false, err
	}
	return k, true, f.Close()
}
