package pages

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/teams"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// inviteCookie carries an invite from its link through the upstream round
// trip to the sign-in callback (both under /login/), so the token never
// rides in another URL. HttpOnly and SameSite=Lax: the callback is a
// top-level navigation back from the upstream.
const inviteCookie = "gatehouse_invite"

// inviteCookieMaxAge bounds how long an opened link waits for its
// sign-in; opening the link again starts a new wait.
const inviteCookieMaxAge = time.Hour

// invitePage is GET /invite/{token}, the link the CLI and /admin/invites
// print: a usable invite shows the sign-in page, remembered by this
// browser until a sign-in spends it.
func (w *pages) invitePage(c echo.Context) error {
	token := c.Param("token")
	inv, ok, err := w.findInvite(c, token)
	if err != nil {
		return err
	}
	if !ok {
		// One answer for unknown, expired, redeemed and revoked: the page
		// tells nobody which links once existed.
		return pageErr(http.StatusGone, "Invite not valid",
			"This invite link is not valid: it may have expired, been used already or been revoked. Ask an administrator for a new one.", nil)
	}
	maxAge := min(inv.ExpiresAt.Sub(w.d.Now()), inviteCookieMaxAge)
	w.setInviteCookie(c, token, int(maxAge.Seconds()))
	return w.renderLoginWith(c, http.StatusOK, loginData{Invited: true})
}

// findInvite returns the invite whose token is token, and whether it is
// still pending. One indexed lookup: anyone may call /invite/{token}.
func (w *pages) findInvite(c echo.Context, token string) (store.Invite, bool, error) {
	if token == "" || len(token) > 200 {
		return store.Invite{}, false, nil
	}
	inv, err := w.d.Store.GetInviteByTokenHash(c.Request().Context(), tokens.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Invite{}, false, nil
	}
	if err != nil {
		return store.Invite{}, false, err
	}
	return inv, teams.Status(inv, w.d.Now()) == teams.Pending, nil
}

func (w *pages) setInviteCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: inviteCookie, Value: value, Path: "/login/", MaxAge: maxAge,
		HttpOnly: true, Secure: w.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// inviteHash is the hash of the invite this browser carries, or "".
func inviteHash(c echo.Context) string {
	ck, err := c.Cookie(inviteCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 200 {
		return ""
	}
	return tokens.HashToken(ck.Value)
}
