package store

import "time"

// Account is a local user. It exists once per person; upstream identities
// and a password are ways into it.
type Account struct {
	ID            string
	Username      string // unique, case-sensitive as stored; compared lowercased by callers
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	AvatarURL     string
	// PasswordHash is a PHC-style string (argon2id); empty means the account
	// has no password and cannot use the password-based APIs.
	PasswordHash string
	IsAdmin      bool
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Identity links one upstream account (provider instance + subject) to a
// local account. (Provider, Subject) is unique.
type Identity struct {
	ID            string
	AccountID     string
	Provider      string // provider instance name from config, e.g. "github-enterprise"
	Subject       string // the upstream's stable user id
	Username      string
	Email         string
	EmailVerified bool
	// Profile is the raw upstream profile JSON, kept for operators and for
	// claims mapping later.
	Profile     []byte
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// Session is a browser sign-in. ID is the SHA-256 hash (hex) of the cookie
// value; the cookie value itself is never stored.
type Session struct {
	ID        string
	AccountID string
	// AMR names how the user signed in: a provider instance name or "pwd".
	AMR        string
	AuthTime   time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	UserAgent  string
	IP         string
}

// PendingLogin is an upstream sign-in between the redirect to the provider
// and its callback. ID is the SHA-256 hash (hex) of the state value; the
// state itself lives only in the browser's cookie and the upstream URL.
type PendingLogin struct {
	ID       string
	Provider string
	// Session is the provider's marshalled session (auth URL, PKCE verifier).
	// It is a secret: never log it.
	Session string
	// ReturnTo is a same-origin path to send the user to afterwards.
	ReturnTo string
	// LinkAccountID is set when a signed-in user links another provider.
	LinkAccountID string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// AuthRequest is an authorization request (/oauth2/authorize) waiting for
// the user to sign in or to decide on consent. ID is the SHA-256 hash (hex)
// of the random request ID, which travels in the sign-in return path and
// the consent form; BrowserHash is the hash of the binding cookie of the
// browser that made the request: only that browser can continue it.
type AuthRequest struct {
	ID          string
	BrowserHash string
	ClientID    string
	// Params is the request as received (URL-encoded); it is validated
	// again, against the client as it is then, every time it is used.
	Params string
	// LoginAfter, when set, demands a session signed in at or after it
	// (prompt=login, max_age): the forced sign-in travels here, never in
	// a request parameter.
	LoginAfter *time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// RefreshToken is one link of a rotation chain. ID is the SHA-256 hash (hex)
// of the opaque token; the token itself is never stored.
type RefreshToken struct {
	ID        string
	FamilyID  string // the ID of the first token of the chain
	ParentID  string // empty for the first token
	AccountID string
	ClientID  string // OAuth2 client, or "" for the first-party JWT API
	Scope     string
	AMR       string
	AuthTime  time.Time // when the user signed in; never moves on rotation
	CreatedAt time.Time
	// ExpiresAt is the idle deadline of this token.
	ExpiresAt time.Time
	// FamilyExpiresAt is the absolute deadline of the whole chain; a rotated
	// token inherits it and its ExpiresAt never goes past it.
	FamilyExpiresAt time.Time
	RotatedAt       *time.Time
	RevokedAt       *time.Time
	// Resource is the API (RFC 8707 resource indicator) the family was
	// granted for; "" for the client itself. Rotation keeps it.
	Resource string
	// SID is the public id of the browser session the family was granted
	// in (the code's SID), for the sid of a refresh's id_token; "" when
	// there was none. Rotation keeps it.
	SID string
	// Sealed is this token's opaque value sealed by the caller with the
	// master key. It is never read back by GetRefreshToken: it only travels
	// through RotateRefreshToken, which keeps it on the parent's row for the
	// grace window and hands it back to a client that presents the parent
	// again inside that window (see ErrTokenInGrace).
	Sealed []byte
}

// UTC returns t with every time in UTC.
func (t RefreshToken) UTC() RefreshToken {
	t.AuthTime, t.CreatedAt, t.ExpiresAt, t.FamilyExpiresAt = t.AuthTime.UTC(), t.CreatedAt.UTC(), t.ExpiresAt.UTC(), t.FamilyExpiresAt.UTC()
	if t.RotatedAt != nil {
		r := t.RotatedAt.UTC()
		t.RotatedAt = &r
	}
	if t.RevokedAt != nil {
		r := t.RevokedAt.UTC()
		t.RevokedAt = &r
	}
	return t
}

// SigningKey is one of our token-signing keys. ID is the JWK kid.
type SigningKey struct {
	ID  string
	Alg string // "ES256", "RS256", ...
	// Generation counts the keys of Alg: 1 for the first, one more for each
	// rotation. (Alg, Generation) is unique.
	Generation int
	// PrivateCiphertext is the PKCS#8 DER private key sealed with the master key.
	PrivateCiphertext []byte
	// PublicJWK is the public key as a JWK (JSON), served by the JWKS endpoint.
	PublicJWK []byte
	CreatedAt time.Time
	// ActiveAt: from this time the key signs new tokens.
	ActiveAt time.Time
	// RetireAt: from this time the key no longer signs; ExpireAt: from this
	// time it is no longer published (every token it signed has expired).
	RetireAt *time.Time
	ExpireAt *time.Time
}

// AuditEvent records a security-relevant action. Detail is JSON and must never
// hold a secret or a token.
type AuditEvent struct {
	ID        string
	Time      time.Time
	Type      string // e.g. "login", "login_failed", "identity_linked"
	AccountID string
	Provider  string
	IP        string
	Detail    string
}

// Client is an OAuth2 client application registered with us. ID is the
// client_id. The secret is stored only as its SHA-256 (hex).
type Client struct {
	ID           string
	SecretHash   string // "" for public clients
	Name         string
	LogoURL      string
	RedirectURIs []string
	Scopes       []string // scopes the client may request
	GrantTypes   []string // e.g. authorization_code, refresh_token, client_credentials
	Public       bool
	// AccessTTL and RefreshIdleTTL override the server defaults when > 0.
	AccessTTL      time.Duration
	RefreshIdleTTL time.Duration
	// IDTokenAlg is the id_token signing algorithm ("RS256" by default).
	IDTokenAlg string
	// RefreshGrace is how long a just-rotated refresh token may be presented
	// again and get the same successor back (0 = the server's default,
	// tokens.refresh_grace).
	RefreshGrace time.Duration
	OwnerID      string // account that manages the client; "" for CLI-made
	// Vetted: an operator made the client (the CLI, or an administrator on
	// /apps). Authorization errors of an unvetted client are a page with a
	// link, not a redirect, so it cannot use Gatehouse as an open redirector.
	Vetted bool
	// AllowedGroups: when not empty, only members of one of these groups
	// (any source) may use the app; checked at authorization, at the
	// password grant, at device approval and at every refresh. Empty:
	// everyone may.
	AllowedGroups []string
	// PostLogoutRedirectURIs are where RP-Initiated Logout may send the
	// user afterwards (exact match).
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI, when set, receives a logout token whenever a
	// session that signed into the app ends (Back-Channel Logout 1.0).
	BackchannelLogoutURI string
	// BackchannelLogoutSessionRequired: the app needs sid in logout tokens
	// (we always send it; the flag is kept for its registration metadata).
	BackchannelLogoutSessionRequired bool
	// ExchangeProviders names the provider instances whose upstream
	// access tokens the app may exchange for its own access token (RFC
	// 8693 token exchange; the grant must be in GrantTypes too). Empty:
	// none. Set only by operators.
	ExchangeProviders []string
	// Kind says how the client came to be: "" (an operator or a user on
	// /apps), ClientDynamic (RFC 7591 registration: deleted when idle) or
	// ClientMetadataDocument (an https client_id resolved from its Client
	// ID Metadata Document; the row exists for the codes, consents and
	// tokens that reference it).
	Kind string
	// LastUsedAt is the last token issuance (recorded at most once a day;
	// zero: never).
	LastUsedAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Client kinds (Client.Kind).
const (
	ClientDynamic          = "dynamic"
	ClientMetadataDocument = "metadata_document"
)

// AuthCode is an authorization code. ID is the SHA-256 (hex) of the code.
type AuthCode struct {
	ID                  string
	ClientID            string
	AccountID           string
	RedirectURI         string
	Scope               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	AMR                 string
	// SID is the public id of the browser session the code was issued in
	// (the id_token's sid); "" when there is none.
	SID       string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	// FamilyID names the refresh-token family issued for this code, and
	// AccessJTI the access token's jti, so a replayed code can revoke what
	// it issued.
	FamilyID  string
	AccessJTI string
	// Resource is the API the authorization request named (RFC 8707);
	// "" for none.
	Resource string
}

// Consent records that an account granted a client a set of scopes.
type Consent struct {
	AccountID string
	ClientID  string
	Scope     string // space-separated, sorted
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Device-code states.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceUsed     = "used"
)

// DeviceCode is an RFC 8628 device authorization. ID is the SHA-256 (hex)
// of the device code; UserCode is what the user types, normalised (upper
// case, no dash) and unique.
type DeviceCode struct {
	ID           string
	UserCode     string
	ClientID     string
	Scope        string
	Status       string
	AccountID    string
	AMR          string
	AuthTime     time.Time
	CreatedAt    time.Time
	ExpiresAt    time.Time
	LastPolledAt *time.Time
	// Resource is the API the device asked tokens for (RFC 8707); "" for none.
	Resource string
}

// APIToken is a personal API token (login API). ID is public (shown in
// lists); the secret is stored only as its SHA-256 (SecretHash).
type APIToken struct {
	ID         string
	AccountID  string
	Name       string
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// LoginState is a login-API web flow in progress. ID is the SHA-256 (hex)
// of the state the CLI polls with.
type LoginState struct {
	ID       string
	Provider string
	// Session is the provider session (PKCE verifier): secret.
	Session  string
	Redirect string
	// Result is the sealed answer for the poller, set when the upstream
	// sign-in completed; handed out once.
	Result    []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}
