package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"gatehouse/server/seal"
	"gatehouse/server/tokens"
)

func (c *cli) keys(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: keys needs a subcommand (list, rotate)", errUsage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	key, _, err := cfg.LoadMasterKey()
	if err != nil {
		return err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	keys := tokens.NewKeys(st, sealer, tokens.KeyOptions{})
	switch args[0] {
	case "list":
		list, err := st.ListSigningKeys(ctx, time.Now())
		if err != nil {
			return err
		}
		out := make([]map[string]any, len(list))
		for i, k := range list {
			out[i] = map[string]any{"kid": k.ID, "alg": k.Alg, "generation": k.Generation, "active_at": k.ActiveAt, "retire_at": k.RetireAt, "expire_at": k.ExpireAt}
		}
		return json.NewEncoder(c.stdout).Encode(out)
	case "rotate":
		fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
		fs.SetOutput(c.stderr)
		alg := fs.String("alg", "ES256", "algorithm of the key to rotate (ES256 or RS256)")
		grace := fs.Duration("grace", 24*time.Hour, "how long the old key stays published (at least the longest token lifetime)")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if *grace < cfg.Tokens.AccessTTL {
			return fmt.Errorf("--grace %s is shorter than tokens.access_ttl %s: tokens would stop verifying early", *grace, cfg.Tokens.AccessTTL)
		}
		k, err := keys.Rotate(ctx, *alg, *grace)
		if err != nil {
			return err
		}
		return json.NewEncoder(c.stdout).Encode(map[string]any{"kid": k.ID, "alg": k.Alg, "active_at": k.ActiveAt})
	}
	return fmt.Errorf("%w: unknown keys subcommand %q", errUsage, args[0])
}
