package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/cimd"
	"gatehouse/store"
)

func docApp(ts *testServer, d *docServer) *oauth2.Config {
	return &oauth2.Config{ClientID: d.URL(), RedirectURL: appRedirect, Scopes: []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: ts.URL + "/oauth2/authorize", TokenURL: ts.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// An app known only by its metadata document signs a user in with
// x/oauth2 + PKCE: consent names its host, the tokens are addressed to
// the URL, and the client is recorded with its first and last use.
func TestMetadataDocumentCodeFlow(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, cimdOn, d, cimd.Options{AllowPrivate: true})
	conf := docApp(ts, d)
	b := signedInAgent(t, ts)
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)

	verifier := oauth2.GenerateVerifier()
	resp, body := get(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	require.Equal(t, "/consent", resp.Request.URL.Path, body)
	host := strings.TrimPrefix(d.srv.URL, "https://")
	require.Contains(t, body, host+"</strong> — not registered with this Gatehouse")
	require.Contains(t, body, d.URL())

	back := authorize(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "approve")
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	require.Equal(t, []any{d.URL()}, jwtClaims(t, tok.AccessToken)["aud"])
	require.Equal(t, d.URL(), jwtClaims(t, tok.Extra("id_token").(string))["aud"])
	require.NotEmpty(t, tok.RefreshToken)

	expired := *tok
	expired.Expiry, expired.AccessToken = ts.Clock.Now().Add(-1), ""
	_, err = conf.TokenSource(ctx, &expired).Token()
	require.NoError(t, err, "refresh as a public client")

	cl, err := ts.Store.GetClient(context.Background(), d.URL())
	require.NoError(t, err)
	require.Equal(t, store.ClientMetadataDocument, cl.Kind)
	require.True(t, cl.Public)
	require.True(t, cl.LastUsedAt.Equal(ts.Clock.Now()), "last use recorded: %v", cl.LastUsedAt)

	_, disc := get(t, browser(t), ts.URL+"/.well-known/openid-configuration")
	require.Contains(t, disc, `"client_id_metadata_document_supported":true`)

	// Administrators see it apart from the registered apps.
	root := addUser(t, ts, "root", "root password")
	yes := true
	require.NoError(t, ts.Store.SetAccountFlags(context.Background(), root.ID, store.AccountFlags{IsAdmin: &yes}, ts.Clock.Now()))
	admin, _ := signIn(t, ts, "root", "root password")
	_, page := get(t, admin, ts.URL+"/admin/apps")
	require.Contains(t, page, "Metadata-document clients seen")
	docs := page[strings.Index(page, "Metadata-document clients seen"):]
	require.Contains(t, docs, "<td>Doc App</td><td><code>"+d.URL()+"</code>")
}

// Such a client is public: no PKCE (or plain) is refused, and a secret
// is refused at the token endpoint.
func TestMetadataDocumentClientIsPublic(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, cimdOn+"oauth:\n  allow_plain_pkce: true\n", d, cimd.Options{AllowPrivate: true})
	conf := docApp(ts, d)
	b := signedInAgent(t, ts)
	resp, body := get(t, b, conf.AuthCodeURL("st"))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "invalid_request", "no PKCE")
	resp, _ = get(t, b, conf.AuthCodeURL("st", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
		oauth2.SetAuthURLParam("code_challenge_method", "plain")))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "plain PKCE refused even where allowed")

	resp, body = postForm(t, browser(t), ts.URL+"/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {"x"}, "client_id": {d.URL()}, "client_secret": {"s"}, "redirect_uri": {appRedirect}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	require.Contains(t, body, "invalid_client")
}

// The document server is on 127.0.0.1: outside dev mode the fetch is
// refused at dial time, at /oauth2/authorize and /oauth2/token alike.
func TestMetadataDocumentPrivateAddressRefused(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, cimdOn, d, cimd.Options{AllowPrivate: false})
	conf := docApp(ts, d)
	resp, body := get(t, signedInAgent(t, ts), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "non-public address")
	resp, body = postForm(t, browser(t), ts.URL+"/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {"x"}, "client_id": {d.URL()}, "redirect_uri": {appRedirect}, "code_verifier": {strings.Repeat("v", 43)}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	require.Contains(t, body, "non-public address")
	require.Zero(t, d.fetches.Load(), "no request reached the document server")
}

// Off (the default), an https client_id is an unknown client, even when a
// row for it remains from when it was on.
func TestMetadataDocumentsOff(t *testing.T) {
	d := newDocServer(t)
	ts := startCIMDServer(t, mockOnly, d, cimd.Options{AllowPrivate: true})
	require.NoError(t, ts.Store.CreateClient(context.Background(), &store.Client{ID: d.URL(), Name: "left over",
		RedirectURIs: []string{appRedirect}, GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}, Public: true,
		IDTokenAlg: "RS256", Kind: store.ClientMetadataDocument, CreatedAt: ts.Clock.Now(), UpdatedAt: ts.Clock.Now()}))
	conf := docApp(ts, d)
	resp, body := get(t, signedInAgent(t, ts), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "not registered with this server")
	require.Zero(t, d.fetches.Load())
	_, disc := get(t, browser(t), ts.URL+"/.well-known/openid-configuration")
	require.NotContains(t, disc, "client_id_metadata_document_supported")
}
