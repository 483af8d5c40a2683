package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

func newGroup(t *testing.T, s store.Store, name string) store.Group {
	t.Helper()
	g := store.Group{ID: store.NewID(), Name: name, Description: "the " + name, CreatedAt: t0}
	require.NoError(t, s.CreateGroup(context.Background(), &g))
	return g
}

// groupsOf renders an account's memberships as "group(source) ...".
func groupsOf(t *testing.T, s store.Store, accountID string) string {
	t.Helper()
	list, err := s.ListAccountGroups(context.Background(), accountID)
	require.NoError(t, err)
	out := ""
	for _, g := range list {
		out += fmt.Sprintf("%s(%s) ", g.Group, g.Source)
	}
	return out
}

func testGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	ops := newGroup(t, s, "ops")
	newGroup(t, s, "dev")
	dup := store.Group{ID: store.NewID(), Name: "ops", CreatedAt: t0}
	wantErr(t, "duplicate name", s.CreateGroup(ctx, &dup), store.ErrAlreadyExists)
	got, err := s.GetGroup(ctx, "ops")
	require.NoError(t, err)
	if got != ops {
		t.Errorf("GetGroup = %+v, want %+v", got, ops)
	}
	_, err = s.GetGroup(ctx, "nope")
	wantErr(t, "unknown group", err, store.ErrNotFound)
	list, err := s.ListGroups(ctx)
	require.NoError(t, err)
	if len(list) != 2 || list[0].Name != "dev" || list[1].Name != "ops" {
		t.Errorf("ListGroups = %+v", list)
	}

	a, b := newAccount(t, s, "alice"), newAccount(t, s, "bob")
	require.NoError(t, s.AddAccountToGroup(ctx, a.ID, "ops", t0))
	require.NoError(t, s.AddAccountToGroup(ctx, b.ID, "ops", t0))
	wantErr(t, "member twice", s.AddAccountToGroup(ctx, a.ID, "ops", t0), store.ErrAlreadyExists)
	wantErr(t, "unknown group", s.AddAccountToGroup(ctx, a.ID, "nope", t0), store.ErrNotFound)
	wantErr(t, "unknown account", s.AddAccountToGroup(ctx, "ghost", "ops", t0), store.ErrNotFound)
	members, err := s.ListGroupMembers(ctx, "ops")
	require.NoError(t, err)
	if usernames(members) != "alice bob" {
		t.Errorf("members of ops = %q", usernames(members))
	}
	wantErr(t, "remove a non-member", s.RemoveAccountFromGroup(ctx, a.ID, "dev"), store.ErrNotFound)
	require.NoError(t, s.RemoveAccountFromGroup(ctx, b.ID, "ops"))
	wantErr(t, "remove twice", s.RemoveAccountFromGroup(ctx, b.ID, "ops"), store.ErrNotFound)

	// Deleting a group ends its local memberships, not an upstream group
	// of the same name.
	require.NoError(t, s.SetUpstreamGroups(ctx, a.ID, "github", []string{"ops"}, t0))
	require.NoError(t, s.DeleteGroup(ctx, "ops"))
	wantErr(t, "delete twice", s.DeleteGroup(ctx, "ops"), store.ErrNotFound)
	if got := groupsOf(t, s, a.ID); got != "ops(provider:github) " {
		t.Errorf("after deleting ops: %q", got)
	}
	newGroup(t, s, "ops") // the name is free again, and nobody is in it
	if members, _ := s.ListGroupMembers(ctx, "ops"); len(members) != 0 {
		t.Errorf("a recreated group has members: %q", usernames(members))
	}
}

func testSetUpstreamGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newAccount(t, s, "alice"), newAccount(t, s, "bob")
	newGroup(t, s, "admins")
	require.NoError(t, s.AddAccountToGroup(ctx, a.ID, "admins", t0))
	require.NoError(t, s.SetUpstreamGroups(ctx, a.ID, "github", []string{"acme", "acme/devs", "acme"}, t0))
	require.NoError(t, s.SetUpstreamGroups(ctx, a.ID, "corp", []string{"admins", "staff"}, t0))
	require.NoError(t, s.SetUpstreamGroups(ctx, b.ID, "github", []string{"acme"}, t0))
	want := "acme(provider:github) acme/devs(provider:github) admins(local) admins(provider:corp) staff(provider:corp) "
	if got := groupsOf(t, s, a.ID); got != want {
		t.Errorf("groups = %q, want %q", got, want)
	}
	// alice left acme/devs on GitHub: the next sign-in replaces GitHub's
	// groups only.
	require.NoError(t, s.SetUpstreamGroups(ctx, a.ID, "github", []string{"acme", "acme/ops"}, t0.Add(time.Hour)))
	want = "acme(provider:github) acme/ops(provider:github) admins(local) admins(provider:corp) staff(provider:corp) "
	if got := groupsOf(t, s, a.ID); got != want {
		t.Errorf("after re-sign-in: %q, want %q", got, want)
	}
	require.NoError(t, s.SetUpstreamGroups(ctx, a.ID, "corp", nil, t0))
	want = "acme(provider:github) acme/ops(provider:github) admins(local) "
	if got := groupsOf(t, s, a.ID); got != want {
		t.Errorf("after corp dropped every group: %q, want %q", got, want)
	}
	if got := groupsOf(t, s, b.ID); got != "acme(provider:github) " {
		t.Errorf("bob's groups changed: %q", got)
	}
	err := s.SetUpstreamGroups(ctx, "ghost", "github", []string{"acme"}, t0)
	wantErr(t, "unknown account", err, store.ErrNotFound)
}

func newInvite(t *testing.T, s store.Store, hash string, expires time.Time) store.Invite {
	t.Helper()
	inv := store.Invite{ID: store.NewID(), TokenHash: hash, Admin: true, Groups: []string{"ops", "dev"},
		CreatedBy: "admin-id", CreatedAt: t0, ExpiresAt: expires}
	require.NoError(t, s.CreateInvite(context.Background(), &inv))
	return inv
}

func testInvites(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newAccount(t, s, "alice"), newAccount(t, s, "bob")
	inv := newInvite(t, s, "h1", t0.Add(time.Hour))
	newInvite(t, s, "h2", t0.Add(time.Minute))
	dup := store.Invite{ID: store.NewID(), TokenHash: "h1", CreatedAt: t0, ExpiresAt: t0}
	wantErr(t, "duplicate token", s.CreateInvite(ctx, &dup), store.ErrAlreadyExists)

	if got, err := s.GetInviteByTokenHash(ctx, "h1"); err != nil || got.ID != inv.ID {
		t.Errorf("GetInviteByTokenHash(h1) = %+v, %v", got, err)
	}
	_, err := s.GetInviteByTokenHash(ctx, "nope")
	wantErr(t, "unknown invite by hash", err, store.ErrNotFound)
	_, err = s.RedeemInvite(ctx, "h2", a.ID, t0.Add(time.Minute))
	wantErr(t, "expired invite", err, store.ErrInviteSpent)
	_, err = s.RedeemInvite(ctx, "nope", a.ID, t0)
	wantErr(t, "unknown invite", err, store.ErrNotFound)

	got, err := s.RedeemInvite(ctx, "h1", a.ID, t0.Add(time.Second))
	require.NoError(t, err)
	if got.ID != inv.ID || !got.Admin || len(got.Groups) != 2 || got.Groups[0] != "ops" ||
		got.RedeemedBy != a.ID || got.RedeemedAt == nil || !got.RedeemedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("redeemed = %+v", got)
	}
	_, err = s.RedeemInvite(ctx, "h1", b.ID, t0.Add(2*time.Second))
	wantErr(t, "second redeem", err, store.ErrInviteSpent)

	list, err := s.ListInvites(ctx)
	require.NoError(t, err)
	if len(list) != 2 || list[0].RedeemedBy != a.ID && list[1].RedeemedBy != a.ID {
		t.Errorf("ListInvites = %+v", list)
	}
	// A redeemed invite stays as the record of who came in on it.
	wantErr(t, "delete a redeemed invite", s.DeleteInvite(ctx, inv.ID), store.ErrNotFound)
	pending := newInvite(t, s, "h3", t0.Add(time.Hour))
	require.NoError(t, s.DeleteInvite(ctx, pending.ID))
	wantErr(t, "delete twice", s.DeleteInvite(ctx, pending.ID), store.ErrNotFound)
	_, err = s.RedeemInvite(ctx, "h3", b.ID, t0)
	wantErr(t, "revoked invite", err, store.ErrNotFound)
	if list, _ := s.ListInvites(ctx); len(list) != 2 {
		t.Errorf("after revoking: %d invites, want 2", len(list))
	}
}

// A second redeem in parallel must not succeed: of many concurrent
// redemptions of one invite exactly one wins.
func testInviteRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newInvite(t, s, "h", t0.Add(time.Hour))
	wins := race(8, func() error {
		_, err := s.RedeemInvite(ctx, "h", a.ID, t0)
		return err
	}, store.ErrInviteSpent)
	if wins != 1 {
		t.Errorf("%d concurrent redemptions succeeded, want exactly 1", wins)
	}
}

func testInviteSweep(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "alice")
	newInvite(t, s, "old", t0)
	newInvite(t, s, "used", t0)
	newInvite(t, s, "live", t0.Add(40*24*time.Hour))
	_, err := s.RedeemInvite(ctx, "used", a.ID, t0.Add(-time.Minute))
	require.NoError(t, err)
	// Expired a week ago: still listed, so an administrator sees why.
	n, err := s.DeleteExpired(ctx, t0.Add(7*24*time.Hour))
	require.NoError(t, err)
	if n != 0 {
		t.Errorf("a week after expiry, deleted %d rows, want 0", n)
	}
	n, err = s.DeleteExpired(ctx, t0.Add(31*24*time.Hour))
	require.NoError(t, err)
	list, err := s.ListInvites(ctx)
	require.NoError(t, err)
	if n != 1 || len(list) != 2 {
		t.Errorf("a month after expiry: deleted %d rows, %d invites left; want 1 and 2 (the redeemed and the live one)", n, len(list))
	}
}
