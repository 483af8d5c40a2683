package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// exchangeWorker is token exchange (RFC 8693) form (b): each worker holds
// one user access token (from the code flow of the bench user app) and
// exchanges it, as the app made with --exchange-client, for a narrower
// token addressed to the client_credentials bench app. The subject token
// is the same on every call, as for a service that exchanges the token of
// one long request; the verification cache serves its signature check.
func (e *env) exchangeWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	if e.o.exchangeClient == "" {
		return nil, fmt.Errorf("the token-exchange scenario needs --exchange-client ID:SECRET (gatehouse apps create --grant urn:ietf:params:oauth:grant-type:token-exchange)")
	}
	at, err := e.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	id, secret, _ := strings.Cut(e.o.exchangeClient, ":")
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {at},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "audience": {e.cc.id}, "scope": {"profile"},
		"client_id": {id}, "client_secret": {secret}}
	return func(ctx context.Context) error {
		var m map[string]any
		if err := e.do(ctx, http.MethodPost, e.o.url+"/oauth2/token", form, nil, &m); err != nil {
			return err
		}
		if m["access_token"] == nil {
			return fmt.Errorf("token exchange answered no access_token")
		}
		return nil
	}, nil
}
