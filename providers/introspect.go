package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Introspector is an RFC 7662 token introspection client: it asks the
// upstream whether a token is active and which client it was issued to.
// Providers use it to prove a token presented to us was issued to our
// client before trusting it (TokenVerifier). It authenticates as our client
// with client_secret_basic (RFC 7662 §2.1, RFC 6749 §2.3.1).
type Introspector struct {
	URL, ClientID, ClientSecret string
	HTTPClient                  *http.Client
}

// Introspection is the part of an RFC 7662 answer we use (§2.2).
type Introspection struct {
	Active   bool     `json:"active"`
	ClientID string   `json:"client_id"`
	Audience audience `json:"aud"`
	Subject  string   `json:"sub"`
	Username string   `json:"username"`
}

// audience is "aud": one string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}

// IssuedTo reports whether the token was issued to clientID: its
// client_id, or one of its audiences, is clientID.
func (in Introspection) IssuedTo(clientID string) bool {
	return clientID != "" && (in.ClientID == clientID || slices.Contains(in.Audience, clientID))
}

// Check introspects token and returns the answer when the token is active
// and was issued to our client. ErrTokenRejected: inactive (unknown,
// expired, revoked); ErrNotIssuedToUs: active but another client's;
// ErrUpstream: the endpoint failed or refused our credentials.
func (c Introspector) Check(ctx context.Context, token string) (Introspection, error) {
	in, err := c.introspect(ctx, token)
	switch {
	case err != nil:
		return Introspection{}, err
	case !in.Active:
		return Introspection{}, fmt.Errorf("%w: introspection: inactive", ErrTokenRejected)
	case !in.IssuedTo(c.ClientID):
		return Introspection{}, fmt.Errorf("%w: introspection: client_id %q", ErrNotIssuedToUs, truncate(in.ClientID, 64))
	}
	return in, nil
}

func (c Introspector) introspect(ctx context.Context, token string) (Introspection, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return Introspection{}, fmt.Errorf("%w: introspection: %v", ErrUpstream, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	resp, err := DefaultHTTPClient(c.HTTPClient).Do(req)
	if err != nil {
		return Introspection{}, fmt.Errorf("%w: introspection: %v", ErrUpstream, Scrub(err))
	}
	defer resp.Body.Close()
	// A 401 here refuses our client's credentials, not the token: an
	// operator's problem, reported as an upstream failure.
	if resp.StatusCode != http.StatusOK {
		return Introspection{}, fmt.Errorf("%w: introspection at %s answered %d", ErrUpstream, req.URL.Redacted(), resp.StatusCode)
	}
	var in Introspection
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&in); err != nil {
		return Introspection{}, fmt.Errorf("%w: introspection: malformed answer: %v", ErrUpstream, err)
	}
	return in, nil
}
