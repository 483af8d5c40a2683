// Package signin maps an upstream identity to a local account: the first
// sign-in creates the account, later ones reuse it, a signed-in user links
// more providers, and a verified e-mail address may link to the one account
// that owns it (see emailOwner for the rule).
package signin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gatehouse/providers"
	"gatehouse/server/password"
	"gatehouse/server/ratelimit"
	"gatehouse/store"
)

// Outcome says what Resolve did.
type Outcome string

// Outcomes of Resolve, also used as audit event types.
const (
	Existing Outcome = "login"           // identity known: its account
	Created  Outcome = "account_created" // new account with this identity
	Linked   Outcome = "identity_linked" // identity added to an account
)

// ErrLinkedElsewhere: the upstream identity already belongs to another
// account, so it cannot be linked to this one.
var ErrLinkedElsewhere = errors.New("signin: this upstream account is linked to another account")

// ErrDisabled: the account is disabled.
var ErrDisabled = errors.New("signin: account disabled")

// Request is one completed upstream sign-in to resolve.
type Request struct {
	Provider string // instance name
	Identity providers.Identity
	// LinkTo is the signed-in account that asked to link this provider, or "".
	LinkTo string
	IP     string
	// InviteHash is the hash (tokens.HashToken) of the invite the browser
	// carries, or "". A sign-in that creates an account redeems it (the
	// only way in under SignupInvite); one of an existing account too.
	InviteHash string
}

// ErrRateLimited: too many password attempts for this user or address in
// the current window; refuse without checking the password.
var ErrRateLimited = errors.New("signin: too many attempts")

// Service resolves identities and checks passwords. It holds no state
// besides its store (rate counters live there too, shared by instances).
type Service struct {
	Store store.Store
	Now   func() time.Time
	// TrustEmail names the provider instances whose own email_verified
	// the operator believes (config trust_email); nothing else links by
	// e-mail.
	TrustEmail map[string]bool
	// Signup decides whether a sign-in may create an account.
	Signup Signup
	// Admission holds each provider instance's admission rules, checked at
	// every sign-in through it; an instance not named has none.
	Admission map[string]providers.Admission
	// PasswordAttempts per PasswordWindow are allowed per username from
	// one IP address; an address gets five times as many over all
	// usernames, and a username PasswordUserAttempts (default ten times
	// PasswordAttempts) over all addresses. 0 disables the limits.
	PasswordAttempts     int
	PasswordUserAttempts int
	PasswordWindow       time.Duration
}

// Resolve finds or creates the local account for r, in one transaction
// with its upstream groups, its invite's grants and an audit event.
//
// First the provider's admission rules decide, at every sign-in: a refusal
// (an error wrapping providers.ErrNotAdmitted) changes nothing, not even
// the account's sessions or tokens. A sign-in that would create an account
// the sign-up policy forbids returns ErrSignupClosed or ErrInviteRequired
// and creates nothing. Both refusals write an audit event.
func (s *Service) Resolve(ctx context.Context, r Request) (store.Account, Outcome, error) {
	if err := s.Admission[r.Provider].Admit(r.Identity); err != nil {
		s.refused(ctx, r, EventSigninRefused, err)
		return store.Account{}, "", err
	}
	var acct store.Account
	var out Outcome
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		var err error
		acct, out, err = s.resolve(ctx, tx, r)
		if err != nil {
			return err
		}
		if acct.Disabled {
			return ErrDisabled
		}
		if err := tx.SetUpstreamGroups(ctx, acct.ID, r.Provider, r.Identity.Groups, s.Now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{
			ID: store.NewID(), Time: s.Now(), Type: string(out), AccountID: acct.ID,
			Provider: r.Provider, IP: r.IP, Detail: store.Detail("subject", r.Identity.Subject),
		})
	})
	if errors.Is(err, ErrSignupClosed) || errors.Is(err, ErrInviteRequired) {
		s.refused(ctx, r, EventSignupRefused, err)
	}
	return acct, out, err
}

func (s *Service) resolve(ctx context.Context, tx store.Store, r Request) (store.Account, Outcome, error) {
	id, err := tx.GetIdentity(ctx, r.Provider, r.Identity.Subject)
	switch {
	case err == nil:
		return s.existing(ctx, tx, r, id)
	case !errors.Is(err, store.ErrNotFound):
		return store.Account{}, "", err
	case r.LinkTo != "":
		return s.link(ctx, tx, r, r.LinkTo)
	}
	if owner, ok, err := s.emailOwner(ctx, tx, r); err != nil {
		return store.Account{}, "", err
	} else if ok {
		acct, out, err := s.link(ctx, tx, r, owner)
		if err != nil {
			return acct, out, err
		}
		return acct, out, s.redeemExisting(ctx, tx, r, &acct)
	}
	return s.create(ctx, tx, r)
}

// existing refreshes the stored profile of a known identity.
func (s *Service) existing(ctx context.Context, tx store.Store, r Request, id store.Identity) (store.Account, Outcome, error) {
	if r.LinkTo != "" && r.LinkTo != id.AccountID {
		return store.Account{}, "", ErrLinkedElsewhere
	}
	fillIdentity(&id, r.Identity, s.Now())
	if err := tx.UpdateIdentity(ctx, &id); err != nil {
		return store.Account{}, "", err
	}
	acct, err := tx.GetAccount(ctx, id.AccountID)
	if err != nil || acct.Disabled {
		return acct, Existing, err
	}
	return acct, Existing, s.redeemExisting(ctx, tx, r, &acct)
}

// emailOwner finds the account a new identity links to by e-mail. Both
// sides must be verified by someone we believe:
//   - this provider is trusted for e-mail (trust_email: we believe its own
//     email_verified, nothing more) and says the address is verified;
//   - exactly one account has the address (two owners: we cannot tell);
//   - that account's address is verified, and by a provider trusted for
//     e-mail (one of its identities) or by an operator (an account with
//     no identities), so an untrusted provider cannot pre-claim an address
//     for someone else's first trusted sign-in.
func (s *Service) emailOwner(ctx context.Context, tx store.Store, r Request) (string, bool, error) {
	email := strings.TrimSpace(r.Identity.Email)
	if !s.TrustEmail[r.Provider] || !r.Identity.EmailVerified || email == "" {
		return "", false, nil
	}
	accts, err := tx.ListAccountsByEmail(ctx, email)
	if err != nil || len(accts) != 1 || !accts[0].EmailVerified {
		return "", false, err
	}
	ok, err := s.verifiedByTrusted(ctx, tx, accts[0].ID, email)
	return accts[0].ID, ok, err
}

// verifiedByTrusted reports whether a provider trusted for e-mail verified
// email for the account, or the account has no upstream identity at all.
func (s *Service) verifiedByTrusted(ctx context.Context, tx store.Store, accountID, email string) (bool, error) {
	ids, err := tx.ListIdentities(ctx, accountID)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if s.TrustEmail[id.Provider] && id.EmailVerified && strings.EqualFold(strings.TrimSpace(id.Email), email) {
			return true, nil
		}
	}
	return len(ids) == 0, nil
}

func (s *Service) link(ctx context.Context, tx store.Store, r Request, accountID string) (store.Account, Outcome, error) {
	acct, err := tx.GetAccount(ctx, accountID)
	if err != nil {
		return store.Account{}, "", err
	}
	id := &store.Identity{ID: store.NewID(), AccountID: acct.ID, Provider: r.Provider, Subject: r.Identity.Subject, CreatedAt: s.Now()}
	fillIdentity(id, r.Identity, s.Now())
	if err := tx.CreateIdentity(ctx, id); err != nil {
		return store.Account{}, "", fmt.Errorf("link identity: %w", err)
	}
	return acct, Linked, nil
}

func (s *Service) create(ctx context.Context, tx store.Store, r Request) (store.Account, Outcome, error) {
	if err := s.mayCreate(r); err != nil {
		return store.Account{}, "", err
	}
	up := r.Identity
	now := s.Now()
	acct := store.Account{
		ID: store.NewID(), Email: up.Email, EmailVerified: up.EmailVerified, // exactly what the upstream said
		Name: up.Name, GivenName: up.FirstName, FamilyName: up.LastName, AvatarURL: up.AvatarURL,
		CreatedAt: now, UpdatedAt: now,
	}
	username, err := freeUsername(ctx, tx, r.Provider, up)
	if err != nil {
		return store.Account{}, "", err
	}
	acct.Username = username
	if err := tx.CreateAccount(ctx, &acct); err != nil {
		return store.Account{}, "", fmt.Errorf("create account: %w", err)
	}
	if _, _, err := s.link(ctx, tx, r, acct.ID); err != nil {
		return store.Account{}, "", err
	}
	return acct, Created, s.redeemOnCreate(ctx, tx, r, &acct)
}

var unsafeUsername = regexp.MustCompile(`[^a-z0-9._-]+`)

// freeUsername picks a local username from the upstream one: lowercased and
// reduced to a safe alphabet, then suffixed with the provider and a counter
// until it is free.
func freeUsername(ctx context.Context, tx store.Store, provider string, up providers.Identity) (string, error) {
	base := strings.Trim(unsafeUsername.ReplaceAllString(strings.ToLower(up.Username), "-"), "-.")
	if base == "" {
		base = "user"
	}
	if len(base) > 40 {
		base = base[:40]
	}
	candidates := []string{base, base + "-" + provider}
	for i := 2; i < 12; i++ {
		candidates = append(candidates, fmt.Sprintf("%s-%s-%d", base, provider, i))
	}
	candidates = append(candidates, base+"-"+store.NewID()[:8])
	for _, name := range candidates {
		_, err := tx.GetAccountByUsername(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("no free username for %q: %w", base, store.ErrConflict)
}

func fillIdentity(id *store.Identity, up providers.Identity, now time.Time) {
	id.Username, id.Email, id.EmailVerified = up.Username, up.Email, up.EmailVerified
	id.Profile = up.Raw
	id.LastLoginAt = now
}

// CheckPassword verifies a local password. Unknown users, accounts without
// a password and disabled accounts cost the same work as a wrong password
// and give the same answer, so neither timing nor the result enumerates
// users.
//
// Attempts are counted per username and per IP address before any work;
// over the limit it returns ErrRateLimited.
func (s *Service) CheckPassword(ctx context.Context, username, pw, ip string) (store.Account, bool, error) {
	if err := s.limit(ctx, username, ip); err != nil {
		return store.Account{}, false, err
	}
	if len(username) > 200 {
		password.VerifyDummy(pw)
		return store.Account{}, false, nil
	}
	acct, err := s.Store.GetAccountByUsername(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Account{}, false, err
	}
	if err != nil || acct.PasswordHash == "" || acct.Disabled {
		password.VerifyDummy(pw)
		return acct, false, nil
	}
	ok, err := password.Verify(pw, acct.PasswordHash)
	if errors.Is(err, password.ErrMalformed) {
		return acct, false, fmt.Errorf("account %s: stored password hash: %w", acct.ID, err)
	}
	if ok && err == nil && password.NeedsRehash(acct.PasswordHash) {
		s.rehash(ctx, &acct, pw)
	}
	return acct, ok && err == nil, err
}

// rehash stores a hash of pw under today's parameters, once, at the first
// sign-in after they changed. It is best effort: a failure (or a password
// changed meanwhile, which the compare-and-set write leaves alone) keeps
// the old hash, which still verifies.
func (s *Service) rehash(ctx context.Context, acct *store.Account, pw string) {
	h, err := password.Hash(pw)
	if err != nil {
		return
	}
	if s.Store.ReplacePasswordHash(ctx, acct.ID, acct.PasswordHash, h, s.Now()) == nil {
		acct.PasswordHash = h
	}
}

// RetryAfter is when a refused password attempt may try again: at most one
// window (the counters do not say how much of theirs is left).
func (s *Service) RetryAfter() time.Duration { return s.PasswordWindow }

// limit counts a password attempt against three limits, in this order, and
// stops counting at the first one it is over:
//  1. the address (five times PasswordAttempts over all usernames): first,
//     so an address spraying usernames writes no per-username row once
//     it is over;
//  2. the username from this address (PasswordAttempts): the tight limit,
//     which only this address can spend, so guessing from one address
//     never locks the owner out elsewhere;
//  3. the username from everywhere (PasswordUserAttempts, ten times
//     looser): a slower back-off against guessing from many addresses,
//     which one address cannot reach alone (it stops at 2 first).
func (s *Service) limit(ctx context.Context, username, ip string) error {
	if s.PasswordAttempts <= 0 {
		return nil
	}
	u := strings.ToLower(username)
	if len(u) > 200 {
		u = u[:200]
	}
	ip = ratelimit.Key(ip) // an IPv6 client is its /64
	perUser := s.PasswordUserAttempts
	if perUser <= 0 {
		perUser = 10 * s.PasswordAttempts
	}
	for _, l := range []struct {
		key string
		max int
	}{{"pwd:ip:" + ip, 5 * s.PasswordAttempts}, {"pwd:user-ip:" + ip + " " + u, s.PasswordAttempts}, {"pwd:user:" + u, perUser}} {
		n, err := s.Store.Hit(ctx, l.key, s.PasswordWindow, s.Now())
		if err != nil {
			return err
		}
		if n > l.max {
			return ErrRateLimited
		}
	}
	return nil
}
