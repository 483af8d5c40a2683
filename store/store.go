package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors. Every backend maps its driver errors to these at its
// boundary, so callers test with errors.Is and never see a driver type.
var (
	// ErrNotFound: the row asked for does not exist (or is already spent,
	// for single-use rows such as pending logins).
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a unique key (username, provider+subject, id) is taken.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: the write lost a race or would break an invariant
	// (for example removing an account's last way in).
	ErrConflict = errors.New("store: conflict")
	// ErrTokenReused: a refresh token that was already rotated was presented
	// again. The backend has revoked the token's whole family (RFC 9700 §4.14.2)
	// and committed that revocation before returning this error — unless the
	// rotation ran inside a caller's InTx, whose rollback on this error takes
	// the revocation with it (revoke again after the transaction).
	// For a spent authorization code, RedeemAuthCode returns it with the code,
	// and the caller revokes the code's family.
	ErrTokenReused = errors.New("store: refresh token reused")
	// ErrTokenInGrace: the refresh token was rotated less than its grace
	// window ago and its successor is still unspent, so the presentation is a
	// concurrent request of the same client, not a thief. Nothing was
	// written; RotateRefreshToken has filled next with that successor, its
	// Sealed value included, for the caller to hand out again.
	ErrTokenInGrace = errors.New("store: refresh token rotated within its grace window")
	// ErrTokenRevoked: the refresh token (or its family) is revoked.
	ErrTokenRevoked = errors.New("store: refresh token revoked")
	// ErrTokenExpired: the refresh token passed its idle or absolute lifetime.
	ErrTokenExpired = errors.New("store: refresh token expired")
	// ErrSlowDown: a device code was polled again before its interval passed.
	ErrSlowDown = errors.New("store: polled too fast")
)

// Times: backends store instants in UTC at microsecond precision (what
// PostgreSQL keeps) and return them in UTC; compare with Equal.

// NewID returns a random 128-bit identifier as 32 lowercase hex characters.
// Rows get their IDs from the caller, so a caller can refer to a row before
// it is written (for example a refresh token family named after its first
// token).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("store: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return hex.EncodeToString(b[:])
}

// Accounts stores local accounts.
type Accounts interface {
	// CreateAccount inserts a; ErrAlreadyExists if the ID or username is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns ErrNotFound for an unknown ID.
	GetAccount(ctx context.Context, id string) (Account, error)
	// GetAccountByUsername returns ErrNotFound for an unknown username.
	GetAccountByUsername(ctx context.Context, username string) (Account, error)
	// UpdateAccount overwrites the profile fields and password hash of the
	// account with a.ID, but never IsAdmin or Disabled: those change only
	// through SetAccountFlags, so a profile or password change made from an
	// account read earlier cannot undo an operator's decision taken since.
	// ErrNotFound if it does not exist, ErrAlreadyExists if the new
	// username is taken.
	UpdateAccount(ctx context.Context, a *Account) error
	// ListAccountsByEmail returns the accounts whose e-mail equals email
	// (case-insensitively), verified or not, oldest first; none for "".
	// E-mail linking uses it to find the one owner of an address.
	ListAccountsByEmail(ctx context.Context, email string) ([]Account, error)
	// ListAccounts is the operators' account list: at most limit (> 0)
	// accounts ordered by username in byte order, with usernames after
	// after ("" starts at the first) and, unless prefix is "", starting
	// with prefix (case-insensitive for ASCII letters; % and _ are plain
	// characters, not wildcards). Keyset paging: pass a page's last
	// username as after for the next page.
	ListAccounts(ctx context.Context, after string, limit int, prefix string) ([]Account, error)
	// CountAccounts returns how many accounts exist.
	CountAccounts(ctx context.Context) (int, error)
	// SetAccountFlags sets the flags f names (a nil field is left alone)
	// and UpdatedAt of account id in one UPDATE: the profile and password
	// hash are not read or written, so a concurrent profile change is not
	// lost. Disabling also deletes the account's sessions and revokes its
	// refresh and API tokens in the same transaction, so enabling it again
	// brings none of them back. ErrNotFound for an unknown ID; ErrConflict
	// (and nothing changes) if it would disable or un-admin the last active
	// administrator, even when two such changes race.
	SetAccountFlags(ctx context.Context, id string, f AccountFlags, now time.Time) error
	// EndAccountAccess ends account id's ways in, in one transaction (a
	// password change: whoever knew the old password is out): it deletes
	// the account's sessions except keepSession ("" keeps none), revokes
	// all its refresh tokens and, when apiTokens is set, its API tokens.
	// Disabling an account (SetAccountFlags) runs the same code. An unknown
	// account is not an error: there is nothing to end.
	EndAccountAccess(ctx context.Context, id, keepSession string, apiTokens bool, now time.Time) error
	// ReplacePasswordHash sets account id's password hash to newHash if it
	// is still oldHash (a rehash under new parameters must not overwrite a
	// password changed meanwhile): ErrConflict if it is not, ErrNotFound
	// for an unknown ID.
	ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, now time.Time) error
}

// AccountFlags are the operator-set flags of an account; nil means "leave
// as it is".
type AccountFlags struct {
	IsAdmin  *bool
	Disabled *bool
}

// Identities stores the upstream identities linked to accounts.
type Identities interface {
	// CreateIdentity inserts id; ErrAlreadyExists if (Provider, Subject) is
	// linked already; ErrNotFound if the account does not exist.
	CreateIdentity(ctx context.Context, id *Identity) error
	// GetIdentity returns ErrNotFound if no account has this upstream identity.
	GetIdentity(ctx context.Context, provider, subject string) (Identity, error)
	// ListIdentities returns an account's identities, oldest first.
	ListIdentities(ctx context.Context, accountID string) ([]Identity, error)
	// UpdateIdentity overwrites username, e-mail, profile, token ciphertext and
	// last login of the identity with id.ID; ErrNotFound if it does not exist.
	UpdateIdentity(ctx context.Context, id *Identity) error
	// DeleteIdentity removes the identity with identityID from accountID.
	// It returns ErrNotFound if that account has no such identity and
	// ErrConflict if it is the account's last way in (no other identity and
	// no password). The check and the delete are one atomic step.
	DeleteIdentity(ctx context.Context, accountID, identityID string) error
}

// Sessions stores browser sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns ErrNotFound for an unknown or expired (at now) session.
	GetSession(ctx context.Context, id string, now time.Time) (Session, error)
	// DeleteSession removes a session; deleting an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// ListSessions returns accountID's unexpired (at now) sessions, most
	// recently seen first.
	ListSessions(ctx context.Context, accountID string, now time.Time) ([]Session, error)
	// AddSessionClient records that session sessionID signed into client
	// clientID (an authorization code or token was issued); recording it
	// twice is not an error, nor is an unknown session or client (nothing
	// is recorded). The record goes with the session or the client.
	AddSessionClient(ctx context.Context, sessionID, clientID string) error
	// SessionClients returns the IDs of the clients session sessionID
	// signed into, sorted; none for an unknown session.
	SessionClients(ctx context.Context, sessionID string) ([]string, error)
}

// PendingLogins stores upstream sign-ins in flight.
type PendingLogins interface {
	CreatePendingLogin(ctx context.Context, p *PendingLogin) error
	// TakePendingLogin deletes and returns the pending login with id. It is
	// single use: of concurrent callers at most one gets it, the others get
	// ErrNotFound, as do callers after ExpiresAt (at now).
	TakePendingLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error)
}

// AuthRequests stores authorization requests waiting for the user to sign
// in or to decide on consent, so that only a short random ID travels
// through the sign-in and the consent form (and a decision is made once).
type AuthRequests interface {
	// CreateAuthRequest: ErrAlreadyExists on a duplicate ID.
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// GetAuthRequest returns the request with id; ErrNotFound if it is
	// unknown, taken or expired (at now).
	GetAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	// TakeAuthRequest deletes and returns the request with id. It is single
	// use: of concurrent callers at most one gets it, the others get
	// ErrNotFound, as do callers after ExpiresAt (at now).
	TakeAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
}

// RefreshTokens stores refresh-token chains.
type RefreshTokens interface {
	// CreateRefreshToken inserts the first token of a new family (or any
	// token, for backends' tests); ErrAlreadyExists on a duplicate ID.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// GetRefreshToken returns ErrNotFound for an unknown ID.
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// RotateRefreshToken spends the token with oldID and inserts next as its
	// child, atomically: of concurrent callers exactly one succeeds. If
	// next.ClientID is set, a token of another client is ErrNotFound (and
	// is not spent).
	// next.FamilyID, ParentID, AccountID, ClientID, AMR, Resource, AuthTime and
	// FamilyExpiresAt are copied from the old token by the backend; next.Scope
	// is kept if set (narrowing) and copied otherwise. It returns the old token
	// and, on failure:
	//   ErrNotFound      unknown token
	//   ErrTokenRevoked  the token or its family is revoked
	//   ErrTokenExpired  past ExpiresAt or FamilyExpiresAt (at now)
	//   ErrTokenReused   already rotated: the whole family is now revoked
	//   ErrTokenInGrace  already rotated, inside its grace window: *next is
	//                    the existing successor (see below)
	// Grace (RFC 9700 §4.14.2 allows it for concurrent requests): when
	// grace > 0 and next.Sealed is set, the backend keeps next.Sealed with
	// next until now+grace. Presenting the old token again
	// until then, while its successor is neither rotated nor revoked, writes
	// nothing and answers ErrTokenInGrace with *next overwritten by that
	// successor (Sealed included) — never a second branch. A successor that
	// has itself rotated (the client moved on) makes the presentation reuse;
	// after the window it is reuse as usual. The sealed value is ignored
	// after the window and erased by DeleteExpired.
	RotateRefreshToken(ctx context.Context, oldID string, next *RefreshToken, now time.Time, grace time.Duration) (RefreshToken, error)
	// RevokeRefreshFamily revokes every token of a family. Idempotent.
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
}

// SigningKeys stores our signing keys.
type SigningKeys interface {
	// CreateSigningKey: ErrAlreadyExists if the ID, or the Generation of
	// its Alg, is taken (another instance made that key first).
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns every key not yet expired at now, oldest
	// ActiveAt first.
	ListSigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)
	// RetireSigningKey sets RetireAt and ExpireAt of key id.
	RetireSigningKey(ctx context.Context, id string, retireAt, expireAt time.Time) error
}

// Audit stores audit events.
type Audit interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// ListAudit returns the newest events first, at most limit; accountID ""
	// lists events of all accounts.
	ListAudit(ctx context.Context, accountID string, limit int) ([]AuditEvent, error)
}

// DeviceCodes stores device authorizations.
type DeviceCodes interface {
	CreateDeviceCode(ctx context.Context, d *DeviceCode) error
	// GetDeviceCodeByUserCode returns a pending, unexpired device code;
	// ErrNotFound otherwise.
	GetDeviceCodeByUserCode(ctx context.Context, userCode string, now time.Time) (DeviceCode, error)
	// DecideDeviceCode approves (with the user's account) or denies a
	// pending, unexpired code, atomically; ErrNotFound if it is not pending.
	DecideDeviceCode(ctx context.Context, userCode string, approve bool, accountID, amr string, authTime, now time.Time) error
	// PollDeviceCode records a poll and returns the code as it was. Polling
	// again within interval returns ErrSlowDown. An approved code is spent by
	// the poll that returns it (its Status reads DeviceApproved once, then
	// DeviceUsed). ErrNotFound for unknown codes.
	PollDeviceCode(ctx context.Context, id string, now time.Time, interval time.Duration) (DeviceCode, error)
}

// APITokens stores personal API tokens.
type APITokens interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// GetAPITokenBySecretHash returns a token that is neither revoked nor
	// expired at now; ErrNotFound otherwise.
	GetAPITokenBySecretHash(ctx context.Context, secretHash string, now time.Time) (APIToken, error)
	// ListAPITokens lists an account's tokens (revoked ones too), newest first.
	ListAPITokens(ctx context.Context, accountID string) ([]APIToken, error)
	// RevokeAPIToken revokes a token of the account; ErrNotFound.
	RevokeAPIToken(ctx context.Context, accountID, id string, now time.Time) error
	// TouchAPIToken records a use.
	TouchAPIToken(ctx context.Context, id string, now time.Time) error
}

// LoginStates stores web-flow states.
type LoginStates interface {
	CreateLoginState(ctx context.Context, s *LoginState) error
	// TakeLoginSession spends the upstream session of a pending state (the
	// callback): single use; ErrNotFound if unknown, used or expired.
	TakeLoginSession(ctx context.Context, id string, now time.Time) (LoginState, error)
	// SetLoginResult stores the sealed result of a state, held back until
	// ConfirmLogin presents the nonce whose hash is confirmHash.
	SetLoginResult(ctx context.Context, id string, result []byte, confirmHash string) error
	// ConfirmLogin releases the result of a state when confirmHash matches,
	// once; ErrNotFound otherwise. It returns the state (without its
	// session or result): the web flow redirects to its Redirect, which
	// was checked when the state was created.
	ConfirmLogin(ctx context.Context, id, confirmHash string, now time.Time) (LoginState, error)
	// CancelLogin deletes a state whose result is still held back, when
	// confirmHash matches, and returns the sealed result so the caller can
	// revoke what it holds; afterwards the state is unknown to every other
	// method. ErrNotFound if unknown, confirmed or cancelled already, or
	// confirmHash does not match. Confirm and cancel exclude each other:
	// of the two, only the first succeeds.
	CancelLogin(ctx context.Context, id, confirmHash string) ([]byte, error)
	// TakeLoginResult hands out a confirmed result once: ErrNotFound for
	// unknown or expired states, ErrConflict while there is no confirmed
	// result yet (pending), and ErrTokenReused once it was taken.
	TakeLoginResult(ctx context.Context, id string, now time.Time) ([]byte, error)
}

// Store is everything Gatehouse persists. Implementations must be safe for
// concurrent use by several goroutines and several processes sharing one
// database.
type Store interface {
	Accounts
	Identities
	Sessions
	PendingLogins
	AuthRequests
	RefreshTokens
	SigningKeys
	Audit
	Clients
	ClientUse
	AuthCodes
	RevokedAccessTokens
	Consents
	DeviceCodes
	APITokens
	LoginStates
	Groups
	Invites
	APIs
	// InTx runs fn in one transaction: fn's Store writes through it, and
	// every write commits or none does. fn must not do network I/O.
	// Nested InTx calls join the outer transaction, without a savepoint: an
	// error from the inner fn that the outer fn swallows still leaves the
	// inner writes in place.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Hit counts one event for key in a fixed window of the given length
	// and returns the count in the current window (1 for the first event of
	// a window). The counter lives in the database, so every instance sees
	// the same count.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// DeleteExpired removes rows that can never be used again (expired
	// pending logins, authorization requests, codes, device codes, login
	// states, sessions; refresh tokens past their family's lifetime;
	// revoked-access-token records past their expiry; invites unredeemed
	// a month past expiry) and reports how many went. It also erases sealed
	// refresh successors past their grace window (not counted). It works in small batches, each its own statement, so it
	// may run while the server serves: other writers get through between
	// batches.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
	// CheckWritable reports whether a write transaction can begin, write
	// and commit (for /readyz: a database that answers reads but refuses
	// writes is not ready).
	CheckWritable(ctx context.Context) error
	Close() error
}

// Detail renders audit-event details as a JSON object from key/value pairs.
// Callers pass no secrets.
func Detail(kv ...string) string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}
