package pages

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/apitokens"
	"gatehouse/server/password"
	"gatehouse/server/ratelimit"
	"gatehouse/server/session"
	"gatehouse/server/signin"
	"gatehouse/store"
	"gatehouse/web"
)

// minPasswordLen is the shortest password the account page accepts (NIST
// SP 800-63B asks for at least 8).
const minPasswordLen = 8

// messages are the fixed notices the account page shows after an action;
// the query carries only a key, so nothing user-supplied is reflected.
var messages = map[string]string{
	"linked":   "The provider is now linked to your account.",
	"unlinked": "The provider was unlinked.",
	"password": "Your password was saved. Your other sessions are signed out and your refresh tokens revoked.",
	"revoked":  "The app's access was revoked.",
	"token":    "The API token was revoked.",
	"session":  "The session was signed out.",
}

// authorizedApp is one app the user granted access to.
type authorizedApp struct {
	ClientID, Name, Scope string
}

type accountData struct {
	web.Page
	Account          store.Account
	AMR              string
	Identities       []store.Identity
	Groups           []groupView
	Apps             []authorizedApp
	APITokens        []store.APIToken
	NewSecret        string // shown once, right after creation
	DefaultDays      int
	MaxDays          int
	Now              time.Time
	Linkable         []providerView
	PasswordsEnabled bool
	HasPassword      bool
	MinPasswordLen   int
	Message          string
	Sessions         []sessionView
}

// signedIn is session.Require for the account page.
func signedIn(c echo.Context) (*session.Current, error) { return session.Require(c, "/account") }

func (w *pages) account(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	return w.renderAccount(c, http.StatusOK, cur, messages[c.QueryParam("msg")])
}

func (w *pages) renderAccount(c echo.Context, status int, cur *session.Current, msg string) error {
	ids, err := w.d.Store.ListIdentities(c.Request().Context(), cur.Account.ID)
	if err != nil {
		return err
	}
	apps, err := w.authorizedApps(c, cur.Account.ID)
	if err != nil {
		return err
	}
	apiTokens, err := w.d.Store.ListAPITokens(c.Request().Context(), cur.Account.ID)
	if err != nil {
		return err
	}
	groups, err := w.groupViews(c, cur.Account.ID)
	if err != nil {
		return err
	}
	sessions, err := w.sessionViews(c, cur)
	if err != nil {
		return err
	}
	linked := map[string]bool{}
	for _, id := range ids {
		linked[id.Provider] = true
	}
	return w.d.Web.Render(c, status, "account", accountData{
		Page: web.PageFor(c), Account: cur.Account, AMR: cur.Session.AMR, Identities: ids, Groups: groups, Apps: apps, APITokens: apiTokens,
		NewSecret: newSecret(c), DefaultDays: int(w.d.APITokenDefaultTTL.Hours() / 24), MaxDays: int(w.d.APITokenMaxTTL.Hours() / 24), Now: w.d.Now(),
		Linkable: w.providerViews(linked), PasswordsEnabled: w.d.PasswordsEnabled,
		HasPassword: cur.Account.PasswordHash != "", MinPasswordLen: minPasswordLen, Message: msg, Sessions: sessions,
	})
}

// groupView is one of the account's groups and where it comes from:
// "local" (an administrator's) or the provider's name.
type groupView struct{ Name, Source string }

func (w *pages) groupViews(c echo.Context, accountID string) ([]groupView, error) {
	groups, err := w.d.Store.ListAccountGroups(c.Request().Context(), accountID)
	out := make([]groupView, len(groups))
	for i, g := range groups {
		out[i] = groupView{Name: g.Group, Source: strings.TrimPrefix(g.Source, store.ProviderSource(""))}
	}
	return out, err
}

// beginLink is POST /account/link/{provider}: a signed-in user adds an
// upstream identity. It is a POST (with CSRF) so another site cannot start it.
func (w *pages) beginLink(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	p, err := w.provider(c)
	if err != nil {
		return err
	}
	return w.redirectUpstream(c, p, "/account", cur.Account.ID)
}

// unlink is POST /account/identities/{id}/unlink. The store refuses to
// remove the last way into the account.
func (w *pages) unlink(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	err = w.change(c, func(tx store.Store) error {
		return tx.DeleteIdentity(c.Request().Context(), cur.Account.ID, c.Param("id"))
	}, "identity_unlinked", cur.Account.ID, store.Detail("identity_id", c.Param("id")))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return pageErr(http.StatusNotFound, "Not found", "That sign-in method is not linked to your account.", err)
	case errors.Is(err, store.ErrConflict):
		return pageErr(http.StatusConflict, "Cannot unlink",
			"This is your account's last way in. Link another provider or set a password first.", err)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusFound, "/account?msg=unlinked")
}

// recentSignIn is how fresh a sign-in must be to set a first password:
// with no current password to check, a session left open must not be
// enough to add a way into the account.
const recentSignIn = 10 * time.Minute

// setPassword is POST /account/password. A change (or a first password)
// ends the account's other sessions and its refresh tokens, and, when the
// user ticks revoke_api_tokens, its API tokens: whoever knew the old
// password is out.
func (w *pages) setPassword(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	if !w.d.PasswordsEnabled {
		return pageErr(http.StatusNotFound, "Page not found", "Passwords are not enabled.", nil)
	}
	acct, first := cur.Account, cur.Account.PasswordHash == ""
	if first && w.d.Now().Sub(cur.Session.AuthTime) > recentSignIn {
		return c.Redirect(http.StatusSeeOther, "/login?return_to="+url.QueryEscape("/account"))
	}
	if !first {
		if done, err := w.checkCurrentPassword(c, cur); done {
			return err
		}
	}
	pw := c.FormValue("new")
	if len(pw) < minPasswordLen {
		return w.renderAccount(c, http.StatusBadRequest, cur, "Choose a password of at least 8 characters.")
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return w.renderAccount(c, http.StatusBadRequest, cur, "That password cannot be used.")
	}
	acct.PasswordHash, acct.UpdatedAt = hash, w.d.Now()
	revokeAPI := c.FormValue("revoke_api_tokens") == "1"
	ctx := c.Request().Context()
	notices, err := w.d.Logout.AccountNotices(ctx, acct.ID, cur.Session.ID, w.d.Now()) // before the sessions go
	if err != nil {
		return err
	}
	err = w.change(c, func(tx store.Store) error {
		if err := tx.UpdateAccount(ctx, &acct); err != nil {
			return err
		}
		return tx.EndAccountAccess(ctx, acct.ID, cur.Session.ID, revokeAPI, w.d.Now())
	}, "password.changed", acct.ID, store.Detail("first", strconv.FormatBool(first), "api_tokens_revoked", strconv.FormatBool(revokeAPI)))
	if err != nil {
		return err
	}
	w.d.Logout.Send(notices)
	return c.Redirect(http.StatusFound, "/account?msg=password")
}

// checkCurrentPassword checks the form's current password through the
// sign-in service, so guesses count in the same rate limit as /login and
// the token API. done means the handler answers with err.
func (w *pages) checkCurrentPassword(c echo.Context, cur *session.Current) (done bool, err error) {
	_, ok, err := w.d.Signin.CheckPassword(c.Request().Context(), cur.Account.Username, c.FormValue("current"), c.RealIP())
	switch {
	case errors.Is(err, signin.ErrRateLimited):
		ratelimit.SetRetryAfter(c, w.d.Signin.RetryAfter())
		return true, w.renderAccount(c, http.StatusTooManyRequests, cur, "Too many password attempts. Wait a few minutes and try again.")
	case err != nil:
		return true, err
	case !ok:
		w.audit(c, "password_change_failed", cur.Account.ID, "pwd", store.Detail("reason", "bad_current_password"))
		return true, w.renderAccount(c, http.StatusBadRequest, cur, "Your current password was not right.")
	}
	return false, nil
}

func (w *pages) authorizedApps(c echo.Context, accountID string) ([]authorizedApp, error) {
	ctx := c.Request().Context()
	consents, err := w.d.Store.ListConsents(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]authorizedApp, 0, len(consents))
	for _, cons := range consents {
		cl, err := w.d.Store.GetClient(ctx, cons.ClientID)
		if err != nil {
			return nil, err
		}
		out = append(out, authorizedApp{ClientID: cl.ID, Name: cl.Name, Scope: cons.Scope})
	}
	return out, nil
}

// revokeApp is POST /account/apps/{client}/revoke: the consent goes, and
// with it the app's refresh tokens for this user.
func (w *pages) revokeApp(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	err = w.change(c, func(tx store.Store) error {
		return tx.RevokeConsent(c.Request().Context(), cur.Account.ID, c.Param("client"), w.d.Now())
	}, "consent_revoked", cur.Account.ID, store.Detail("client_id", c.Param("client")))
	if errors.Is(err, store.ErrNotFound) {
		return pageErr(http.StatusNotFound, "Not found", "You have not authorized that app.", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, "/account?msg=revoked")
}

const newSecretKey = "gatehouse.new_api_secret"

func newSecret(c echo.Context) string { s, _ := c.Get(newSecretKey).(string); return s }

// createAPIToken is POST /account/api-tokens: a named token with a lifetime
// in days (default and maximum from config). The secret is shown once.
func (w *pages) createAPIToken(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	days := int(w.d.APITokenDefaultTTL.Hours() / 24)
	if v := c.FormValue("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil {
			days = -1
		}
	}
	maxDays := int(w.d.APITokenMaxTTL.Hours() / 24)
	if name == "" || len(name) > 100 || days < 1 || days > maxDays {
		return w.renderAccount(c, http.StatusBadRequest, cur, fmt.Sprintf("Give the token a name (at most 100 characters) and a lifetime of 1 to %d days.", maxDays))
	}
	var secret string
	err = w.d.Audit.Change(c.Request().Context(), func(tx store.Store) (store.AuditEvent, error) {
		t, s, err := apitokens.Issue(c.Request().Context(), tx, cur.Account.ID, name, time.Duration(days)*24*time.Hour, w.d.Now())
		secret = s
		return w.event(c, "api_token_created", cur.Account.ID, "", store.Detail("token_id", t.ID)), err
	})
	if err != nil {
		return err
	}
	c.Set(newSecretKey, secret)
	return w.renderAccount(c, http.StatusOK, cur, "API token created. Copy the secret now: it is shown only once.")
}

// revokeAPIToken is POST /account/api-tokens/{id}/revoke.
func (w *pages) revokeAPIToken(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	err = w.change(c, func(tx store.Store) error {
		return tx.RevokeAPIToken(c.Request().Context(), cur.Account.ID, c.Param("id"), w.d.Now())
	}, "api_token_revoked", cur.Account.ID, store.Detail("token_id", c.Param("id")))
	if errors.Is(err, store.ErrNotFound) {
		return pageErr(http.StatusNotFound, "Not found", "You have no live API token with that ID.", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, "/account?msg=token")
}
