package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/server/apps"
	"gatehouse/server/oauth"
	"gatehouse/store"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func (c *cli) apps(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: apps needs a subcommand (create, list, delete)", errUsage)
	}
	switch args[0] {
	case "create":
		return c.appsCreate(ctx, args[1:])
	case "list":
		return c.appsList(ctx)
	case "delete":
		return c.appsDelete(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown apps subcommand %q", errUsage, args[0])
}

func (c *cli) appsCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apps create", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var redirects, grants, scopes, groups, postLogout, exchange multi
	name := fs.String("name", "", "application name (required)")
	logo := fs.String("logo-url", "", "https URL of a logo")
	public := fs.Bool("public", false, "a public client (no secret; PKCE required)")
	alg := fs.String("id-token-alg", "RS256", "id_token signing algorithm: RS256 or ES256")
	accessTTL := fs.Duration("access-ttl", 0, "access-token lifetime for this app (0 = server default)")
	grace := fs.Duration("refresh-grace", 0, "how long a just-rotated refresh token may be presented again and get the same successor (0 = the server default, tokens.refresh_grace)")
	idle := fs.Duration("refresh-idle-ttl", 0, "how long an unused refresh token lives for this app (0 = server default)")
	fs.Var(&redirects, "redirect-uri", "a redirect URI (repeatable)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "where the app may send the user after signing out (repeatable; exact match)")
	backchannel := fs.String("backchannel-logout-uri", "", "where the app receives back-channel logout tokens (https, or http on a loopback IP)")
	fs.Var(&grants, "grant", "a grant type (repeatable; default authorization_code and refresh_token)")
	fs.Var(&scopes, "scope", "a scope the app may request (repeatable; default openid profile email offline_access; add groups for the groups claim)")
	fs.Var(&groups, "allowed-group", "only members of this group (local or upstream, e.g. acme/ops) may use the app (repeatable; default everyone)")
	fs.Var(&exchange, "exchange-provider", "a provider instance whose upstream access tokens the app may exchange for its own (repeatable; needs --grant "+oauth.GrantTokenExchange+")")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := c.checkProviders(exchange); err != nil {
		return err
	}
	spec := apps.Spec{Name: *name, LogoURL: *logo, RedirectURIs: redirects, GrantTypes: grants, Scopes: scopes, Public: *public,
		IDTokenAlg: *alg, AccessTTL: *accessTTL, RefreshGrace: *grace, RefreshIdleTTL: *idle, AllowedGroups: groups,
		PostLogoutRedirectURIs: postLogout, BackchannelLogoutURI: *backchannel, BackchannelLogoutSessionRequired: *backchannel != "",
		ExchangeProviders: exchange, Operator: true} // whoever runs the CLI operates the server
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var cl store.Client
	var secret string
	err = st.InTx(ctx, func(tx store.Store) error { // the app and its audit event, or neither
		if cl, secret, err = apps.Create(ctx, tx, spec, nil, time.Now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, ptr(apps.Event(apps.EventCreated, cl.ID, "", apps.ByCLI, "", time.Now())))
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(c.stdout).Encode(appJSON(cl, secret))
}

func (c *cli) appsList(ctx context.Context) error {
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.ListClients(ctx, "")
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(list))
	for i, cl := range list {
		out[i] = appJSON(cl, "")
	}
	return json.NewEncoder(c.stdout).Encode(out)
}

func (c *cli) appsDelete(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: apps delete CLIENT_ID", errUsage)
	}
	st, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.InTx(ctx, func(tx store.Store) error { // the deletion and its audit event, or neither
		if err := tx.DeleteClient(ctx, args[0], time.Now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, ptr(apps.Event(apps.EventDeleted, args[0], "", apps.ByCLI, "", time.Now())))
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no app %q", args[0])
	} else if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted %s (its refresh tokens are revoked)\n", args[0])
	return nil
}

// appJSON is the app as the CLI prints it; the secret only when just made.
func appJSON(cl store.Client, secret string) map[string]any {
	m := map[string]any{"client_id": cl.ID, "name": cl.Name, "redirect_uris": cl.RedirectURIs,
		"grant_types": cl.GrantTypes, "scopes": cl.Scopes, "public": cl.Public, "allowed_groups": cl.AllowedGroups}
	if secret != "" {
		m["client_secret"] = secret
	}
	if len(cl.PostLogoutRedirectURIs) > 0 {
		m["post_logout_redirect_uris"] = cl.PostLogoutRedirectURIs
	}
	if cl.BackchannelLogoutURI != "" {
		m["backchannel_logout_uri"] = cl.BackchannelLogoutURI
	}
	if len(cl.ExchangeProviders) > 0 {
		m["exchange_providers"] = cl.ExchangeProviders
	}
	return m
}

// checkProviders refuses names that are not provider instances of the
// config: an app allowed to exchange a provider that does not exist is a
// typo the operator should hear about now.
func (c *cli) checkProviders(names []string) error {
	if len(names) == 0 {
		return nil
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	var known []string
	for _, pc := range cfg.ProviderConfigs() {
		known = append(known, pc.Name)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return fmt.Errorf("exchange-provider: no provider instance named %q in the config (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
