package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"gatehouse/providers"
)

// DefaultCheckTokenURL is GitHub's token check; GitHub Enterprise serves
// it at https://HOST/api/v3/applications/{client_id}/token.
const DefaultCheckTokenURL = "https://api.github.com/applications/{client_id}/token"

// checkTokenURL fills our client_id into the configured (or default) URL.
func checkTokenURL(cfg providers.Config) string {
	return strings.ReplaceAll(providers.Or(cfg.CheckTokenURL, DefaultCheckTokenURL), "{client_id}", url.PathEscape(cfg.ClientID))
}

// checkAnswer is the part of GitHub's answer we read.
type checkAnswer struct {
	App struct {
		ClientID string `json:"client_id"`
	} `json:"app"`
}

// VerifyAccessToken implements providers.TokenVerifier: GitHub's token
// check (authenticated as our OAuth app) must say the token belongs to our
// app; only then does the profile say whose it is. GitHub answers 404 for
// a token of another app and for personal access tokens, 422 for one it
// cannot read.
func (p *Provider) VerifyAccessToken(ctx context.Context, token string) (providers.Identity, error) {
	if err := p.checkToken(ctx, token); err != nil {
		return providers.Identity{}, err
	}
	return p.FetchIdentity(ctx, token)
}

func (p *Provider) checkToken(ctx context.Context, token string) error {
	body, _ := json.Marshal(map[string]string{"access_token": token})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.checkURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: token check: %v", providers.ErrUpstream, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	req.SetBasicAuth(p.clientID, p.clientSecret)
	resp, err := p.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: token check: %v", providers.ErrUpstream, err) // the URL holds no secret; the token is in the body
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: GitHub's token check answered %d", providers.ErrNotIssuedToUs, resp.StatusCode)
	default: // 401: GitHub refused our app's credentials, an operator's problem
		return fmt.Errorf("%w: token check at %s answered %d", providers.ErrUpstream, req.URL.Redacted(), resp.StatusCode)
	}
	var ans checkAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil {
		return fmt.Errorf("%w: token check: malformed answer: %v", providers.ErrUpstream, err)
	}
	if ans.App.ClientID != p.clientID {
		return fmt.Errorf("%w: token check names another app", providers.ErrNotIssuedToUs)
	}
	return nil
}
