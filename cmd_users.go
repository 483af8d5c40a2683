package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"gatehouse/server/password"
	"gatehouse/store"
	"gatehouse/store/gormstore"
)

func (c *cli) users(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: users needs a subcommand (create, set-password)", errUsage)
	}
	switch args[0] {
	case "create":
		return c.usersCreate(ctx, args[1:])
	case "set-password":
		return c.usersSetPassword(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown users subcommand %q", errUsage, args[0])
}

func (c *cli) openStore(ctx context.Context) (*gormstore.Store, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	return gormstore.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
}

func (c *cli) usersCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	username := fs.String("username", "", "unique username (required)")
	email := fs.String("email", "", "e-mail address")
	name := fs.String("name", "", "display name")
	admin := fs.Bool("admin", false, "make the user an operator")
	pwStdin := fs.Bool("password-stdin", false, "read a password from the first line of stdin")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if strings.TrimSpace(*username) == "" {
		return fmt.Errorf("%w: --username is required", errUsage)
	}
	now := time.Now()
	a := store.Account{ID: store.NewID(), Username: strings.TrimSpace(*username), Email: *email, Name: *name,
		IsAdmin: *admin, CreatedAt: now, UpdatedAt: now}
	if *pwStdin {
		h, err := c.readPasswordHash()
		if err != nil {
			return err
		}
		a.PasswordHash = h
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CreateAccount(ctx, &a); errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("username %q is taken", a.Username)
	} else if err != nil {
		return err
	}
	return json.NewEncoder(c.stdout).Encode(map[string]string{"id": a.ID, "username": a.Username})
}

func (c *cli) usersSetPassword(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users set-password", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	username := fs.String("username", "", "the user (required)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (required)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *username == "" || !*pwStdin {
		return fmt.Errorf("%w: --username and --password-stdin are required", errUsage)
	}
	h, err := c.readPasswordHash()
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := userByName(ctx, st, *username)
	if err != nil {
		return err
	}
	a.PasswordHash, a.UpdatedAt = h, time.Now()
	if err := st.UpdateAccount(ctx, &a); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password set for %s\n", a.Username)
	return nil
}

// readPasswordHash reads one line from stdin and hashes it.
func (c *cli) readPasswordHash() (string, error) {
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on stdin")
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 8 {
		return "", errors.New("password must be at least 8 characters")
	}
	return password.Hash(pw)
}

// userByName finds an account by username for a command; a missing one
// is the operator's mistake, said plainly.
func userByName(ctx context.Context, st store.Store, username string) (store.Account, error) {
	a, err := st.GetAccountByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("no user %q", username)
	}
	return a, err
}
