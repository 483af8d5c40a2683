package authz

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// Device flow (RFC 8628) timings.
const (
	deviceTTL      = 10 * time.Minute
	deviceInterval = 5 * time.Second
)

// userCodeAlphabet has no vowels (no words) and no look-alikes (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

func newUserCode() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("authz: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b)
}

// normalizeUserCode accepts what people type: any case, dashes, spaces.
func normalizeUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

func formatUserCode(c string) string {
	if len(c) != 8 {
		return c
	}
	return c[:4] + "-" + c[4:]
}

// deviceAuthorization is POST /oauth2/device_authorization (RFC 8628 §3.1).
func (a *Server) deviceAuthorization(c echo.Context) error {
	if !a.DeviceLimit.Allow(c) {
		return oauth.TooManyAttempts()
	}
	r, e := readRequest(c)
	if e != nil {
		return e
	}
	resp, e := a.startDevice(c.Request().Context(), r)
	if e != nil {
		return e
	}
	return noStoreJSON(c, resp)
}

// startDevice authenticates the client, checks its grant and scopes, and
// records a pending device code; the answer is RFC 8628 §3.2's.
func (a *Server) startDevice(ctx context.Context, r *tokenRequest) (map[string]any, *oauth.Error) {
	cl, e := a.authenticateClient(ctx, r)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(cl.GrantTypes, oauth.GrantDeviceCode) {
		return nil, oauth.UnauthorizedClient("This application may not use the device flow.")
	}
	api, e := a.resourceOf(ctx, r.form["resource"])
	if e != nil {
		return nil, e
	}
	scope := oauth.ParseScope(r.get("scope"))
	for _, s := range scope {
		if (!a.Scopes.Known(s) || !slices.Contains(cl.Scopes, s)) && !apiScope(api, s) {
			return nil, oauth.InvalidScope("Scope " + s + " is unknown or not allowed for this application.")
		}
	}
	now := a.Now()
	code := tokens.RandomToken()
	d := &store.DeviceCode{ID: tokens.HashToken(code), UserCode: newUserCode(), ClientID: cl.ID, Scope: oauth.JoinScope(scope),
		Status: store.DevicePending, CreatedAt: now, ExpiresAt: now.Add(deviceTTL), Resource: resourceID(api)}
	if err := a.Store.CreateDeviceCode(ctx, d); err != nil {
		return nil, oauth.ServerError(err)
	}
	verify := a.IssuerURL + "/device"
	return map[string]any{"device_code": code, "user_code": formatUserCode(d.UserCode),
		"verification_uri": verify, "verification_uri_complete": verify + "?user_code=" + url.QueryEscape(formatUserCode(d.UserCode)),
		"expires_in": int(deviceTTL.Seconds()), "interval": int(deviceInterval.Seconds())}, nil
}

// deviceGrant is the device_code grant (RFC 8628 §3.4, §3.5).
func (a *Server) deviceGrant(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	code := r.get("device_code")
	if code == "" {
		return nil, oauth.InvalidRequest("device_code is required.")
	}
	now := a.Now()
	d, err := a.Store.PollDeviceCode(ctx, tokens.HashToken(code), now, deviceInterval)
	switch {
	case isNotFound(err), err == nil && d.ClientID != cl.ID:
		return nil, oauth.InvalidGrant("Unknown device code.")
	case errors.Is(err, store.ErrSlowDown):
		return nil, oauth.SlowDown()
	case err != nil:
		return nil, oauth.ServerError(err)
	case !d.ExpiresAt.After(now):
		return nil, oauth.ExpiredToken("The device code expired; start again.")
	case d.Status == store.DevicePending:
		return nil, oauth.AuthorizationPending()
	case d.Status == store.DeviceDenied:
		return nil, oauth.AccessDenied("The user denied the request.")
	case d.Status == store.DeviceUsed:
		return nil, oauth.InvalidGrant("The device code was already used.")
	}
	acct, e := a.activeAccount(ctx, d.AccountID)
	if e != nil {
		return nil, e
	}
	api, e := a.grantedAPI(ctx, r, d.Resource)
	if e != nil {
		return nil, e
	}
	resp, e := a.respondUser(ctx, userTokens{client: cl, account: acct, scope: oauth.ParseScope(d.Scope), authTime: d.AuthTime,
		amr: d.AMR, ip: r.ip, api: api})
	return resp, e
}

type deviceData struct {
	web.Page
	UserCode, ClientName, Message, Error string
	Scopes                               []oauth.Scope
	Confirm, Done                        bool
	Hidden                               []web.HiddenField // the confirmed (looked-up) user code
}

// devicePage is GET /device: enter the code (prefilled from
// verification_uri_complete).
func (a *Server) devicePage(c echo.Context) error {
	if session.FromContext(c) == nil {
		return c.Redirect(http.StatusFound, "/login?return_to="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
	return a.Web.Render(c, http.StatusOK, "device", deviceData{Page: web.PageFor(c), UserCode: c.QueryParam("user_code")})
}

// deviceSubmit is POST /device: first the code (→ confirmation), then the
// decision. CSRF-checked by the page group.
func (a *Server) deviceSubmit(c echo.Context) error {
	cur := session.FromContext(c)
	if cur == nil {
		return c.Redirect(http.StatusFound, "/login?return_to=%2Fdevice")
	}
	if !a.DeviceEntryLimit.Allow(c) { // user codes are short: limit the guesses
		return tooManyPage("Too many codes were entered from your network. Wait a few minutes and try again.")
	}
	ctx := c.Request().Context()
	code := normalizeUserCode(c.FormValue("user_code"))
	d, err := a.Store.GetDeviceCodeByUserCode(ctx, code, a.Now())
	page := deviceData{Page: web.PageFor(c), UserCode: formatUserCode(code)}
	if isNotFound(err) || len(code) != 8 {
		page.Error = "That code is unknown or expired. Check the code on your device."
		return a.Web.Render(c, http.StatusBadRequest, "device", page)
	}
	if err != nil {
		return err
	}
	cl, err := a.Store.GetClient(ctx, d.ClientID)
	if err != nil {
		return err
	}
	if refused, err := a.deviceOutsider(c, cl, code, &page); refused {
		return err
	}
	switch c.FormValue("decision") {
	case "":
		if page.Scopes, err = a.deviceScopes(ctx, d); err != nil {
			return err
		}
		page.Confirm, page.ClientName = true, cl.Name
		page.Hidden = web.Hidden("user_code", formatUserCode(code))
		return a.Web.Render(c, http.StatusOK, "device", page)
	case "approve", "deny":
	default:
		return badRequestPage("Choose Allow or Deny.")
	}
	approve := c.FormValue("decision") == "approve"
	typ := map[bool]string{true: "device_approved", false: "device_denied"}[approve]
	// The decision and its event commit together (audit.Writer.Change); a
	// code decided meanwhile (not found) records nothing.
	err = a.Audit.Change(ctx, func(tx store.Store) (store.AuditEvent, error) {
		return a.event(c.RealIP(), typ, cur.Account.ID, cl.ID),
			tx.DecideDeviceCode(ctx, code, approve, cur.Account.ID, cur.Session.AMR, cur.Session.AuthTime, a.Now())
	})
	if err != nil && !isNotFound(err) {
		return err
	}
	page.Done = true
	page.Message = "Done. Your device is being signed in; you can close this page."
	if !approve {
		page.Message = "Denied. The device will not be signed in."
	}
	return a.Web.Render(c, http.StatusOK, "device", page)
}

// deviceOutsider denies the device code when the signed-in account may not
// use the app (its allowed groups), so the device's next poll gets
// access_denied, and tells the user why. refused false: go on.
func (a *Server) deviceOutsider(c echo.Context, cl store.Client, code string, page *deviceData) (refused bool, err error) {
	cur := session.FromContext(c)
	ctx := c.Request().Context()
	if _, ok, err := a.grantGroups(ctx, cl, cur.Account.ID, nil); err != nil || ok {
		return err != nil, err
	}
	err = a.Audit.Change(ctx, func(tx store.Store) (store.AuditEvent, error) {
		return a.event(c.RealIP(), "app_access_denied", cur.Account.ID, cl.ID),
			tx.DecideDeviceCode(ctx, code, false, cur.Account.ID, cur.Session.AMR, cur.Session.AuthTime, a.Now())
	})
	if err != nil && !isNotFound(err) {
		return true, err
	}
	page.Error = "Your account is not in a group that may use " + cl.Name + ", so the device will not be signed in."
	return true, a.Web.Render(c, http.StatusForbidden, "device", *page)
}

// deviceScopes are what the confirmation page shows for d: the server's
// scopes and those of the API it asks tokens for.
func (a *Server) deviceScopes(ctx context.Context, d store.DeviceCode) ([]oauth.Scope, error) {
	api, e := a.lookupAPI(ctx, a.Store, d.Resource)
	if e != nil && e.Code == "invalid_target" {
		return nil, badRequestPage("The device asks for an API that is no longer registered.")
	}
	if e != nil {
		return nil, e
	}
	return a.describeScopes(oauth.ParseScope(d.Scope), api), nil
}
