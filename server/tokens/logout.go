package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// SID is the public id of a browser session (the sid claim of id_tokens
// and logout tokens, and the session's name on /account). sessionID is the
// store's row ID, itself the hash of the cookie: the sid is one more hash
// of it under its own label, so it reveals neither the cookie nor the row
// ID, yet is stable for the session's life and found again by hashing the
// IDs of an account's sessions.
func SID(sessionID string) string {
	sum := sha256.Sum256([]byte("gatehouse-sid\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// BackchannelLogoutEvent is the event a logout token carries (OpenID
// Connect Back-Channel Logout 1.0 §2.4).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutTokenTTL is the lifetime of a logout token.
const LogoutTokenTTL = 2 * time.Minute

// LogoutRequest is what a logout token says: subject sub of session sid
// signed out of client clientID. Alg is the client's id_token algorithm.
type LogoutRequest struct {
	Subject, SID, ClientID, Alg string
}

// IssueLogoutToken signs a Back-Channel Logout token (§2.4): typ
// logout+jwt, the events claim, never a nonce (so it cannot pass for an
// id_token).
func (i *Issuer) IssueLogoutToken(ctx context.Context, r LogoutRequest) (string, error) {
	now := i.opts.Now()
	claims := jwt.MapClaims{
		"iss": i.opts.Issuer, "sub": r.Subject, "aud": r.ClientID, "sid": r.SID,
		"iat": now.Unix(), "exp": now.Add(LogoutTokenTTL).Unix(), "jti": NewJTI(),
		"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	}
	tok, err := i.sign(ctx, defaultAlg(r.Alg), "logout+jwt", claims)
	if err != nil {
		return "", fmt.Errorf("logout token: %w", err)
	}
	return tok, nil
}

func defaultAlg(alg string) string {
	if alg == "" {
		return "RS256"
	}
	return alg
}

// IDTokenHint is what an id_token_hint tells RP-Initiated Logout.
type IDTokenHint struct {
	Subject  string
	Audience []string
	SID      string
}

// VerifyIDTokenHint checks that token is an id_token we issued: our key
// (by kid, with its own algorithm), typ JWT, our issuer. It may have
// expired (RP-Initiated Logout 1.0 §2: the hint is often old), so the
// lifetime is not checked; nothing here grants access.
func (i *Issuer) VerifyIDTokenHint(ctx context.Context, token string) (*IDTokenHint, error) {
	var c struct {
		jwt.RegisteredClaims
		SID string `json:"sid"`
	}
	_, err := jwt.ParseWithClaims(token, &c, i.keyfunc(ctx, "JWT"), jwt.WithValidMethods(algs),
		jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Issuer != i.opts.Issuer || c.Subject == "" || len(c.Audience) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, errors.New("not an id_token of this issuer"))
	}
	return &IDTokenHint{Subject: c.Subject, Audience: c.Audience, SID: c.SID}, nil
}
