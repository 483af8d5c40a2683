package signin

import (
	"context"
	"errors"
	"slices"
	"strings"

	"gatehouse/providers"
	"gatehouse/store"
)

// Signup is the policy for sign-ins that would create an account (config
// signup).
type Signup string

// Sign-up policies. The zero Signup is SignupOpen.
const (
	SignupOpen   Signup = "open"   // anyone the provider admits gets an account
	SignupInvite Signup = "invite" // a new account needs a valid invite
	SignupClosed Signup = "closed" // only operators make accounts
)

// ErrSignupClosed: the sign-in would create an account and sign-up is
// closed. Nothing was created.
var ErrSignupClosed = errors.New("signin: this Gatehouse does not accept new accounts")

// ErrInviteRequired: the sign-in would create an account, sign-up needs an
// invite, and the request carried none that is valid (unknown, expired or
// redeemed: the caller is not told which). Nothing was created.
var ErrInviteRequired = errors.New("signin: a valid invite is needed to create an account")

// Audit event types of refused sign-ins and of a redeemed invite. Details
// carry the provider's reason, never a token.
const (
	EventSigninRefused  = "signin_refused"  // the provider's admission rules refused the identity
	EventSignupRefused  = "signup_refused"  // the sign-up policy refused a new account
	EventInviteRedeemed = "invite.redeemed" // an invite was spent by an account
)

// mayCreate says whether r may create an account under the policy. With
// SignupInvite the caller must redeem r's invite in the same transaction.
func (s *Service) mayCreate(r Request) error {
	switch s.Signup {
	case SignupClosed:
		return ErrSignupClosed
	case SignupInvite:
		if r.InviteHash == "" {
			return ErrInviteRequired
		}
	}
	return nil
}

// redeemOnCreate spends r's invite for the account just made. Under
// SignupInvite a spent or unknown invite refuses the sign-up (the caller's
// transaction then rolls the account back); under SignupOpen an invite is
// a bonus, and an unusable one is ignored.
func (s *Service) redeemOnCreate(ctx context.Context, tx store.Store, r Request, acct *store.Account) error {
	if r.InviteHash == "" {
		return nil
	}
	err := s.redeem(ctx, tx, r, acct)
	if spent(err) {
		if s.Signup == SignupInvite {
			return ErrInviteRequired
		}
		return nil
	}
	return err
}

// redeemExisting spends r's invite, if any, for an account that already
// existed: the invite's groups and admin flag go to that account (the
// administrator invited whoever holds the link, and they turned out to
// have an account). An unusable invite is ignored: the sign-in does not
// need it.
func (s *Service) redeemExisting(ctx context.Context, tx store.Store, r Request, acct *store.Account) error {
	if r.InviteHash == "" {
		return nil
	}
	if err := s.redeem(ctx, tx, r, acct); !spent(err) {
		return err
	}
	return nil
}

func spent(err error) bool {
	return errors.Is(err, store.ErrInviteSpent) || errors.Is(err, store.ErrNotFound)
}

// redeem spends the invite (single use: of concurrent redeemers the store
// lets exactly one win) and grants its local groups and admin flag to
// acct, with an audit event, all in tx.
func (s *Service) redeem(ctx context.Context, tx store.Store, r Request, acct *store.Account) error {
	now := s.Now()
	inv, err := tx.RedeemInvite(ctx, r.InviteHash, acct.ID, now)
	if err != nil {
		return err
	}
	have, err := tx.ListAccountGroups(ctx, acct.ID)
	if err != nil {
		return err
	}
	for _, g := range inv.Groups {
		if slices.ContainsFunc(have, func(m store.AccountGroup) bool { return m.Group == g && m.Source == store.SourceLocal }) {
			continue // checked first: a duplicate insert would abort a PostgreSQL transaction
		}
		// A group deleted since the invite was made is skipped.
		if err := tx.AddAccountToGroup(ctx, acct.ID, g, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if inv.Admin && !acct.IsAdmin {
		yes := true
		if err := tx.SetAccountFlags(ctx, acct.ID, store.AccountFlags{IsAdmin: &yes}, now); err != nil {
			return err
		}
		acct.IsAdmin = true
	}
	return tx.AppendAudit(ctx, &store.AuditEvent{ID: store.NewID(), Time: now, Type: EventInviteRedeemed,
		AccountID: acct.ID, Provider: r.Provider, IP: r.IP, Detail: store.Detail("invite_id", inv.ID)})
}

// refused records a refused sign-in (outside any transaction: nothing
// else was written). The account is named when the identity has one.
func (s *Service) refused(ctx context.Context, r Request, typ string, why error) {
	accountID := ""
	if id, err := s.Store.GetIdentity(ctx, r.Provider, r.Identity.Subject); err == nil {
		accountID = id.AccountID
	}
	// Best effort: the refusal stands whether or not its record is stored.
	_ = s.Store.AppendAudit(ctx, &store.AuditEvent{ID: store.NewID(), Time: s.Now(), Type: typ, AccountID: accountID,
		Provider: r.Provider, IP: r.IP, Detail: store.Detail("subject", r.Identity.Subject, "reason", why.Error())})
}

// Refusal is what to tell a person whose sign-in was refused by the
// sign-up policy or the provider's admission rules; ok is false for any
// other error.
func Refusal(err error) (title, msg string, ok bool) {
	switch {
	case errors.Is(err, ErrInviteRequired):
		return "Invite needed", "This Gatehouse is invite-only; ask an administrator for an invite link.", true
	case errors.Is(err, ErrSignupClosed):
		return "Sign-up closed", "This Gatehouse does not accept new accounts; ask an administrator to create one for you.", true
	case errors.Is(err, providers.ErrNotAdmitted):
		return "Sign-in refused", "This provider's rules do not let this account in: " +
			strings.TrimPrefix(err.Error(), providers.ErrNotAdmitted.Error()+": ") + ".", true
	}
	return "", "", false
}
