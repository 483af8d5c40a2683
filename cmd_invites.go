package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"gatehouse/server/teams"
	"gatehouse/store"
)

func (c *cli) invites(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: invites needs a subcommand (create, list)", errUsage)
	}
	switch args[0] {
	case "create":
		return c.invitesCreate(ctx, args[1:])
	case "list":
		return c.invitesList(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown invites subcommand %q", errUsage, args[0])
}

func (c *cli) invitesCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("invites create", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	ttl := fs.Duration("ttl", teams.DefaultTTL, "how long the link works")
	admin := fs.Bool("admin", false, "the invited person becomes an administrator")
	var groups multi
	fs.Var(&groups, "group", "a group the invited person joins (repeatable; it must exist)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: invites create [--ttl 72h] [--admin] [--group G ...]", errUsage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	inv, link, err := teams.New(ctx, st, cfg.Issuer, teams.Request{TTL: *ttl, Admin: *admin, Groups: groups}, time.Now())
	if err != nil {
		return err // an ErrInvalid says what to correct
	}
	err = st.InTx(ctx, func(tx store.Store) error { // the invite and its audit event, or neither
		if err := tx.CreateInvite(ctx, &inv); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, ptr(teams.CreatedEvent(inv, teams.ByCLI, "")))
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(c.stdout).Encode(map[string]any{"id": inv.ID, "link": link, "admin": inv.Admin,
		"groups": inv.Groups, "expires_at": inv.ExpiresAt})
}

func (c *cli) invitesList(ctx context.Context, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: invites list", errUsage)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.ListInvites(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]map[string]any, len(list))
	for i, inv := range list {
		out[i] = map[string]any{"id": inv.ID, "status": teams.Status(inv, now), "admin": inv.Admin, "groups": inv.Groups,
			"created_by": inv.CreatedBy, "created_at": inv.CreatedAt, "expires_at": inv.ExpiresAt,
			"redeemed_at": inv.RedeemedAt, "redeemed_by": inv.RedeemedBy}
	}
	return json.NewEncoder(c.stdout).Encode(out)
}
