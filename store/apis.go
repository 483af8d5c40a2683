package store

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"
)

// API is a resource server that apps ask tokens for (RFC 8707): an access
// token issued for it has aud = Identifier and only the scopes it defines.
type API struct {
	ID string
	// Identifier is the resource indicator: an absolute URI (CheckAPIIdentifier).
	Identifier string
	Name       string
	Scopes     []APIScope
	// AccessTTL is the lifetime of access tokens for this API; 0 = the
	// server's default.
	AccessTTL time.Duration
	// SecretHash is the SHA-256 (hex) of the API's introspection secret:
	// the API authenticates at /oauth2/introspect with its Identifier as
	// client_id. "" = no introspection.
	SecretHash string
	CreatedAt  time.Time
}

// APIScope is one scope an API defines; Description is shown on consent.
type APIScope struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Scope returns the API's scope called name.
func (a API) Scope(name string) (APIScope, bool) {
	for _, s := range a.Scopes {
		if s.Name == name {
			return s, true
		}
	}
	return APIScope{}, false
}

// APIs stores the registered APIs.
type APIs interface {
	// CreateAPI inserts a; ErrAlreadyExists if the ID or Identifier is taken.
	CreateAPI(ctx context.Context, a *API) error
	// GetAPI returns the API whose Identifier is identifier; ErrNotFound.
	GetAPI(ctx context.Context, identifier string) (API, error)
	// ListAPIs returns every API by Identifier (byte order).
	ListAPIs(ctx context.Context) ([]API, error)
	// UpdateAPI overwrites Name, Scopes and AccessTTL of the API with
	// a.Identifier (never its ID, secret or creation time); ErrNotFound.
	UpdateAPI(ctx context.Context, a *API) error
	// DeleteAPI removes the API with identifier; ErrNotFound. Tokens
	// already issued for it stay valid until they expire; refreshes for
	// it are refused (the resource is unknown).
	DeleteAPI(ctx context.Context, identifier string) error
}

// CheckAPIIdentifier says why id cannot identify an API, or nil: an
// absolute https URI without fragment (RFC 8707 §2), or http for a
// loopback host (development).
func CheckAPIIdentifier(id string) error {
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("API identifier %q is not an absolute URI", id)
	case u.Fragment != "" || u.RawFragment != "":
		return fmt.Errorf("API identifier %q has a fragment", id)
	case u.User != nil:
		return fmt.Errorf("API identifier %q has user information", id)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("API identifier %q must be https (http only for 127.0.0.1, [::1] or localhost)", id)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
