package signin

import (
	"context"
	"errors"
	"strings"

	"gatehouse/store"
)

// Decision is what Resolve would do with a request, found by reading only
// (the CLI's `providers test`, which must create nothing).
type Decision struct {
	Outcome   Outcome // Existing, Linked or Created
	AccountID string  // the account signed in or linked to; "" when Created
	Username  string  // that account's username, or the one a new account would get
	Why       string  // in plain words
	// Refused is why a new account would be refused (ErrSignupClosed,
	// ErrInviteRequired: the sign-up policy, for a request without an
	// invite); nil when Resolve would go ahead.
	Refused error
}

// Explain tells what Resolve would decide for r (without LinkTo), through
// the same decision functions and without writing anything: the known
// identity's account, the account its verified e-mail address links to
// (emailOwner), or a new account and its username. The provider's
// admission rules (providers.Admission.Admit) are the caller's to check.
// Another sign-in between Explain and a real one may change the answer.
func (s *Service) Explain(ctx context.Context, r Request) (Decision, error) {
	id, err := s.Store.GetIdentity(ctx, r.Provider, r.Identity.Subject)
	if err == nil {
		acct, err := s.Store.GetAccount(ctx, id.AccountID)
		why := "this upstream account is already linked to it"
		if acct.Disabled {
			why += ", which is disabled: the sign-in would be refused"
		}
		return Decision{Outcome: Existing, AccountID: acct.ID, Username: acct.Username, Why: why}, err
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Decision{}, err
	}
	owner, ok, err := s.emailOwner(ctx, s.Store, r)
	if err != nil {
		return Decision{}, err
	}
	if ok {
		acct, err := s.Store.GetAccount(ctx, owner)
		return Decision{Outcome: Linked, AccountID: acct.ID, Username: acct.Username,
			Why: "its verified e-mail address belongs to this account (trust_email is on, and the account's address was verified by a provider trusted for e-mail or by an operator)"}, err
	}
	why, err := s.whyNoEmailLink(ctx, r)
	if err != nil {
		return Decision{}, err
	}
	name, err := freeUsername(ctx, s.Store, r.Provider, r.Identity)
	return Decision{Outcome: Created, Username: name, Why: why, Refused: s.mayCreate(r)}, err
}

// whyNoEmailLink says which part of emailOwner's rule the request missed.
// emailOwner decides; this only puts its answer into words.
func (s *Service) whyNoEmailLink(ctx context.Context, r Request) (string, error) {
	email := strings.TrimSpace(r.Identity.Email)
	switch {
	case email == "":
		return "no e-mail address from the upstream, so it links to no account", nil
	case !s.TrustEmail[r.Provider]:
		return "the provider is not trusted for e-mail (trust_email), so its address links to no account", nil
	case !r.Identity.EmailVerified:
		return "the upstream does not say the address is verified, so it links to no account", nil
	}
	accts, err := s.Store.ListAccountsByEmail(ctx, email)
	switch {
	case err != nil:
		return "", err
	case len(accts) == 0:
		return "no account has this e-mail address", nil
	case len(accts) > 1:
		return "several accounts have this e-mail address, so it links to none", nil
	}
	return "the account with this e-mail address (" + accts[0].Username + ") has no address verified by a provider trusted for e-mail or an operator", nil
}
