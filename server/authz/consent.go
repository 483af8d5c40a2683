package authz

import (
	"errors"
	"net/http"
	"net/url"
	"sort"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/session"
	"gatehouse/store"
	"gatehouse/web"
)

type hiddenField struct{ Name, Value string }

type consentData struct {
	web.Page
	ClientName, LogoURL, Username, RedirectHost string
	Scopes                                      []Scope
	Hidden                                      []hiddenField
}

// consentPage is GET /consent: the authorization request (re-validated
// from scratch) shown to the signed-in user.
func (a *Server) consentPage(c echo.Context) error {
	r, cur, err := a.consentRequest(c)
	if r == nil || cur == nil {
		return err
	}
	d := consentData{Page: web.PageFor(c), ClientName: r.Client.Name, LogoURL: safeLogo(r.Client.LogoURL),
		Username: cur.Account.Username, RedirectHost: redirectHost(r.RedirectURI), Scopes: a.Scopes.Describe(r.Scope)}
	for _, k := range sortedKeys(r.Params) {
		d.Hidden = append(d.Hidden, hiddenField{k, r.Params.Get(k)})
	}
	return a.Web.Render(c, http.StatusOK, "consent", d)
}

// consentDecision is POST /consent (CSRF-checked by the page group).
func (a *Server) consentDecision(c echo.Context) error {
	r, cur, err := a.consentRequest(c)
	if r == nil || cur == nil {
		return err
	}
	switch c.FormValue("decision") {
	case "approve":
	case "deny":
		a.audit(c, "consent_denied", cur.Account.ID, r.Client.ID)
		return a.redirectErr(c, &redirectError{r, oauth.AccessDenied("The user denied the request.")})
	default:
		return badRequestPage("Choose Allow or Deny.")
	}
	if err := a.saveConsent(c, r, cur.Account.ID); err != nil {
		return err
	}
	a.audit(c, "consent_granted", cur.Account.ID, r.Client.ID)
	return a.issue(c, r, cur)
}

// consentRequest validates the request behind the consent page; without a
// session it sends the browser to sign in first (r or cur nil: err is the
// response to return).
func (a *Server) consentRequest(c echo.Context) (*authRequest, *session.Current, error) {
	r, err := a.parseAuthorize(c)
	var re *redirectError
	if errors.As(err, &re) {
		return nil, nil, a.redirectErr(c, re)
	}
	if err != nil {
		return nil, nil, err
	}
	cur := session.FromContext(c)
	if cur == nil {
		return nil, nil, a.toLogin(c, r)
	}
	return r, cur, nil
}

// saveConsent remembers the union of what was granted before and now.
func (a *Server) saveConsent(c echo.Context, r *authRequest, accountID string) error {
	ctx := c.Request().Context()
	scopes := r.Scope
	prev, err := a.Store.GetConsent(ctx, accountID, r.Client.ID)
	if err == nil {
		scopes = parseScope(joinScope(append(parseScope(prev.Scope), r.Scope...)))
	} else if !isNotFound(err) {
		return err
	}
	now := a.Now()
	return a.Store.SaveConsent(ctx, &store.Consent{AccountID: accountID, ClientID: r.Client.ID, Scope: joinScope(scopes), CreatedAt: now, UpdatedAt: now})
}

func (a *Server) audit(c echo.Context, typ, accountID, clientID string) {
	a.Audit.Record(c.Request().Context(), store.AuditEvent{ID: store.NewID(), Time: a.Now(), Type: typ, AccountID: accountID,
		IP: c.RealIP(), Detail: store.Detail("client_id", clientID)})
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func redirectHost(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Scheme + "://" + p.Host
}

// safeLogo shows only https logos (no javascript: or data: URLs).
func safeLogo(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" {
		return ""
	}
	return u
}
