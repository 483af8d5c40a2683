package apps

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/apiauth"
	"gatehouse/server/audit"
	"gatehouse/server/oauth"
	"gatehouse/server/ratelimit"
	"gatehouse/store"
)

// Registration is RFC 7591 dynamic client registration at
// POST /oauth2/register (apps.registration): in token mode open only to
// holders of the initial access token (apps.registration_token); in open
// mode to anyone, but only for public native apps (loopback and
// private-use-scheme redirect URIs, RFC 8252), which cannot send people
// to a website. Registered clients are deleted when idle.
type Registration struct {
	Store  store.Store
	Scopes *oauth.Scopes
	Mode   string // config.Registration*: "token", "open", or "off" (404)
	Token  string // the initial access token in token mode
	Now    func() time.Time
	Audit  *audit.Writer

	// Limit bounds registrations (and token guesses) per client address;
	// nil: no limit.
	Limit *ratelimit.Limiter
}

// metadata is the RFC 7591 §2 subset Gatehouse understands; other fields
// are ignored.
type metadata struct {
	RedirectURIs            []string `json:"redirect_uris"`
	ClientName              string   `json:"client_name"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	Scope                   string   `json:"scope"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	// AllowedGroups is Gatehouse's own field, refused here rather than
	// ignored: an app that asks to be restricted must not believe it is.
	// Only operators restrict apps.
	AllowedGroups json.RawMessage `json:"allowed_groups,omitempty"`
	// OpenID Connect RP-Initiated and Back-Channel Logout 1.0 metadata.
	PostLogoutRedirectURIs           []string `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI             string   `json:"backchannel_logout_uri,omitempty"`
	BackchannelLogoutSessionRequired bool     `json:"backchannel_logout_session_required,omitempty"`
}

// Register mounts the endpoint.
func (r *Registration) Register(api *echo.Group) {
	api.POST("/oauth2/register", r.register)
}

func (r *Registration) register(c echo.Context) error {
	open := r.Mode == "open"
	if !open && (r.Mode != "token" || r.Token == "") {
		return &oauth.Error{Code: "not_found", Description: "Dynamic registration is disabled.", Status: http.StatusNotFound}
	}
	if !r.Limit.Allow(c) {
		return oauth.TooManyAttempts()
	}
	if !open {
		tok, ok := apiauth.BearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(r.Token)) != 1 {
			return oauth.Unauthorized("invalid_token", "A valid initial access token is required.")
		}
	}
	var md metadata
	// Unknown metadata is ignored (RFC 7591 §2: it MUST be), and the answer
	// lists only what was registered.
	if err := json.NewDecoder(io.LimitReader(c.Request().Body, 64<<10)).Decode(&md); err != nil {
		return oauth.InvalidClientMetadata("The body must be a JSON object of client metadata.")
	}
	if open {
		if e := md.openMode(); e != nil {
			return e
		}
	}
	spec, e := md.spec()
	if e != nil {
		return e
	}
	spec.Kind = store.ClientDynamic
	if err := Validate(&spec, r.Scopes); err != nil {
		if strings.Contains(err.Error(), "redirect-uri") {
			return oauth.InvalidRedirectURI(err.Error())
		}
		return oauth.InvalidClientMetadata(err.Error())
	}
	now := r.Now()
	var cl store.Client
	var secret string
	err := r.Audit.Change(c.Request().Context(), func(tx store.Store) (_ store.AuditEvent, err error) {
		cl, secret, err = Create(c.Request().Context(), tx, spec, r.Scopes, now)
		return Event(EventRegistered, cl.ID, "", ByRegistration, c.RealIP(), now), err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store") // the answer holds the client secret
	return c.JSON(http.StatusCreated, r.answer(cl, secret, md.TokenEndpointAuthMethod, now))
}

// openMode applies open registration's limits: a public client
// (token_endpoint_auth_method absent or none) whose redirect URIs are all
// loopback (http://127.0.0.1…) or private-use schemes (com.example.app:/cb).
func (md *metadata) openMode() *oauth.Error {
	switch md.TokenEndpointAuthMethod {
	case "":
		md.TokenEndpointAuthMethod = oauth.AuthNone
	case oauth.AuthNone:
	default:
		return oauth.InvalidClientMetadata("Open registration makes public clients only: token_endpoint_auth_method must be none.")
	}
	for _, u := range md.RedirectURIs {
		if !oauth.ValidRedirectURI(u) || strings.HasPrefix(strings.ToLower(u), "https:") {
			return oauth.InvalidRedirectURI("Open registration accepts only loopback (http://127.0.0.1:PORT/…) and private-use scheme (com.example.app:/…) redirect URIs; " + u + " is neither.")
		}
	}
	return nil
}

// spec maps the metadata onto a registration.
func (md metadata) spec() (Spec, *oauth.Error) {
	if md.AllowedGroups != nil {
		return Spec{}, oauth.InvalidClientMetadata("allowed_groups cannot be registered; an administrator sets it on /apps or with gatehouse apps.")
	}
	s := Spec{Name: md.ClientName, LogoURL: md.LogoURI, RedirectURIs: md.RedirectURIs, GrantTypes: md.GrantTypes,
		Scopes: strings.Fields(md.Scope), PostLogoutRedirectURIs: md.PostLogoutRedirectURIs, BackchannelLogoutURI: md.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: md.BackchannelLogoutSessionRequired}
	switch md.TokenEndpointAuthMethod {
	case "", oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost:
	case oauth.AuthNone:
		s.Public = true
	default:
		return Spec{}, oauth.InvalidClientMetadata("token_endpoint_auth_method must be client_secret_basic, client_secret_post or none.")
	}
	for _, rt := range md.ResponseTypes {
		if rt == "token" && !slices.Contains(s.GrantTypes, oauth.GrantImplicit) {
			s.GrantTypes = append(s.GrantTypes, oauth.GrantImplicit)
		} else if rt != "code" && rt != "token" {
			return Spec{}, oauth.InvalidClientMetadata("response_types may hold code and token.")
		}
	}
	if s.Name == "" {
		s.Name = "Unnamed app"
	}
	return s, nil
}

func (r *Registration) answer(cl store.Client, secret, method string, now time.Time) map[string]any {
	if method == "" {
		method = oauth.AuthClientSecretBasic
	}
	if cl.Public {
		method = oauth.AuthNone
	}
	m := map[string]any{"client_id": cl.ID, "client_id_issued_at": now.Unix(), "client_name": cl.Name,
		"redirect_uris": cl.RedirectURIs, "grant_types": cl.GrantTypes, "scope": oauth.JoinScope(cl.Scopes),
		"token_endpoint_auth_method": method}
	if secret != "" {
		m["client_secret"], m["client_secret_expires_at"] = secret, 0
	}
	if len(cl.PostLogoutRedirectURIs) > 0 {
		m["post_logout_redirect_uris"] = cl.PostLogoutRedirectURIs
	}
	if cl.BackchannelLogoutURI != "" {
		m["backchannel_logout_uri"], m["backchannel_logout_session_required"] = cl.BackchannelLogoutURI, cl.BackchannelLogoutSessionRequired
	}
	return m
}
