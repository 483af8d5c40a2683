package store

import (
	"context"
	"time"
)

// The authorization server's storage: clients, codes, consents and
// revoked access tokens.

// Clients stores OAuth2 clients.
type Clients interface {
	// CreateClient: ErrAlreadyExists if the ID is taken.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient: ErrNotFound for an unknown ID.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients lists the clients of ownerID ("" lists all), oldest first.
	ListClients(ctx context.Context, ownerID string) ([]Client, error)
	// UpdateClient overwrites everything but ID, CreatedAt and SecretHash;
	// ErrNotFound. The secret changes only through SetClientSecret, so an
	// edit made from a client read earlier (or cached by another instance)
	// cannot bring back a secret that was rotated since.
	UpdateClient(ctx context.Context, c *Client) error
	// SetClientSecret replaces the client's secret hash; ErrNotFound.
	SetClientSecret(ctx context.Context, id, secretHash string, now time.Time) error
	// DeleteClient removes the client, its codes and consents, and revokes
	// its refresh tokens, in one transaction; ErrNotFound.
	DeleteClient(ctx context.Context, id string, now time.Time) error
}

// AuthCodes stores authorization codes.
type AuthCodes interface {
	CreateAuthCode(ctx context.Context, c *AuthCode) error
	// RedeemAuthCode spends the code atomically: of concurrent callers one
	// gets it. A code already spent returns the code and ErrTokenReused (so
	// the caller revokes what it issued); past ExpiresAt, ErrTokenExpired;
	// unknown, ErrNotFound.
	RedeemAuthCode(ctx context.Context, id string, now time.Time) (AuthCode, error)
	// SetAuthCodeIssued records what a code issued: its refresh family (""
	// for none) and its access token's jti. Run it in the transaction that
	// redeems the code, so a replay always finds them.
	SetAuthCodeIssued(ctx context.Context, id, familyID, accessJTI string) error
}

// RevokedAccessTokens lists revoked access tokens by jti. A JWT cannot be
// recalled, so revocation (RFC 7009, a replayed code) records its jti until
// it expires; the token verifier (tokens.Issuer) checks the list.
type RevokedAccessTokens interface {
	// RevokeAccessToken records jti as revoked until expiresAt (the token's
	// own expiry, or later). Idempotent; DeleteExpired removes the record
	// after expiresAt.
	RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	// AccessTokenRevoked reports whether jti is recorded as revoked.
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)
}

// Consents stores what users granted to clients.
type Consents interface {
	// GetConsent: ErrNotFound if the account never consented to the client.
	GetConsent(ctx context.Context, accountID, clientID string) (Consent, error)
	// SaveConsent creates or replaces the consent of (AccountID, ClientID).
	SaveConsent(ctx context.Context, c *Consent) error
	// ListConsents lists an account's consents, oldest first.
	ListConsents(ctx context.Context, accountID string) ([]Consent, error)
	// RevokeConsent deletes the consent and revokes the account's refresh
	// tokens for the client, in one transaction; ErrNotFound.
	RevokeConsent(ctx context.Context, accountID, clientID string, now time.Time) error
}
