// Package tokens is Gatehouse's token issuer: signing keys (generated on
// first start, sealed with the master key in the store, rotated, published
// as a JWKS), RFC 9068 JWT access tokens (ES256 by default, kid in the
// header), and opaque rotating refresh tokens stored only as hashes, whose
// reuse revokes the whole family (RFC 9700 §4.14.2).
//
// Every expiry decision reads an injected clock.
package tokens
