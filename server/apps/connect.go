package apps

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gatehouse/store"
)

// Connect is the "Connect your app" section of /apps/{id}: where the
// server is, and snippets for common relying parties filled with the app's
// values. The snippets are plain text (text/template); the page escapes
// them like any other value. Shell snippets quote every value with sh and
// code snippets with q, because app names and redirect URIs are whatever
// the app's owner typed, and an operator may paste them.
type Connect struct {
	Issuer    string
	Discovery string
	Endpoints []Endpoint
	Snippets  []Snippet
}

// Endpoint is one URL from the discovery document.
type Endpoint struct {
	Name string // metadata name, e.g. "token_endpoint"
	URL  string
}

// Snippet is one ready-to-paste configuration.
type Snippet struct {
	ID    string // the element id: snippet-{ID}
	Title string
	Text  string
}

// endpointOrder is the order the page lists the usual endpoints in; any
// others (end_session_endpoint, registration_endpoint) follow by name.
var endpointOrder = []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
	"revocation_endpoint", "introspection_endpoint", "device_authorization_endpoint"}

// snippetValues is what the snippet templates see.
type snippetValues struct {
	Issuer, Discovery, ClientID, RedirectURI string
	Public                                   bool
	Endpoints                                map[string]string
}

// NewConnect fills the section for cl. endpoints is the discovery
// document's URLs (authz.Server.Endpoints).
func NewConnect(issuer string, endpoints map[string]string, cl store.Client) (Connect, error) {
	c := Connect{Issuer: issuer, Discovery: issuer + "/.well-known/openid-configuration"}
	names := slices.SortedFunc(maps.Keys(endpoints), func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
	for _, n := range names {
		c.Endpoints = append(c.Endpoints, Endpoint{Name: n, URL: endpoints[n]})
	}
	v := snippetValues{Issuer: issuer, Discovery: c.Discovery, ClientID: cl.ID, Public: cl.Public, Endpoints: endpoints}
	if len(cl.RedirectURIs) > 0 {
		v.RedirectURI = cl.RedirectURIs[0]
	}
	for _, s := range snippets {
		var b bytes.Buffer
		if err := s.tmpl.Execute(&b, v); err != nil {
			return Connect{}, fmt.Errorf("snippet %s: %w", s.id, err)
		}
		c.Snippets = append(c.Snippets, Snippet{ID: s.id, Title: s.title, Text: b.String()})
	}
	return c, nil
}

func rank(name string) int {
	if i := slices.Index(endpointOrder, name); i >= 0 {
		return i
	}
	return len(endpointOrder)
}

// sh quotes s for a POSIX shell: a single-quoted word, each ' closed,
// escaped and reopened. Words of only safe characters stay bare.
func sh(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// q quotes s as a JSON string, which is also a valid Go, JavaScript and
// TOML string literal.
func q(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the page escapes; keep the snippet readable
	_ = enc.Encode(s)        // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
