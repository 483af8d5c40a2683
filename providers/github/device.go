package github

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"gatehouse/providers"
)

// DeviceAuth implements providers.DeviceAuthorizer: it asks GitHub for a
// device code and a user code (RFC 8628 §3.1).
func (p *Provider) DeviceAuth(ctx context.Context) (*oauth2.DeviceAuthResponse, error) {
	da, err := p.OAuth2Config().DeviceAuth(p.Context(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: device authorization: %v", providers.ErrUpstream, err)
	}
	return da, nil
}

type deviceTokenAnswer struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	RefreshToken     string `json:"refresh_token"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// DevicePoll implements providers.DeviceAuthorizer with exactly one poll
// (x/oauth2's DeviceAccessToken loops and sleeps; callers here decide when
// to poll again). Pending, slow_down, expired and denied come back as
// *oauth2.RetrieveError with the RFC 8628 code.
func (p *Provider) DevicePoll(ctx context.Context, da *oauth2.DeviceAuthResponse) (*oauth2.Token, error) {
	cfg := p.OAuth2Config()
	form := url.Values{"client_id": {cfg.ClientID}, "device_code": {da.DeviceCode},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}}
	var ans deviceTokenAnswer
	if _, err := providers.PostFormJSON(ctx, p.HTTPClient, cfg.Endpoint.TokenURL, form, &ans); err != nil {
		return nil, err
	}
	if ans.Error != "" {
		return nil, &oauth2.RetrieveError{ErrorCode: ans.Error, ErrorDescription: ans.ErrorDescription}
	}
	if ans.AccessToken == "" {
		return nil, fmt.Errorf("%w: device token answer without access_token", providers.ErrUpstream)
	}
	tok := &oauth2.Token{AccessToken: ans.AccessToken, TokenType: ans.TokenType, RefreshToken: ans.RefreshToken}
	if ans.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(ans.ExpiresIn) * time.Second)
	}
	return tok, nil
}
