package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// RandomToken returns 32 random bytes as unpadded base64url (43 chars):
// the form of every server-generated secret (refresh tokens, session
// cookies, state, API tokens).
func RandomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("tokens: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is the hex SHA-256 of a server-generated secret, the key the
// store keeps instead of the secret. SHA-256 suffices for 256-bit random
// values; human passwords use the password package.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
