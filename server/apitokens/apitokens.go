// Package apitokens issues and checks personal API tokens: the login API
// (/v1) hands them to CLIs, people make them on /account. A token's secret
// is shown once and stored only as its SHA-256.
package apitokens

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Prefix marks our secrets, so secret scanners and people can tell them.
const Prefix = "gha_"

// ClientID is the client_id of the claims an API token stands for.
const ClientID = "api-token"

// Issue makes a token for accountID that lives ttl and returns it with its
// secret.
func Issue(ctx context.Context, st store.APITokens, accountID, name string, ttl time.Duration, now time.Time) (store.APIToken, string, error) {
	secret := Prefix + tokens.RandomToken()
	t := store.APIToken{ID: newID(), AccountID: accountID, Name: name, SecretHash: tokens.HashToken(secret),
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := st.CreateAPIToken(ctx, &t); err != nil {
		return store.APIToken{}, "", err
	}
	return t, secret, nil
}

// newID is a UUID-shaped random id (the seed's clients expect that shape).
func newID() string {
	h := store.NewID()
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// ErrInvalid: the secret is unknown, revoked or expired.
var ErrInvalid = errors.New("apitokens: invalid token")

// Check finds the live token of a secret and records its use (at most once
// a minute, to keep the hot path free of writes).
func Check(ctx context.Context, st store.APITokens, secret string, now time.Time) (store.APIToken, error) {
	if !strings.HasPrefix(secret, Prefix) || len(secret) != len(Prefix)+43 {
		return store.APIToken{}, ErrInvalid
	}
	t, err := st.GetAPITokenBySecretHash(ctx, tokens.HashToken(secret), now)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIToken{}, ErrInvalid
	}
	if err != nil {
		return store.APIToken{}, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := st.TouchAPIToken(ctx, t.ID, now); err != nil {
			return store.APIToken{}, err
		}
	}
	return t, nil
}

// Verifier accepts our JWT access tokens and API tokens, for
// apiauth.FirstPartyAPI.
type Verifier struct {
	Issuer *tokens.Issuer
	Store  store.APITokens
	Now    func() time.Time
}

// VerifyAccess implements apiauth.Verifier.
func (v *Verifier) VerifyAccess(ctx context.Context, token, audience string) (*tokens.AccessClaims, error) {
	if !strings.HasPrefix(token, Prefix) {
		return v.Issuer.VerifyAccess(ctx, token, audience)
	}
	t, err := Check(ctx, v.Store, token, v.Now())
	if err != nil {
		return nil, err
	}
	return &tokens.AccessClaims{ClientID: ClientID, APIToken: true, RegisteredClaims: jwt.RegisteredClaims{
		Subject: t.AccountID, ID: t.ID, ExpiresAt: jwt.NewNumericDate(t.ExpiresAt), IssuedAt: jwt.NewNumericDate(t.CreatedAt)}}, nil
}
