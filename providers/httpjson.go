package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody caps what we read from an upstream answer.
const maxBody = 1 << 20

// DefaultHTTPClient is used when Config.HTTPClient is nil: never an
// unbounded client (a timeout, answers capped at DefaultMaxBody).
func DefaultHTTPClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return NewHTTPClient(10*time.Second, DefaultMaxBody)
}

// NewHTTPClient is the client for upstream calls: every request bounded
// by timeout, every answer by maxBody bytes.
func NewHTTPClient(timeout time.Duration, maxBody int64) *http.Client {
	return &http.Client{Timeout: timeout, Transport: LimitBody(nil, maxBody)}
}

// GetJSON fetches url with a Bearer token and decodes the JSON answer into
// v. Any failure (transport, non-2xx, not JSON) wraps ErrUpstream; the
// token never appears in the error.
func GetJSON(ctx context.Context, c *http.Client, url, bearer, accept string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept", accept)
	return doJSON(c, req, v)
}

// PostFormJSON posts form to url (Accept: application/json) and decodes the
// JSON answer into v, whatever the status, so callers can read OAuth error
// bodies. Transport failures and non-JSON answers wrap ErrUpstream.
func PostFormJSON(ctx context.Context, c *http.Client, u string, form url.Values, v any) (status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrUpstream, req.URL.Redacted(), Scrub(err))
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(v); err != nil {
		return resp.StatusCode, fmt.Errorf("%w: %s answered %d with no JSON", ErrUpstream, req.URL.Path, resp.StatusCode)
	}
	return resp.StatusCode, nil
}

func doJSON(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUpstream, req.URL.Path, Scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w: %s answered %d", ErrTokenRejected, req.URL.Path, resp.StatusCode)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s answered %d", ErrUpstream, req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(v); err != nil {
		return fmt.Errorf("%w: %s: malformed JSON: %v", ErrUpstream, req.URL.Path, err)
	}
	return nil
}

// Scrub drops the URL from transport errors (a query could hold a secret).
func Scrub(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Remarshal converts a decoded JSON document (map[string]any) into a typed
// struct, so providers keep the raw profile and read typed fields from it.
func Remarshal(raw map[string]any, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
