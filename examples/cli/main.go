// Command cli is an example of a command-line tool that signs its user in
// through Gatehouse's login API and prints who they are.
//
//	go run ./examples/cli --server http://127.0.0.1:8080 --flow device
//	go run ./examples/cli --server http://127.0.0.1:8080 --flow web --provider github
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"gatehouse/examples/cli/login"
)

func main() {
	server := flag.String("server", "http://127.0.0.1:8080", "Gatehouse base URL")
	flow := flag.String("flow", "device", "device or web")
	provider := flag.String("provider", "github", "upstream provider (web flow)")
	flag.Parse()
	c := &login.Client{BaseURL: *server, HTTP: &http.Client{Timeout: 30 * time.Second}, Wait: login.Sleep}
	if err := run(context.Background(), c, *flow, *provider); err != nil {
		fmt.Fprintln(os.Stderr, "cli:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c *login.Client, flow, provider string) error {
	var tok login.Token
	var err error
	switch flow {
	case "device":
		var s login.DeviceStart
		if s, err = c.StartDevice(ctx); err != nil {
			return err
		}
		fmt.Printf("Open %s and enter the code %s\n", s.URL, s.UserCode)
		tok, err = c.CompleteDevice(ctx, s, 5*time.Second)
	case "web":
		var authURL, state string
		if authURL, state, err = c.StartWeb(ctx, provider, ""); err != nil {
			return err
		}
		fmt.Printf("Open this page to sign in:\n  %s\n", authURL)
		tok, err = c.PollWeb(ctx, state, 2*time.Second)
	default:
		return fmt.Errorf("unknown flow %q (device or web)", flow)
	}
	if err != nil {
		return err
	}
	me, err := c.WhoAmI(ctx, tok.Secret.Value)
	if err != nil {
		return err
	}
	fmt.Printf("Signed in as %s (%s), account %s; token %s expires %s\n", me.Username, me.Email, me.ID, tok.Data.ID, tok.Data.ExpiresAt)
	return nil
}
