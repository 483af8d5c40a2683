package jwtapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/apiauth"
	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// refresh is POST /api/token-auth/refresh: a refresh token is rotated; a
// still-valid access token (what Lego's clients send) buys a new access
// token with the same auth_time, never past the sign-in's absolute lifetime.
func (a *api) refresh(c echo.Context) error {
	in, problem := readBody(c, "refresh_token", "token")
	if problem != "" {
		return apiError(http.StatusBadRequest, "invalid_request", problem)
	}
	switch {
	case in["refresh_token"] != "":
		return a.rotate(c, in["refresh_token"])
	case in["token"] != "":
		return a.renew(c, in["token"])
	}
	return apiError(http.StatusBadRequest, "invalid_request", "Missing fields: refresh_token (or token).")
}

func (a *api) rotate(c echo.Context, rt string) error {
	ctx := c.Request().Context()
	newRT, next, err := a.Refresher.Rotate(ctx, rt, tokens.RotateOptions{ClientID: ClientID})
	if errors.Is(err, tokens.ErrRefreshReused) {
		a.Audit.Record(ctx, store.AuditEvent{ID: store.NewID(), Time: a.Now(), Type: "oauth.refresh_reused", AccountID: next.AccountID,
			IP: c.RealIP(), Detail: store.Detail("client_id", ClientID)})
	}
	if err != nil {
		return a.refreshFailed(c, err)
	}
	acct, err := a.Store.GetAccount(ctx, next.AccountID)
	if err != nil || acct.Disabled {
		return apiError(http.StatusBadRequest, "invalid_grant", "The refresh token is invalid, expired or revoked.")
	}
	tok, exp, err := a.Issuer.IssueFirstParty(ctx, tokens.FirstPartyRequest{AccountID: next.AccountID,
		AuthTime: next.AuthTime, AMR: next.AMR, SignIn: tokens.SignInFamily(next.FamilyID)})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, tokenResponse{Token: tok, RefreshToken: newRT, ExpiresIn: int64(exp.Sub(a.Now()).Seconds()), TokenType: "Bearer"})
}

// refreshFailed answers a failed rotation: the client's failures in this
// API's shape (the words of tokens.RefreshError), anything else as a
// server failure.
func (a *api) refreshFailed(c echo.Context, err error) error {
	e := tokens.RefreshError(err)
	if e == nil {
		return err
	}
	if errors.Is(err, tokens.ErrRefreshReused) {
		a.Log.Warn("refresh token reuse: family revoked", "ip", c.RealIP())
	}
	return apiError(e.Status, e.Code, e.Description)
}

func (a *api) renew(c echo.Context, token string) error {
	claims, err := a.Issuer.VerifyAccess(c.Request().Context(), token, a.Audience)
	if err != nil || claims.ClientID != ClientID {
		return apiError(http.StatusBadRequest, "invalid_grant", "The token is invalid or expired.")
	}
	authTime := time.Unix(claims.AuthTime, 0)
	if claims.AuthTime == 0 || !a.Now().Before(authTime.Add(a.AbsoluteTTL)) {
		return apiError(http.StatusBadRequest, "invalid_grant", "The sign-in is too old; sign in again.")
	}
	if !a.signInAlive(c.Request().Context(), claims.SignIn, claims.Subject) {
		return apiError(http.StatusBadRequest, "invalid_grant", "The sign-in has ended (signed out, password changed or revoked); sign in again.")
	}
	acct, err := a.Store.GetAccount(c.Request().Context(), claims.Subject)
	if err != nil || acct.Disabled {
		return apiError(http.StatusBadRequest, "invalid_grant", "The token is invalid or expired.")
	}
	// The renewed token keeps how its sign-in authenticated.
	amr := ""
	if len(claims.AMR) > 0 {
		amr = claims.AMR[0]
	}
	return a.issue(c, acct.ID, authTime, amr, claims.SignIn, "")
}

// signInAlive reports whether the sign-in an access token names (its sid
// claim) still stands, so that logging out, changing the password or
// revoking the refresh family also ends renewal by access token. A token
// without one (from before the claim existed) cannot be renewed.
func (a *api) signInAlive(ctx context.Context, sid, accountID string) bool {
	kind, id, _ := strings.Cut(sid, ":")
	switch kind {
	case "s":
		s, err := a.Store.GetSession(ctx, id, a.Now())
		return err == nil && s.AccountID == accountID
	case "f":
		t, err := a.Store.GetRefreshToken(ctx, id)
		return err == nil && t.AccountID == accountID && t.RevokedAt == nil && a.Now().Before(t.FamilyExpiresAt)
	}
	return false
}

type identityView struct {
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

type meView struct {
	ID         string         `json:"id"`
	Username   string         `json:"username"`
	Email      string         `json:"email"`
	FullName   string         `json:"fullName"`
	FirstName  string         `json:"firstName"`
	LastName   string         `json:"lastName"`
	Identities []identityView `json:"identities"`
	// Groups: always for first-party tokens (an empty list when none);
	// for an app's token only when it was granted the groups scope, from
	// the token itself (no store read on the app's hot path).
	Groups []string `json:"groups,omitzero"`
}

// me is GET /api/v1/users/me/, shaped like Lego's profile.
func (a *api) me(c echo.Context) error {
	ctx := c.Request().Context()
	acct, err := a.Store.GetAccount(ctx, apiauth.Claims(c).Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Disabled) {
		return oauth.Unauthorized("invalid_token", "The account no longer exists.")
	}
	if err != nil {
		return err
	}
	ids, err := a.Store.ListIdentities(ctx, acct.ID)
	if err != nil {
		return err
	}
	v := meView{ID: acct.ID, Username: acct.Username, Email: acct.Email, FullName: acct.Name,
		FirstName: acct.GivenName, LastName: acct.FamilyName, Identities: []identityView{}}
	for _, id := range ids {
		v.Identities = append(v.Identities, identityView{Provider: id.Provider, Subject: id.Subject, Username: id.Username, Email: id.Email})
	}
	if v.Groups, err = a.meGroups(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// meGroups is the groups /api/v1/users/me/ shows: the account's, read
// from the store, for Gatehouse's own tokens; an app's token shows the
// groups it carries (nil, so none, without the groups scope).
func (a *api) meGroups(c echo.Context) ([]string, error) {
	claims := apiauth.Claims(c)
	if claims.ThirdParty() {
		return claims.Groups, nil
	}
	ms, err := a.Store.ListAccountGroups(c.Request().Context(), claims.Subject)
	if err != nil {
		return nil, err
	}
	return store.GroupNames(ms), nil
}
