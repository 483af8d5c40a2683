// Package jwtapi is the first-party JWT token-auth API of seed 000:
//
//	POST /api/token-auth/          username + password → {"token", "refresh_token", "expires_in", "token_type"}
//	POST /api/token-auth/refresh   refresh_token (or a still-valid token) → the same shape
//	GET  /api/v1/users/me/         the signed-in user (Bearer or JWT scheme)
//
// Bodies are JSON, urlencoded or multipart forms. First-party tokens have
// aud = the issuer and client_id "gatehouse". /api/v1/users/me/ also takes
// personal API tokens, and apps' tokens that hold the profile scope.
package jwtapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/apiauth"
	"gatehouse/server/audit"
	"gatehouse/server/oauth"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// ClientID is the client_id of first-party tokens.
const ClientID = tokens.FirstPartyClientID

// Deps is what the API needs.
type Deps struct {
	Store     store.Store
	Signin    *signin.Service
	Issuer    *tokens.Issuer
	Refresher *tokens.Refresher
	// Verifier checks the tokens of protected endpoints (JWTs and API tokens).
	Verifier         apiauth.Verifier
	Audience         string // our issuer URL
	PasswordsEnabled bool
	AbsoluteTTL      time.Duration // no token outlives its sign-in by more
	Now              func() time.Time
	Log              *slog.Logger
	Audit            *audit.Writer
}

type api struct{ Deps }

// Register mounts the API on g.
func Register(g *echo.Group, d Deps) {
	a := &api{d}
	g.POST("/api/token-auth/", a.tokenAuth)
	g.POST("/api/token-auth/refresh", a.refresh)
	g.GET("/api/v1/users/me/", a.me, apiauth.FirstPartyAPI(d.Verifier, d.Audience, a.knownClient))
}

// knownClient reports whether an app is still registered (its tokens die
// with it).
func (a *api) knownClient(ctx context.Context, id string) bool {
	_, err := a.Store.GetClient(ctx, id)
	return err == nil
}

// tokenResponse is the seed's {"token": …} plus what OAuth clients expect.
type tokenResponse struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// apiError is the API's error answer: {"error", "error_description"},
// written by the server's error handler.
func apiError(status int, code, desc string) *oauth.Problem {
	return &oauth.Problem{Status: status, Body: map[string]string{"error": code, "error_description": desc}}
}

var errInvalidCredentials = "Unable to log in with provided credentials."

func (a *api) tokenAuth(c echo.Context) error {
	if !a.PasswordsEnabled {
		return apiError(http.StatusForbidden, "passwords_disabled", "Password sign-in is disabled on this server.")
	}
	in, problem := readBody(c, "username", "password")
	if problem != "" {
		return apiError(http.StatusBadRequest, "invalid_request", problem)
	}
	if missing := missingFields(in, "username", "password"); missing != "" {
		return apiError(http.StatusBadRequest, "invalid_request", "Missing fields: "+missing+".")
	}
	acct, ok, err := a.Signin.CheckPassword(c.Request().Context(), in["username"], in["password"], c.RealIP())
	if errors.Is(err, signin.ErrRateLimited) {
		e := apiError(http.StatusTooManyRequests, "rate_limited", "Too many attempts; try again later.")
		e.RetryAfter = a.Signin.RetryAfter()
		return e
	}
	if err != nil {
		return err
	}
	if !ok {
		a.audit(c, "token_auth_failed", acct.ID)
		return apiError(http.StatusBadRequest, "invalid_credentials", errInvalidCredentials)
	}
	a.audit(c, "token_auth", acct.ID)
	rt, fam, err := a.Refresher.Issue(c.Request().Context(), tokens.Grant{AccountID: acct.ID, ClientID: ClientID, AMR: "pwd", AuthTime: a.Now()})
	if err != nil {
		return err
	}
	return a.issue(c, acct.ID, a.Now(), "pwd", tokens.SignInFamily(fam.FamilyID), rt)
}

// issue answers with a new access token of the sign-in signIn (which
// authenticated with amr at authTime), and the refresh token rt if not "".
func (a *api) issue(c echo.Context, accountID string, authTime time.Time, amr, signIn, rt string) error {
	tok, exp, err := a.Issuer.IssueFirstParty(c.Request().Context(), tokens.FirstPartyRequest{AccountID: accountID,
		AuthTime: authTime, AMR: amr, SignIn: signIn})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, tokenResponse{Token: tok, RefreshToken: rt, ExpiresIn: int64(exp.Sub(a.Now()).Seconds()), TokenType: "Bearer"})
}

func (a *api) audit(c echo.Context, typ, accountID string) {
	a.Audit.Record(c.Request().Context(), store.AuditEvent{ID: store.NewID(), Time: a.Now(), Type: typ, AccountID: accountID, Provider: "pwd", IP: c.RealIP()})
}

// readBody reads the named string fields from a JSON object or a form.
// problem is a message for the client when the body is unusable.
func readBody(c echo.Context, fields ...string) (in map[string]string, problem string) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch ct {
	case "application/json":
		var m map[string]any
		dec := json.NewDecoder(io.LimitReader(c.Request().Body, 64<<10))
		if err := dec.Decode(&m); err != nil {
			return nil, "The body is not a JSON object."
		}
		for _, f := range fields {
			if v, ok := m[f]; ok {
				s, isStr := v.(string)
				if !isStr {
					return nil, "Field " + f + " must be a string."
				}
				out[f] = s
			}
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		for _, f := range fields {
			out[f] = c.FormValue(f)
		}
	default:
		return nil, "Send JSON (application/json) or a form."
	}
	return out, ""
}

func missingFields(in map[string]string, fields ...string) string {
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(in[f]) == "" {
			missing = append(missing, f)
		}
	}
	return strings.Join(missing, ", ")
}
