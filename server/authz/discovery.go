package authz

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/server/apiauth"
	"gatehouse/server/oauth"
)

// renderDiscovery builds the OpenID Provider / RFC 8414 metadata once.
func (a *Server) renderDiscovery() ([]byte, error) {
	iss := a.IssuerURL
	methods := []string{"S256"}
	if a.AllowPlainPKCE {
		methods = append(methods, "plain")
	}
	m := map[string]any{
		"issuer":                                        iss,
		"authorization_endpoint":                        iss + "/oauth2/authorize",
		"token_endpoint":                                iss + "/oauth2/token",
		"userinfo_endpoint":                             iss + "/oauth2/userinfo",
		"jwks_uri":                                      iss + "/oauth2/jwks",
		"revocation_endpoint":                           iss + "/oauth2/revoke",
		"introspection_endpoint":                        iss + "/oauth2/introspect",
		"scopes_supported":                              a.Scopes.Names(),
		"response_types_supported":                      []string{"code", "token"},
		"response_modes_supported":                      []string{"query", "fragment", "form_post"},
		"grant_types_supported":                         oauth.GrantTypes(),
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         []string{"RS256", "ES256"},
		"token_endpoint_auth_methods_supported":         []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthNone},
		"revocation_endpoint_auth_methods_supported":    []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthNone},
		"introspection_endpoint_auth_methods_supported": []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost},
		"code_challenge_methods_supported":              methods,
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "at_hash", "sid",
			"name", "given_name", "family_name", "preferred_username", "picture", "updated_at", "email", "email_verified"},
		"prompt_values_supported":                        []string{"none", "login", "consent", "select_account"},
		"authorization_response_iss_parameter_supported": true,
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"device_authorization_endpoint":                  iss + "/oauth2/device_authorization",
		// OpenID Connect RP-Initiated and Back-Channel Logout 1.0.
		"end_session_endpoint":                 iss + "/oauth2/logout",
		"backchannel_logout_supported":         true,
		"backchannel_logout_session_supported": true,
	}
	if a.RegistrationEnabled {
		m["registration_endpoint"] = iss + "/oauth2/register"
	}
	if a.Metadata != nil {
		m["client_id_metadata_document_supported"] = true
	}
	return json.Marshal(m)
}

// wellKnown serves the pre-rendered discovery document.
func (a *Server) wellKnown(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, a.discovery)
}

// jwks serves the key set (pre-rendered by tokens.Keys, rebuilt on key
// changes only).
func (a *Server) jwks(c echo.Context) error {
	b, err := a.Keys.JWKS(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/jwk-set+json", b)
}

// userinfo is GET|POST /oauth2/userinfo (OIDC Core §5.3): the claims the
// access token's scopes allow.
func (a *Server) userinfo(c echo.Context) error {
	tok, ok := apiauth.BearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok && c.Request().Method == http.MethodPost && c.Request().ContentLength != 0 {
		// RFC 6750 §2.2: a form body, never the URL query.
		r, e := readRequest(c)
		if e != nil {
			return e.WithBearer()
		}
		tok, ok = r.get("access_token"), r.get("access_token") != ""
	}
	if !ok {
		return oauth.Unauthorized("", "An access token is required.")
	}
	m, err := a.claimsFor(c.Request().Context(), tok)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// claimsFor is the userinfo answer for an access token: the claims its
// scopes allow, or an RFC 6750 refusal.
func (a *Server) claimsFor(ctx context.Context, tok string) (map[string]any, error) {
	claims, err := a.verifyAccess(ctx, tok)
	if err != nil {
		return nil, oauth.Unauthorized("invalid_token", "The access token is invalid or expired.")
	}
	scope := oauth.ParseScope(claims.Scope)
	if !slices.Contains(scope, "openid") {
		return nil, oauth.InsufficientScope("openid", "The token lacks the openid scope.")
	}
	acct, e := a.activeAccount(ctx, claims.Subject)
	if e != nil {
		return nil, oauth.Unauthorized("invalid_token", "The account is unavailable.")
	}
	var groups []string
	if slices.Contains(scope, oauth.ScopeGroups) {
		if groups, err = a.accountGroups(ctx, acct.ID); err != nil {
			return nil, err
		}
	}
	m := userClaims(acct, scope, groups)
	m["sub"] = acct.ID
	return m, nil
}
