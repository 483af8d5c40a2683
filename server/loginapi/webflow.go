package loginapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"gatehouse/providers"
	"gatehouse/server/oauth"
	"gatehouse/server/signin"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// webAuthorize is GET /v1/login/oauth2/web/authorize?provider=&redirect=.
func (a *api) webAuthorize(c echo.Context) error {
	if !a.StartLimit.Allow(c) {
		return tooMany()
	}
	name, redirect := c.QueryParam("provider"), c.QueryParam("redirect")
	var problems []string
	p, ok := a.Providers[name]
	switch {
	case name == "":
		problems = append(problems, "provider is required")
	case !ok:
		problems = append(problems, "provider "+quote(name)+" is not configured")
	}
	if redirect != "" && !a.allowedRedirect(redirect) {
		problems = append(problems, "redirect is not in login_api.redirect_allowlist")
	}
	if len(problems) > 0 {
		return badRequest(problems...)
	}
	state := tokens.RandomToken()
	start, err := p.BeginAuth(c.Request().Context(), state, a.webCallbackURL(name))
	if err != nil {
		return a.upstreamFailed(name, err)
	}
	now := a.Now()
	ls := &store.LoginState{ID: tokens.HashToken(state), Provider: name, Session: start.Session, Redirect: redirect,
		CreatedAt: now, ExpiresAt: now.Add(a.StateTTL)}
	if err := a.Store.CreateLoginState(c.Request().Context(), ls); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"url": start.URL, "state": state})
}

// webCallbackURL is where the upstream sends the browser back in the web
// flow (webCallback).
func (a *api) webCallbackURL(provider string) string {
	return providers.WebCallbackURL(a.IssuerURL, provider)
}

// allowedRedirect: an allowlisted URL, matched by the one redirect matcher
// of the authorization server; a loopback URL may differ from an
// allowlisted loopback URL in its port only (CLIs listen on any free port
// and are native apps, RFC 8252 §7.3).
func (a *api) allowedRedirect(r string) bool {
	_, ok := oauth.MatchRedirect(a.RedirectAllowlist, r, true)
	return ok
}

type messageData struct {
	web.Page
	Title, Message string
}

// page answers the browser with a short page.
func (a *api) page(c echo.Context, status int, title, msg string) error {
	return a.Web.Render(c, status, "message", messageData{Page: web.PageFor(c), Title: title, Message: msg})
}

// webCallback is GET /v1/login/oauth2/web/callback/{provider}: the browser
// returns from the upstream. The state (unguessable, single use) names the
// flow; the CLI polls for the result.
func (a *api) webCallback(c echo.Context) error {
	name := c.Param("provider")
	p, ok := a.Providers[name]
	state := c.QueryParam("state")
	if !ok || state == "" {
		return a.page(c, http.StatusBadRequest, "Sign-in failed", "This sign-in link is invalid.")
	}
	ctx := c.Request().Context()
	ls, err := a.Store.TakeLoginSession(ctx, tokens.HashToken(state), a.Now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && ls.Provider != name) {
		return a.page(c, http.StatusBadRequest, "Sign-in failed", "This sign-in link is invalid, expired or was already used. Start again from your terminal.")
	}
	if err != nil {
		return err
	}
	uctx, cancel := a.upstreamCtx(c)
	defer cancel()
	id, err := p.Complete(uctx, ls.Session, c.QueryParams(), a.webCallbackURL(name))
	if err != nil {
		a.Log.Warn("login API web flow: upstream failed", "provider", name, "err", err)
		return a.page(c, http.StatusBadGateway, "Sign-in failed", "The sign-in with "+p.DisplayName()+" did not complete. Start again from your terminal.")
	}
	ans, err := a.issueFor(c, name, id, "login API (web flow)")
	if title, msg, ok := signin.Refusal(err); ok {
		return a.page(c, http.StatusForbidden, title, msg)
	}
	if errors.Is(err, signin.ErrDisabled) {
		return a.page(c, http.StatusForbidden, "Account disabled", disabledMsg)
	}
	if err != nil {
		return err
	}
	// The token is held back until this browser confirms: a link to this
	// flow sent to a victim would otherwise deliver the victim's token to
	// whoever started it. The nonce reaches only this browser.
	nonce := tokens.RandomToken()
	raw, _ := json.Marshal(ans)
	if err := a.Store.SetLoginResult(ctx, ls.ID, a.Sealer.Seal("login-api-web:"+ls.ID, raw), tokens.HashToken(nonce)); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return a.Web.Render(c, http.StatusOK, "cliconfirm", confirmData{Page: web.PageFor(c), Username: firstNonEmpty(id.Username, id.Email, id.Subject),
		Provider: p.DisplayName(), Hidden: web.Hidden("flow", ls.ID, "nonce", nonce)})
}

// confirmData is the confirmation page: the form carries only the flow
// and its nonce.
type confirmData struct {
	web.Page
	Username, Provider string
	Hidden             []web.HiddenField // the flow and this browser's nonce
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// webConfirm is POST /v1/login/oauth2/web/confirm: the browser that did the
// sign-in (it alone has the nonce) releases or cancels the token for the
// polling CLI. After a release it goes to the redirect stored with the
// state at /web/authorize (checked against the allowlist there), never to
// one from the form.
func (a *api) webConfirm(c echo.Context) error {
	flow, hash := c.FormValue("flow"), tokens.HashToken(c.FormValue("nonce"))
	if c.FormValue("decision") != "approve" {
		return a.webCancel(c, flow, hash)
	}
	ls, err := a.Store.ConfirmLogin(c.Request().Context(), flow, hash, a.Now())
	if errors.Is(err, store.ErrNotFound) {
		return a.page(c, http.StatusBadRequest, "Sign-in failed", "This confirmation is invalid, expired or was already used.")
	}
	if err != nil {
		return err
	}
	// Checked again: the allowlist may have shrunk since (a restart).
	if ls.Redirect != "" && a.allowedRedirect(ls.Redirect) {
		return c.Redirect(http.StatusFound, ls.Redirect)
	}
	return a.page(c, http.StatusOK, "Signed in", "You are signed in. You may close this window and return to your terminal.")
}

// webCancel drops the held-back result and revokes the API token minted
// at the callback, in one transaction: a cancelled sign-in leaves no live
// token, and the poll learns only that the state is gone.
func (a *api) webCancel(c echo.Context, flow, hash string) error {
	ctx := c.Request().Context()
	err := a.Store.InTx(ctx, func(tx store.Store) error {
		sealed, err := tx.CancelLogin(ctx, flow, hash)
		if err != nil {
			return err
		}
		raw, err := a.Sealer.Open("login-api-web:"+flow, sealed)
		if err != nil {
			return err
		}
		var ans tokenAnswer
		if err := json.Unmarshal(raw, &ans); err != nil {
			return err
		}
		err = tx.RevokeAPIToken(ctx, ans.Data.AccountID, ans.Data.ID, a.Now())
		if errors.Is(err, store.ErrNotFound) {
			return nil // revoked already (the account page)
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return a.page(c, http.StatusBadRequest, "Sign-in failed", "This confirmation is invalid, expired or was already used.")
	}
	if err != nil {
		return err
	}
	return a.page(c, http.StatusOK, "Cancelled", "The command-line tool was not signed in.")
}

// webPoll is GET /v1/login/oauth2/web/poll?state=: the token exactly once.
func (a *api) webPoll(c echo.Context) error {
	state := c.QueryParam("state")
	if state == "" {
		return badRequest("state is required")
	}
	id := tokens.HashToken(state)
	sealed, err := a.Store.TakeLoginResult(c.Request().Context(), id, a.Now())
	switch {
	case errors.Is(err, store.ErrConflict):
		return badRequest("authorization_pending: the user has not finished signing in; poll again")
	case errors.Is(err, store.ErrTokenReused):
		return badRequest("the token for this state was already handed out")
	case errors.Is(err, store.ErrNotFound):
		return badRequest("expired_token: unknown or expired state; start again")
	case err != nil:
		return err
	}
	raw, err := a.Sealer.Open("login-api-web:"+id, sealed)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSONBlob(http.StatusOK, raw)
}
