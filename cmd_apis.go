package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"gatehouse/server/apis"
	"gatehouse/server/teams"
	"gatehouse/store"
)

func (c *cli) apis(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: apis needs a subcommand (create, list, delete)", errUsage)
	}
	switch args[0] {
	case "create":
		return c.apisCreate(ctx, args[1:])
	case "list":
		return c.apisList(ctx, args[1:])
	case "delete":
		return c.apisDelete(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown apis subcommand %q", errUsage, args[0])
}

// apisCreate registers an API and prints its introspection secret (once).
func (c *cli) apisCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apis create", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var scopes multi
	id := fs.String("identifier", "", "the API's identifier, the resource apps name (an absolute https URI; http only on loopback)")
	name := fs.String("name", "", "the API's name, shown on consent")
	fs.Var(&scopes, "scope", "a scope the API defines, name[=description] (repeatable)")
	ttl := fs.Duration("access-ttl", 0, "lifetime of access tokens for the API (default: the server's)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *id == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: apis create --identifier URI [--name N] [--scope NAME[=DESCRIPTION] ...] [--access-ttl D]", errUsage)
	}
	spec := apis.Spec{Identifier: *id, Name: *name, AccessTTL: *ttl}
	for _, s := range scopes {
		spec.Scopes = append(spec.Scopes, apis.ParseScope(s))
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	api, secret, err := apis.Create(ctx, st, spec, teams.ByCLI, time.Now())
	if err != nil {
		return err
	}
	return json.NewEncoder(c.stdout).Encode(map[string]any{"identifier": api.Identifier, "name": api.Name,
		"scopes": api.Scopes, "introspection_secret": secret,
		"note": "the API introspects tokens at /oauth2/introspect with its identifier as client_id and this secret; it is shown only now"})
}

func (c *cli) apisList(ctx context.Context, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: apis list", errUsage)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.ListAPIs(ctx)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		out = append(out, map[string]any{"identifier": a.Identifier, "name": a.Name, "scopes": a.Scopes,
			"access_ttl": a.AccessTTL.String(), "created_at": a.CreatedAt})
	}
	return json.NewEncoder(c.stdout).Encode(out)
}

func (c *cli) apisDelete(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: apis delete IDENTIFIER", errUsage)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	err = apis.Delete(ctx, st, args[0], teams.ByCLI, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no API %q", args[0])
	} else if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "deleted API", args[0])
	return nil
}
