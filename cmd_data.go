package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"

	"gatehouse/server/config"
	"gatehouse/store/gormstore"
)

// migrateTo is `migrate --to postgres DSN`: the way out of SQLite.
func (c *cli) migrateTo(ctx context.Context, cfg *config.Config, args []string) error {
	if len(args) != 3 || args[0] != "--to" || args[1] != "postgres" || args[2] == "" {
		return fmt.Errorf("%w: migrate --to postgres DSN", errUsage)
	}
	if cfg.Database.Driver != "sqlite" || strings.Contains(cfg.Database.DSN, "?") {
		return fmt.Errorf("migrate --to: the source must be a SQLite file (database.dsn a plain path), got driver %q", cfg.Database.Driver)
	}
	counts, err := gormstore.CopySQLiteToPostgres(ctx, cfg.Database.DSN, args[2])
	if err != nil {
		return err
	}
	names := make([]string, 0, len(counts))
	for t := range counts {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		fmt.Fprintf(c.stdout, "%-16s %d rows\n", t, counts[t])
	}
	fmt.Fprintln(c.stdout, "copied and verified; point database.driver/dsn at PostgreSQL and restart")
	return nil
}

// backup is `backup --out FILE`.
func (c *cli) backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	out := fs.String("out", "", "file to write (must not exist)")
	if err := fs.Parse(args); err != nil || *out == "" {
		return fmt.Errorf("%w: backup --out FILE", errUsage)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, *out); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %s\n", *out)
	return nil
}
