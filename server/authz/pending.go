package authz

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// A request that needs the user to sign in or to decide is kept
// server-side as a store.AuthRequest row, so nothing of it travels through
// the sign-in (return paths are bounded) or the consent form (which
// carried every parameter, decision=approve included) but one random ID:
//
//	GET|POST /oauth2/authorize   row{hash(id), hash(browser cookie), params, login after}
//	                             302 /consent?request=id
//	GET /consent?request=id      no fresh enough session: 302 /login?return_to=/consent?request=id
//	                             consented before (and no prompt=consent): take the row, answer
//	                             otherwise the consent page, whose only field is the ID
//	POST /consent                decision from the body, exactly once; take the row (single
//	                             use); answer
//
// The ID is a bearer value that shows up in URLs, so the row stores its
// hash and is bound to the browser that made the request: it carries a
// random cookie (gatehouse_authz, HttpOnly, SameSite=Lax; __Host- with an https issuer) whose hash the
// row records, and only a browser presenting it may continue. A leaked ID
// therefore cannot be finished in another browser (the attacker's session
// approving the victim's request, or the reverse). The parameters are
// validated again on every use, against the client as it is then. A forced
// sign-in (prompt=login, max_age) is the row's LoginAfter, which no request
// parameter or direct post can change.

const bindingCookie = "gatehouse_authz"

// startPending stores r and sends the browser to continue it.
func (a *Server) startPending(c echo.Context, r *authRequest, loginAfter *time.Time) error {
	if !a.AuthorizeLimit.Allow(c) {
		return tooManyPage("Too many sign-in requests came from your network. Wait a few minutes and try again.")
	}
	id := tokens.RandomToken()
	now := a.Now()
	row := &store.AuthRequest{ID: tokens.HashToken(id), BrowserHash: tokens.HashToken(a.browserBinding(c)),
		ClientID: r.Client.ID, Params: r.Params.Encode(), LoginAfter: loginAfter, CreatedAt: now, ExpiresAt: now.Add(a.PendingTTL)}
	if err := a.Store.CreateAuthRequest(c.Request().Context(), row); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, continueURL(id))
}

func continueURL(id string) string { return "/consent?request=" + url.QueryEscape(id) }

// browserBinding returns this browser's binding value, making one (and
// setting the cookie) if it has none. One value serves every pending
// request of the browser, so several tabs work at once; the cookie lives
// as long as the newest request.
func (a *Server) browserBinding(c echo.Context) string {
	v := ""
	name := session.CookieName(bindingCookie, a.SecureCookies)
	if ck, err := c.Cookie(name); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 128 {
		v = ck.Value
	} else {
		v = tokens.RandomToken()
	}
	c.SetCookie(&http.Cookie{Name: name, Value: v, Path: "/", MaxAge: int(a.PendingTTL.Seconds()),
		HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
	return v
}

// pendingRequest is a pending row with its request validated again.
type pendingRequest struct {
	id  string // the raw ID, for the consent form and the sign-in return path
	row store.AuthRequest
	req *authRequest
}

// noPending is every failure to find a usable pending request: unknown,
// expired, already decided, or another browser's. One answer, no detail.
func noPending() error {
	return badRequestPage("This sign-in request is invalid, expired or was already used. Go back to the application and start again.")
}

// loadPending finds the pending request with id for this browser and
// validates its parameters again. It returns a *redirectError when the
// request is no longer valid for its client (the caller sends it).
func (a *Server) loadPending(c echo.Context, id string) (*pendingRequest, error) {
	if id == "" || len(id) > 128 {
		return nil, noPending()
	}
	row, err := a.Store.GetAuthRequest(c.Request().Context(), tokens.HashToken(id), a.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, noPending()
	}
	if err != nil {
		return nil, err
	}
	ck, err := c.Cookie(session.CookieName(bindingCookie, a.SecureCookies))
	if err != nil || subtle.ConstantTimeCompare([]byte(tokens.HashToken(ck.Value)), []byte(row.BrowserHash)) != 1 {
		return nil, noPending()
	}
	params, err := url.ParseQuery(row.Params)
	if err != nil {
		return nil, err
	}
	r, err := a.parseRequest(c.Request().Context(), params)
	if err != nil {
		return nil, err
	}
	return &pendingRequest{id: id, row: row, req: r}, nil
}

// signInFirst reports whether the browser must (again) sign in before
// the pending request goes on, and if so sends it there.
func (a *Server) signInFirst(c echo.Context, p *pendingRequest) (bool, error) {
	if !needsSignIn(session.FromContext(c), p.row.LoginAfter) {
		return false, nil
	}
	return true, c.Redirect(http.StatusFound, "/login?return_to="+url.QueryEscape(continueURL(p.id)))
}

// takePending spends the pending request: of concurrent decisions one wins.
func (a *Server) takePending(c echo.Context, p *pendingRequest) error {
	_, err := a.Store.TakeAuthRequest(c.Request().Context(), p.row.ID, a.Now())
	if errors.Is(err, store.ErrNotFound) {
		return noPending()
	}
	return err
}
