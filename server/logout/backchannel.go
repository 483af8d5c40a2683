package logout

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"gatehouse/server/tokens"
)

// Notice is one app to tell that one session ended.
type Notice struct {
	ClientID string
	URI      string // the app's backchannel_logout_uri
	Alg      string // the app's id_token algorithm
	Subject  string
	SID      string
}

// Backchannel delivers logout tokens (Back-Channel Logout 1.0 §2.5) off
// the request path: a bounded queue served by a few workers, each POST
// bounded by Timeout and tried Tries times with doubling back-off. A
// notice that does not fit the queue, or fails every try, is dropped and
// logged (by app, never with its token).
type Backchannel struct {
	issuer  *tokens.Issuer
	client  *http.Client
	log     *slog.Logger
	tries   int
	backoff time.Duration

	mu     sync.Mutex // guards queue against a send after close
	closed bool
	queue  chan Notice
	wg     sync.WaitGroup
}

// Options tune a Backchannel; zero values take defaults.
type Options struct {
	Timeout time.Duration // per POST; default 5 s
	Tries   int           // default 3
	Backoff time.Duration // before the second try, doubling; default 500 ms
	Queue   int           // default 1024
	Workers int           // default 4
}

// NewBackchannel starts the workers; Close stops them.
func NewBackchannel(issuer *tokens.Issuer, log *slog.Logger, o Options) *Backchannel {
	o.Timeout = orDefault(o.Timeout, 5*time.Second)
	o.Backoff = orDefault(o.Backoff, 500*time.Millisecond)
	o.Tries, o.Queue, o.Workers = max(o.Tries, 3), max(o.Queue, 1024), max(o.Workers, 4)
	b := &Backchannel{issuer: issuer, log: log, tries: o.Tries, backoff: o.Backoff, queue: make(chan Notice, o.Queue),
		client: &http.Client{Timeout: o.Timeout,
			// An app's endpoint answers itself; a redirect is not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for range o.Workers {
		b.wg.Go(b.work)
	}
	return b
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Send queues notices; it never blocks.
func (b *Backchannel) Send(notices ...Notice) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range notices {
		if b.closed {
			b.log.Warn("back-channel logout dropped: shutting down", "client", n.ClientID)
			continue
		}
		select {
		case b.queue <- n:
		default:
			b.log.Warn("back-channel logout dropped: queue full", "client", n.ClientID)
		}
	}
}

// Close delivers what is queued (with its retries) and stops the workers.
func (b *Backchannel) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *Backchannel) work() {
	for n := range b.queue {
		b.deliver(n)
	}
}

// deliver signs one logout token and posts it, retrying a failure.
func (b *Backchannel) deliver(n Notice) {
	ctx := context.Background()
	tok, err := b.issuer.IssueLogoutToken(ctx, tokens.LogoutRequest{Subject: n.Subject, SID: n.SID, ClientID: n.ClientID, Alg: n.Alg})
	if err != nil {
		b.log.Error("back-channel logout: signing", "client", n.ClientID, "err", err)
		return
	}
	wait := b.backoff
	for try := 1; ; try++ {
		err = b.post(ctx, n.URI, tok)
		if err == nil {
			return
		}
		if try == b.tries {
			b.log.Warn("back-channel logout dropped after retries", "client", n.ClientID, "tries", try, "err", err)
			return
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// post sends the token as form logout_token (§2.5); only 200 and 204
// count as received (§2.8).
func (b *Backchannel) post(ctx context.Context, uri, tok string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
