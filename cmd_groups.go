package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/server/teams"
	"gatehouse/store"
)

// maxDescription bounds a group's description (the admin page's too).
const maxDescription = 200

func (c *cli) groups(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: groups needs a subcommand (create, add, remove, list)", errUsage)
	}
	switch args[0] {
	case "create":
		return c.groupsCreate(ctx, args[1:])
	case "add":
		return c.groupsMember(ctx, "add", args[1:])
	case "remove":
		return c.groupsMember(ctx, "remove", args[1:])
	case "list":
		return c.groupsList(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown groups subcommand %q", errUsage, args[0])
}

// parseInterspersed parses flags before and after the positional
// arguments ("groups create NAME --description D") and returns those.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func (c *cli) groupsCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("groups create", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	desc := fs.String("description", "", "what the group is for")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: groups create NAME [--description D]", errUsage)
	}
	if err := store.CheckGroupName(pos[0]); err != nil {
		return err
	}
	if utf8.RuneCountInString(*desc) > maxDescription || !utf8.ValidString(*desc) {
		return fmt.Errorf("--description: at most %d characters of UTF-8 text", maxDescription)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	g := store.Group{ID: store.NewID(), Name: pos[0], Description: strings.TrimSpace(*desc), CreatedAt: time.Now()}
	err = st.InTx(ctx, func(tx store.Store) error { // the group and its audit event, or neither
		if err := tx.CreateGroup(ctx, &g); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, ptr(teams.Event(teams.EventGroupCreated, "", teams.ByCLI, "", g.CreatedAt, "group", g.Name)))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("group %q exists already", g.Name)
	} else if err != nil {
		return err
	}
	return json.NewEncoder(c.stdout).Encode(map[string]string{"id": g.ID, "name": g.Name})
}

// groupsMember adds (op "add") or removes a user's local membership.
func (c *cli) groupsMember(ctx context.Context, op string, args []string) error {
	fs := flag.NewFlagSet("groups "+op, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	username := fs.String("username", "", "the user (required)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *username == "" {
		return fmt.Errorf("%w: groups %s --username U GROUP", errUsage, op)
	}
	group := pos[0]
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := userByName(ctx, st, *username)
	if err != nil {
		return err
	}
	now := time.Now()
	typ, change := teams.EventMemberAdded, func(tx store.Store) error { return tx.AddAccountToGroup(ctx, a.ID, group, now) }
	if op == "remove" {
		typ, change = teams.EventMemberRemoved, func(tx store.Store) error { return tx.RemoveAccountFromGroup(ctx, a.ID, group) }
	}
	err = st.InTx(ctx, func(tx store.Store) error {
		if err := change(tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, ptr(teams.Event(typ, a.ID, teams.ByCLI, "", now, "group", group)))
	})
	return c.memberResult(op, a.Username, group, err)
}

func (c *cli) memberResult(op, username, group string, err error) error {
	switch {
	case op == "add" && errors.Is(err, store.ErrAlreadyExists):
		return fmt.Errorf("%s is in group %q already", username, group)
	case op == "add" && errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no group %q (create it first)", group)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%s is not a local member of group %q", username, group)
	case err != nil:
		return err
	case op == "add":
		fmt.Fprintf(c.stdout, "added %s to %s\n", username, group)
	default:
		fmt.Fprintf(c.stdout, "removed %s from %s\n", username, group)
	}
	return nil
}

func (c *cli) groupsList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("groups list", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	username := fs.String("username", "", "list this user's groups, with where each comes from")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: groups list [--username U]", errUsage)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *username == "" {
		list, err := st.ListGroups(ctx)
		if err != nil {
			return err
		}
		out := make([]map[string]any, len(list))
		for i, g := range list {
			out[i] = map[string]any{"name": g.Name, "description": g.Description, "created_at": g.CreatedAt}
		}
		return json.NewEncoder(c.stdout).Encode(out)
	}
	a, err := userByName(ctx, st, *username)
	if err != nil {
		return err
	}
	list, err := st.ListAccountGroups(ctx, a.ID)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(list))
	for i, g := range list {
		out[i] = map[string]any{"group": g.Group, "source": g.Source}
	}
	return json.NewEncoder(c.stdout).Encode(out)
}
