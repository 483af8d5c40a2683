package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The abuse scenarios are what a hostile anonymous client does; scripts/soak.sh
// runs them alongside the normal load. An answer the server is entitled to
// give a hostile client (a refusal, a 429) is not an error; a failure to
// answer at all is. Their requests say X-Forwarded-For: abuseAddr, so a
// server that trusts 127.0.0.1 as a proxy (soak.sh's config) counts them
// apart from the normal load, which comes from 127.0.0.1 itself.

const abuseAddr = "198.51.100.7"

// abuseScenario returns the abuse scenario name, if it is one.
func (e *env) abuseScenario(name string) (scenario, bool) {
	switch name {
	case "abuse-login-start":
		// Anonymous upstream sign-in starts: each one would store a row.
		return scenario{name, e.anonymousGet("/login/mock"), false}, true
	case "abuse-web-login":
		return scenario{name, e.anonymousGet("/v1/login/oauth2/web/authorize?provider=mock"), false}, true
	case "abuse-password":
		// Wrong passwords for one username (the owner's), from this address.
		return scenario{name, e.wrongPasswords, false}, true
	case "abuse-idle":
		// Connections opened and left idle, each worker holding one more
		// per round, as a slow client or a connection-exhaustion attack does.
		return scenario{name, e.idleConns, false}, true
	}
	return scenario{}, false
}

// refused reports answers a hostile client may get: client errors and 503
// (a connection or rate limit), never a server error.
func refused(status int) bool {
	return status < 500 || status == http.StatusServiceUnavailable
}

func (e *env) anonymousGet(path string) func(context.Context, int) (func(context.Context) error, error) {
	noFollow := &http.Client{Transport: e.client.Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return func(context.Context, int) (func(context.Context) error, error) {
		return func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.o.url+path, nil)
			req.Header.Set("X-Forwarded-For", abuseAddr)
			resp, err := noFollow.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if !refused(resp.StatusCode) {
				return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
			}
			return nil
		}, nil
	}
}

func (e *env) wrongPasswords(context.Context, int) (func(context.Context) error, error) {
	user := "bench"
	if e.o.passwordUser != "" {
		user, _, _ = strings.Cut(e.o.passwordUser, ":")
	}
	body := `{"username":"` + user + `","password":"not the password"}`
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.o.url+"/api/token-auth/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", abuseAddr)
		resp, err := e.client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !refused(resp.StatusCode) {
			return fmt.Errorf("wrong password: %d", resp.StatusCode)
		}
		return nil
	}, nil
}

// idleConns opens a connection per call, sends half a request line and
// keeps it open until the scenario's context ends (the server should cut
// it; a refused or reset connection is the server defending itself).
func (e *env) idleConns(ctx context.Context, _ int) (func(context.Context) error, error) {
	u, err := url.Parse(e.o.url)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return nil // refused under a connection limit: fine
		}
		_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: " + u.Host + "\r\n"))
		go func() { <-ctx.Done(); c.Close() }()
		time.Sleep(time.Second) // pace: one more held connection a second per worker
		return nil
	}, nil
}
