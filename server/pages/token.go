package pages

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
)

// sessionToken is POST /account/token: how a first-party web app served on
// Gatehouse's own origin turns the browser's session into API tokens. It
// sits behind the page CSRF check (X-CSRF-Token header or a same-origin
// Sec-Fetch-Site), and /account has no CORS, so other sites cannot call it.
// The answer has the shape of POST /api/token-auth/.
func (w *pages) sessionToken(c echo.Context) error {
	cur := session.FromContext(c)
	if cur == nil {
		return oauth.Unauthorized("", "Sign in first.")
	}
	ctx := c.Request().Context()
	s := cur.Session
	tok, exp, err := w.d.Issuer.IssueFirstParty(ctx, tokens.FirstPartyRequest{AccountID: cur.Account.ID,
		AuthTime: s.AuthTime, AMR: s.AMR, SignIn: tokens.SignInSession(s.ID)}) // renewable while the session lasts
	if err != nil {
		return err
	}
	rt, _, err := w.d.Refresher.Issue(ctx, tokens.Grant{AccountID: cur.Account.ID, ClientID: tokens.FirstPartyClientID,
		AMR: s.AMR, AuthTime: s.AuthTime})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"token": tok, "refresh_token": rt,
		"expires_in": int64(exp.Sub(w.d.Now()).Seconds()), "token_type": "Bearer"})
}
