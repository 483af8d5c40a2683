package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/server/seal"
	"gatehouse/store"
)

// Refresh errors; callers answer each with invalid_grant.
var (
	ErrRefreshInvalid = errors.New("tokens: refresh token invalid")
	ErrRefreshExpired = errors.New("tokens: refresh token expired")
	ErrRefreshRevoked = errors.New("tokens: refresh token revoked")
	ErrRefreshReused  = errors.New("tokens: refresh token reused; its family is revoked")
	ErrScopeWidened   = errors.New("tokens: requested scope exceeds the granted scope")
)

// RefreshOptions tune the Refresher; zero values take defaults.
type RefreshOptions struct {
	IdleTTL     time.Duration // a token unused this long expires; default 30 days
	AbsoluteTTL time.Duration // no chain outlives its sign-in by more; default 90 days
	// Grace is how long a rotated token may be presented again and get the
	// same successor back (concurrent requests of one client); default 10 s.
	Grace time.Duration
	// Sealer seals successors for the grace window (the master key); without
	// one there is no grace and every re-presentation is reuse.
	Sealer *seal.Sealer
	Now    func() time.Time
}

// DefaultGrace is the grace window when neither the server config nor the
// client names one.
const DefaultGrace = 10 * time.Second

// Refresher issues and rotates opaque refresh tokens. The store keeps only
// their SHA-256; every use rotates; reuse revokes the family (RFC 9700).
type Refresher struct {
	st   store.RefreshTokens
	opts RefreshOptions
}

// Grant is what a refresh-token family stands for.
type Grant struct {
	AccountID, ClientID, Scope, AMR string
	AuthTime                        time.Time
	// Resource is the API the family is for (RFC 8707); "" for the client.
	Resource string
	// SID is the browser session the family was granted in (the code's
	// sid), kept for the sid of a refresh's id_token; "" for none.
	SID string
	// IdleTTL overrides the idle lifetime for this client (0 = default).
	IdleTTL time.Duration
}

// RotateOptions narrow a rotation.
type RotateOptions struct {
	// ClientID, if set, must own the token (else ErrRefreshInvalid, unspent).
	ClientID string
	// Scope "" keeps the granted scope; a narrower one is kept for the new
	// token; a wider one is refused before the token is spent.
	Scope string
	// Grace overrides the grace window for this client (0 = the
	// Refresher's). Inside the window a re-presented token gets the same
	// successor again, never a second branch (store.ErrTokenInGrace).
	Grace time.Duration
	// IdleTTL overrides the idle lifetime of the new token (0 = default).
	IdleTTL time.Duration
}

func (r *Refresher) idle(override time.Duration) time.Duration {
	if override > 0 {
		return override
	}
	return r.opts.IdleTTL
}

// With returns the Refresher over st instead (a caller's transaction).
func (r *Refresher) With(st store.RefreshTokens) *Refresher {
	cp := *r
	cp.st = st
	return &cp
}

// NewRefresher returns a Refresher over st.
func NewRefresher(st store.RefreshTokens, opts RefreshOptions) *Refresher {
	if opts.IdleTTL == 0 {
		opts.IdleTTL = 30 * 24 * time.Hour
	}
	if opts.AbsoluteTTL == 0 {
		opts.AbsoluteTTL = 90 * 24 * time.Hour
	}
	if opts.Grace == 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Refresher{st: st, opts: opts}
}

// Issue starts a new family for g.
func (r *Refresher) Issue(ctx context.Context, g Grant) (string, store.RefreshToken, error) {
	now := r.opts.Now()
	token := RandomToken()
	id := HashToken(token)
	abs := now.Add(r.opts.AbsoluteTTL)
	rec := store.RefreshToken{ID: id, FamilyID: id, AccountID: g.AccountID, ClientID: g.ClientID,
		Scope: g.Scope, AMR: g.AMR, Resource: g.Resource, SID: g.SID, AuthTime: g.AuthTime, CreatedAt: now,
		ExpiresAt: minTime(now.Add(r.idle(g.IdleTTL)), abs), FamilyExpiresAt: abs}
	if err := r.st.CreateRefreshToken(ctx, &rec); err != nil {
		return "", store.RefreshToken{}, err
	}
	return token, rec, nil
}

// Rotate spends token and returns its successor (see RotateOptions). On
// ErrRefreshReused the record returned is the reused token's (for the
// audit trail: account and client).
func (r *Refresher) Rotate(ctx context.Context, token string, o RotateOptions) (string, store.RefreshToken, error) {
	if len(token) != 43 {
		return "", store.RefreshToken{}, ErrRefreshInvalid
	}
	id := HashToken(token)
	clientID, scope := o.ClientID, o.Scope
	if scope != "" {
		cur, err := r.st.GetRefreshToken(ctx, id)
		if err != nil {
			return "", store.RefreshToken{}, mapRefreshErr(err)
		}
		if clientID != "" && cur.ClientID != clientID {
			return "", store.RefreshToken{}, ErrRefreshInvalid
		}
		if !subset(scope, cur.Scope) {
			return "", store.RefreshToken{}, ErrScopeWidened
		}
	}
	now := r.opts.Now()
	newToken := RandomToken()
	next := store.RefreshToken{ID: HashToken(newToken), ClientID: clientID, Scope: scope, ExpiresAt: now.Add(r.idle(o.IdleTTL))}
	grace := r.grace(o.Grace)
	if grace > 0 {
		next.Sealed = r.opts.Sealer.Seal(successorPurpose+id, []byte(newToken))
	}
	old, err := r.st.RotateRefreshToken(ctx, id, &next, now, grace)
	if errors.Is(err, store.ErrTokenInGrace) {
		return r.successor(id, next)
	}
	if errors.Is(err, store.ErrTokenReused) {
		return "", old, ErrRefreshReused
	}
	if err != nil {
		return "", store.RefreshToken{}, mapRefreshErr(err)
	}
	next.Sealed = nil
	return newToken, next, nil
}

// successorPurpose binds a sealed successor to the row of its parent.
const successorPurpose = "refresh-successor:"

// grace is the window for a rotation; none without a sealer.
func (r *Refresher) grace(override time.Duration) time.Duration {
	if r.opts.Sealer == nil {
		return 0
	}
	if override > 0 {
		return override
	}
	return r.opts.Grace
}

// successor opens the successor the store kept for parentID and checks it
// is the token the row names.
func (r *Refresher) successor(parentID string, next store.RefreshToken) (string, store.RefreshToken, error) {
	if r.opts.Sealer == nil {
		return "", store.RefreshToken{}, errors.New("tokens: a sealed successor but no sealer")
	}
	pt, err := r.opts.Sealer.Open(successorPurpose+parentID, next.Sealed)
	if err != nil || HashToken(string(pt)) != next.ID {
		return "", store.RefreshToken{}, fmt.Errorf("tokens: the sealed successor of a refresh token does not open: %v", err)
	}
	next.Sealed = nil
	return string(pt), next, nil
}

func mapRefreshErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrRefreshInvalid
	case errors.Is(err, store.ErrTokenExpired):
		return ErrRefreshExpired
	case errors.Is(err, store.ErrTokenRevoked):
		return ErrRefreshRevoked
	case errors.Is(err, store.ErrTokenReused):
		return ErrRefreshReused
	}
	return err
}

// subset reports whether every space-separated scope in want is in have.
func subset(want, have string) bool {
	set := map[string]bool{}
	for _, s := range strings.Fields(have) {
		set[s] = true
	}
	for _, s := range strings.Fields(want) {
		if !set[s] {
			return false
		}
	}
	return true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
