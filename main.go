// Command gatehouse is the self-hosted "login with X" hub: an OAuth2/OpenID
// Connect server that signs people in through upstream providers.
//
//	gatehouse [--config FILE] COMMAND
//
// With no --config (and no GATEHOUSE_CONFIG) it runs on the embedded dev
// default: SQLite in the working directory and the mock provider.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"gatehouse/server"
	"gatehouse/server/config"
	"gatehouse/server/password"
	"gatehouse/store/gormstore"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: gatehouse [--config FILE] COMMAND

Commands:
  serve                         run the server
  migrate                       apply database migrations
  migrate --to postgres DSN     copy this SQLite deployment into an empty PostgreSQL database (online)
  backup --out FILE             write a consistent copy of the SQLite database (online)
  version                       print the version
  users create --username NAME [--email E] [--name N] [--admin] [--password-stdin]
  users set-password --username NAME --password-stdin
  apps create --name N --redirect-uri URI ... [--grant TYPE ...] [--scope S ...] [--public] [--logo-url URL]
              [--id-token-alg RS256|ES256] [--access-ttl D] [--refresh-grace D] [--refresh-idle-ttl D]
  apps list
  apps delete CLIENT_ID
  keys list
  keys rotate [--alg ES256|RS256] [--grace DURATION]
  groups create NAME [--description D]
  groups add --username NAME GROUP
  groups remove --username NAME GROUP
  groups list [--username NAME]
  apis create --identifier URI [--name N] [--scope NAME[=DESCRIPTION] ...] [--access-ttl D]
                                register an API (RFC 8707 resource); prints its introspection secret
  apis list
  apis delete IDENTIFIER
  invites create [--ttl 72h] [--admin] [--group G ...]   prints the invite link (single use)
  invites list
  providers list [--json]       configured upstream providers, their callback URLs and rules
  providers test NAME [--listen 127.0.0.1:0] [--callback-url URL] [--timeout 5m]
                                sign in once through NAME and show what Gatehouse would do (creates nothing)

--config defaults to $GATEHOUSE_CONFIG; with neither, the embedded dev default is used.
`

func main() {
	tuneGC()
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC trades a little memory for less GC work: an auth server's live
// heap is small and its garbage per-request, so it collects at 3x the live
// heap (GOGC 200) under a soft limit of 42 MiB plus the memory that password
// hashes in flight may hold (argon2id, 9 MiB per CPU: 60 MiB on 2 CPUs).
// Without that room the collector would run back to back while hashes are
// in flight; tighter limits lowered the peak RSS a little and cost the
// password grant a quarter more CPU (scripts/bench.sh). GOGC or GOMEMLIMIT
// in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(200)
		debug.SetMemoryLimit(42<<20 + password.InFlightMemory())
	}
}

// errUsage marks a command-line mistake (exit code 2).
var errUsage = errors.New("usage")

// cli is one invocation's environment.
type cli struct {
	cfgPath string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	env     []string
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, env: os.Environ()}
	fs.StringVar(&c.cfgPath, "config", os.Getenv("GATEHOUSE_CONFIG"), "config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	err := c.dispatch(ctx, fs.Args())
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "gatehouse: %v\n\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
		return 1
	}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	switch args[0] {
	case "serve":
		return c.serve(ctx)
	case "migrate":
		return c.migrate(ctx, args[1:])
	case "backup":
		return c.backup(ctx, args[1:])
	case "version":
		fmt.Fprintln(c.stdout, "gatehouse", version)
		return nil
	case "users":
		return c.users(ctx, args[1:])
	case "apps":
		return c.apps(ctx, args[1:])
	case "keys":
		return c.keys(ctx, args[1:])
	case "groups":
		return c.groups(ctx, args[1:])
	case "invites":
		return c.invites(ctx, args[1:])
	case "apis":
		return c.apis(ctx, args[1:])
	case "providers":
		return c.providers(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func (c *cli) config() (*config.Config, error) {
	return config.Load(c.cfgPath, c.env)
}

func (c *cli) logger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(c.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(c.stderr, opts))
}

func (c *cli) serve(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	// Bind first: a second serve on a busy port says only that, before
	// any banner or generated key.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	if _, created, err := cfg.LoadMasterKey(); err != nil {
		return err
	} else if created {
		fmt.Fprintf(c.stderr, `
###########################################################################
#  WARNING: DEV SETUP. Gatehouse generated a new master key at            #
#    %-67s  #
#  and runs in dev mode (plain http, mock provider). Do not use this in   #
#  production: see config.example.yaml for a real configuration.          #
###########################################################################

`, cfg.MasterKeyFile)
	}
	log := c.logger(cfg)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Dev {
		log.Warn("dev mode: not for production", "sign_in", cfg.Issuer+"/login")
	}
	return srv.Serve(ctx, ln)
}

func (c *cli) migrate(ctx context.Context, args []string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return c.migrateTo(ctx, cfg, args)
	}
	st, err := gormstore.Connect(cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "applied %d migrations; the database is at the newest schema\n", n)
	return nil
}
