// Package login is the client side of Gatehouse's login API, as a CLI uses
// it: sign in with the upstream device flow or the web flow, then ask who
// the token belongs to.
package login

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one Gatehouse.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	// Wait sleeps between polls; tests pass a function that advances a clock.
	Wait func(ctx context.Context, d time.Duration) error
}

// Token is the login API's answer.
type Token struct {
	Data struct {
		ID        string `json:"id"`
		AccountID string `json:"accountId"`
		CreatedAt string `json:"createdAt"`
		ExpiresAt string `json:"expiresAt"`
	} `json:"data"`
	Secret struct {
		Value string `json:"value"`
	} `json:"secret"`
}

// DeviceStart is the device/start answer.
type DeviceStart struct {
	URL            string `json:"url"`
	UserCode       string `json:"userCode"`
	Expires        string `json:"expires"`
	EncodedSession string `json:"encodedSession"`
}

// APIError is a 4xx/5xx answer of the login API.
type APIError struct {
	Status  int
	Errors  []string `json:"errors"`
	Message string   `json:"error"`
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("%d: %s", e.Status, strings.Join(e.Errors, "; "))
}

// Pending reports whether the error means "ask again later".
func (e *APIError) Pending() bool {
	for _, m := range e.Errors {
		if strings.HasPrefix(m, "authorization_pending") || strings.HasPrefix(m, "slow_down") {
			return true
		}
	}
	return false
}

func (c *Client) call(ctx context.Context, method, path string, body any, bearer string, out any) error {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		e := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, e)
		return e
	}
	return json.Unmarshal(raw, out)
}

// StartDevice begins the device flow.
func (c *Client) StartDevice(ctx context.Context) (DeviceStart, error) {
	var s DeviceStart
	return s, c.call(ctx, http.MethodPost, "/v1/login/oauth2/device/start", nil, "", &s)
}

// CompleteDevice polls until the user approved (or the flow failed).
func (c *Client) CompleteDevice(ctx context.Context, s DeviceStart, interval time.Duration) (Token, error) {
	for {
		var t Token
		err := c.call(ctx, http.MethodPost, "/v1/login/oauth2/device/complete", s.EncodedSession, "", &t)
		var ae *APIError
		if !errors.As(err, &ae) || !ae.Pending() {
			return t, err
		}
		if err := c.Wait(ctx, interval); err != nil {
			return Token{}, err
		}
	}
}

// StartWeb begins the web flow; open the URL in a browser.
func (c *Client) StartWeb(ctx context.Context, provider, redirect string) (authURL, state string, err error) {
	q := url.Values{"provider": {provider}}
	if redirect != "" {
		q.Set("redirect", redirect)
	}
	var ans struct{ URL, State string }
	err = c.call(ctx, http.MethodGet, "/v1/login/oauth2/web/authorize?"+q.Encode(), nil, "", &ans)
	return ans.URL, ans.State, err
}

// PollWeb waits for the web flow's token.
func (c *Client) PollWeb(ctx context.Context, state string, interval time.Duration) (Token, error) {
	for {
		var t Token
		err := c.call(ctx, http.MethodGet, "/v1/login/oauth2/web/poll?state="+url.QueryEscape(state), nil, "", &t)
		var ae *APIError
		if !errors.As(err, &ae) || !ae.Pending() {
			return t, err
		}
		if err := c.Wait(ctx, interval); err != nil {
			return Token{}, err
		}
	}
}

// Me is who a token belongs to.
type Me struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// WhoAmI asks /api/v1/users/me/ with the token.
func (c *Client) WhoAmI(ctx context.Context, secret string) (Me, error) {
	var m Me
	return m, c.call(ctx, http.MethodGet, "/api/v1/users/me/", nil, secret, &m)
}

// Sleep is the Wait of real programs.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
