package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"

	"gatehouse/providers"
)

// Session is a GitHub sign-in in flight. It holds the PKCE verifier: keep
// it server-side, never in a cookie or a log.
type Session struct {
	AuthURL      string
	CodeVerifier string
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
}

var _ goth.Session = (*Session)(nil)

// GetAuthURL implements goth.Session.
func (s *Session) GetAuthURL() (string, error) {
	if s.AuthURL == "" {
		return "", errors.New(goth.NoAuthUrlErrorMessage)
	}
	return s.AuthURL, nil
}

// Marshal implements goth.Session.
func (s *Session) Marshal() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// UnmarshalSession implements goth.Provider.
func (p *Provider) UnmarshalSession(data string) (goth.Session, error) {
	s := &Session{}
	return s, json.Unmarshal([]byte(data), s)
}

// Authorize implements goth.Session: it exchanges the code with the PKCE
// verifier. GitHub's "200 with an error body" is an error here too.
func (s *Session) Authorize(gp goth.Provider, params goth.Params) (string, error) {
	p := gp.(*Provider)
	tok, err := p.config.Exchange(p.ctx(context.Background()), params.Get("code"), oauth2.VerifierOption(s.CodeVerifier))
	if err != nil {
		return "", fmt.Errorf("%w: token exchange: %v", providers.ErrUpstream, err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("%w: token exchange returned no access token", providers.ErrUpstream)
	}
	s.AccessToken, s.RefreshToken, s.ExpiresAt = tok.AccessToken, tok.RefreshToken, tok.Expiry
	return tok.AccessToken, nil
}
