package teams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Lifetimes an invite may have: long enough to reach someone by mail over
// a weekend, short enough that a forgotten link does not stay a way in.
const (
	DefaultTTL = 72 * time.Hour
	MinTTL     = 5 * time.Minute
	MaxTTL     = 30 * 24 * time.Hour
	// MaxGroups bounds the groups one invite grants.
	MaxGroups = 20
)

// ErrInvalid marks a request the maker must correct (its message says how).
var ErrInvalid = errors.New("invalid invite")

// Request is what an invite's maker chooses.
type Request struct {
	TTL       time.Duration
	Admin     bool
	Groups    []string // local groups; each must exist
	CreatedBy string   // the maker's account ID; "" for the CLI
}

// New checks r and makes the invite it asks for, with its link
// {issuer}/invite/{token}: the only place the token ever appears. The
// caller stores the invite (with its audit event, see CreatedEvent).
func New(ctx context.Context, st store.Store, issuer string, r Request, now time.Time) (store.Invite, string, error) {
	groups, err := check(ctx, st, r)
	if err != nil {
		return store.Invite{}, "", err
	}
	token := tokens.RandomToken()
	inv := store.Invite{ID: store.NewID(), TokenHash: tokens.HashToken(token), Admin: r.Admin, Groups: groups,
		CreatedBy: r.CreatedBy, CreatedAt: now, ExpiresAt: now.Add(r.TTL)}
	return inv, Link(issuer, token), nil
}

// CreatedEvent is the audit event of inv's creation by by.
func CreatedEvent(inv store.Invite, by, ip string) store.AuditEvent {
	return Event(EventInviteCreated, "", by, ip, inv.CreatedAt, "invite_id", inv.ID, "admin", strconv.FormatBool(inv.Admin),
		"groups", strings.Join(inv.Groups, " "), "expires_at", inv.ExpiresAt.UTC().Format(time.RFC3339))
}

// Link is the invite link of token.
func Link(issuer, token string) string {
	return strings.TrimSuffix(issuer, "/") + "/invite/" + token
}

// check validates r and returns its groups sorted, without duplicates.
func check(ctx context.Context, st store.Store, r Request) ([]string, error) {
	if r.TTL < MinTTL || r.TTL > MaxTTL {
		return nil, fmt.Errorf("%w: the lifetime must be between %s and %s, not %s", ErrInvalid, MinTTL, fmtTTL(MaxTTL), r.TTL)
	}
	groups := slices.Compact(slices.Sorted(slices.Values(r.Groups)))
	if len(groups) > MaxGroups {
		return nil, fmt.Errorf("%w: at most %d groups", ErrInvalid, MaxGroups)
	}
	for _, g := range groups {
		if err := store.CheckGroupName(g); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if _, err := st.GetGroup(ctx, g); errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: there is no group %q (create it first)", ErrInvalid, g)
		} else if err != nil {
			return nil, err
		}
	}
	return groups, nil
}

func fmtTTL(d time.Duration) string { return fmt.Sprintf("%dh", int(d.Hours())) }

// Invite states, as lists show them.
const (
	Pending  = "pending"
	Redeemed = "redeemed"
	Expired  = "expired"
)

// Status is the state of inv at now.
func Status(inv store.Invite, now time.Time) string {
	switch {
	case inv.RedeemedAt != nil:
		return Redeemed
	case !now.Before(inv.ExpiresAt):
		return Expired
	}
	return Pending
}
