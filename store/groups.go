package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// ErrInviteSpent: the invite was redeemed already (by this caller or a
// concurrent one) or has expired. Invites are single use.
var ErrInviteSpent = errors.New("store: invite redeemed or expired")

// Group sources: an administrator's assignment, or a provider's upstream
// groups ("provider:" + the provider instance name).
const (
	SourceLocal    = "local"
	sourceProvider = "provider:"
)

// ProviderSource is the membership source of provider's upstream groups.
func ProviderSource(provider string) string { return sourceProvider + provider }

// GroupNames returns the group names of memberships, each once (a group
// may come from several sources), sorted: the groups claim of tokens.
func GroupNames(ms []AccountGroup) []string {
	names := make([]string, 0, len(ms))
	for _, m := range ms {
		names = append(names, m.Group)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Group is a local group that administrators assign accounts to. Name is
// unique and is what tokens and rules will name.
type Group struct {
	ID          string
	Name        string
	Description string
	CreatedAt   time.Time
}

// AccountGroup is one membership of an account: the group's name and
// where it comes from (SourceLocal or ProviderSource(name)). Upstream
// groups need not exist as Groups: providers name their own.
type AccountGroup struct {
	AccountID string
	Group     string
	Source    string
	CreatedAt time.Time
}

// Invite lets one new person sign up. ID is public (shown in lists); the
// random token travels only in the invite link and is stored as its
// SHA-256 (TokenHash).
type Invite struct {
	ID        string
	TokenHash string
	// Admin: the account made by redeeming the invite is an administrator.
	Admin  bool
	Groups []string // local groups granted on redemption
	// CreatedBy is the account ID of the administrator who made the invite;
	// "" for the CLI.
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RedeemedAt *time.Time
	RedeemedBy string // account ID; "" while unredeemed
}

// Groups stores local groups and the groups of accounts.
type Groups interface {
	// CreateGroup inserts g; ErrAlreadyExists if the ID or name is taken.
	CreateGroup(ctx context.Context, g *Group) error
	// GetGroup returns the group called name; ErrNotFound.
	GetGroup(ctx context.Context, name string) (Group, error)
	// ListGroups returns every group by name (byte order, as every list
	// here).
	ListGroups(ctx context.Context) ([]Group, error)
	// DeleteGroup deletes the group called name and its local memberships
	// in one transaction (upstream groups of the same name stay: the
	// provider grants them); ErrNotFound.
	DeleteGroup(ctx context.Context, name string) error
	// AddAccountToGroup makes the account a local member of the group:
	// ErrNotFound if either does not exist, ErrAlreadyExists if it is one.
	AddAccountToGroup(ctx context.Context, accountID, group string, now time.Time) error
	// RemoveAccountFromGroup ends a local membership; ErrNotFound if the
	// account is no local member of the group.
	RemoveAccountFromGroup(ctx context.Context, accountID, group string) error
	// ListAccountGroups returns an account's memberships of every source,
	// by group name, then source.
	ListAccountGroups(ctx context.Context, accountID string) ([]AccountGroup, error)
	// ListGroupMembers returns the local members of a group, by username.
	ListGroupMembers(ctx context.Context, group string) ([]Account, error)
	// SetUpstreamGroups replaces the account's groups from provider with
	// groups (duplicates ignored), in one transaction; local groups and
	// other providers' groups stay. ErrNotFound for an unknown account
	// (when groups is not empty).
	SetUpstreamGroups(ctx context.Context, accountID, provider string, groups []string, now time.Time) error
}

// Invites stores sign-up invites.
type Invites interface {
	// CreateInvite inserts inv; ErrAlreadyExists on a taken ID or token.
	CreateInvite(ctx context.Context, inv *Invite) error
	// ListInvites returns every invite, newest first.
	ListInvites(ctx context.Context) ([]Invite, error)
	// GetInviteByTokenHash returns the invite whose token hashes to
	// tokenHash, whatever its state; ErrNotFound.
	GetInviteByTokenHash(ctx context.Context, tokenHash string) (Invite, error)
	// RedeemInvite marks the invite whose token hashes to tokenHash
	// redeemed by accountID and returns it. Single use, decided by one
	// conditional UPDATE: of concurrent callers exactly one wins; the
	// others, and every caller after ExpiresAt (at now), get
	// ErrInviteSpent. ErrNotFound for an unknown (or deleted) invite.
	RedeemInvite(ctx context.Context, tokenHash, accountID string, now time.Time) (Invite, error)
	// DeleteInvite revokes an unredeemed invite by deleting it;
	// ErrNotFound if there is none (a redeemed invite stays, as the record
	// of who came in on whose invite).
	DeleteInvite(ctx context.Context, id string) error
}

// groupName is what operators may call a local group: short, no spaces,
// and the characters upstream names use ("org/team", "team:role").
var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,63}$`)

// CheckGroupName says why name cannot name a local group, or nil.
func CheckGroupName(name string) error {
	if !groupName.MatchString(name) {
		return fmt.Errorf("group name %q is not valid: 1 to 64 letters, digits and . _ : / @ -, starting with a letter or digit", name)
	}
	return nil
}
