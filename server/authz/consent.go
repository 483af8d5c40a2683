package authz

import (
	"context"
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

type consentData struct {
	web.Page
	ClientName, LogoURL, Username, RedirectHost string
	Scopes                                      []oauth.Scope
	// DocumentURL and DocumentHost: the app is not registered here but
	// identifies itself by a Client ID Metadata Document at DocumentURL.
	DocumentURL, DocumentHost string
	Hidden                    []web.HiddenField // only the pending request's ID
}

// consentPage is GET /consent?request=ID: the continuation of a pending
// authorization request (pending.go). It sends the browser to sign in when
// it must, answers at once when the user consented before, and otherwise
// shows the consent page.
func (a *Server) consentPage(c echo.Context) error {
	p, err := a.continuePending(c, c.QueryParams()["request"])
	if p == nil {
		return err
	}
	r, cur := p.req, session.FromContext(c)
	// Refused before the consent page: no point asking to approve an app
	// the account may not use.
	if refused, err := a.refuseOutsider(c, r, cur.Account.ID); refused {
		return err
	}
	granted, err := a.consented(c, r, cur.Account.ID)
	if err != nil {
		return err
	}
	if granted && !r.Prompt["consent"] {
		if err := a.takePending(c, p); err != nil {
			return err
		}
		return a.issue(c, r, cur)
	}
	d := consentData{Page: web.PageFor(c), ClientName: r.Client.Name, LogoURL: safeLogo(r.Client.LogoURL),
		Username: cur.Account.Username, RedirectHost: redirectHost(r.RedirectURI), Scopes: a.describeScopes(r.Scope, r.API),
		Hidden: web.Hidden("request", p.id)}
	if r.Client.Kind == store.ClientMetadataDocument {
		d.DocumentURL = r.Client.ID
		if u, err := url.Parse(r.Client.ID); err == nil {
			d.DocumentHost = u.Host
		}
	}
	return a.Web.Render(c, http.StatusOK, "consent", d)
}

// consentDecision is POST /consent (CSRF-checked by the page group). The
// decision and the request ID come from the body only, exactly once each;
// the pending request is spent by the first decision.
func (a *Server) consentDecision(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return badRequestPage("The form could not be read.")
	}
	form := c.Request().PostForm
	decisions, ids := form["decision"], form["request"]
	if len(decisions) != 1 || (decisions[0] != "approve" && decisions[0] != "deny") {
		return badRequestPage("Choose Allow or Deny, once.")
	}
	p, err := a.continuePending(c, ids)
	if p == nil {
		return err
	}
	if err := a.takePending(c, p); err != nil {
		return err
	}
	r, cur := p.req, session.FromContext(c)
	if decisions[0] == "deny" {
		a.audit(c, "consent_denied", cur.Account.ID, r.Client.ID)
		return a.redirectErr(c, &redirectError{r, oauth.AccessDenied("The user denied the request.")})
	}
	// The consent and its event commit together (audit.Writer.Change).
	err = a.Audit.Change(c.Request().Context(), func(tx store.Store) (store.AuditEvent, error) {
		return a.event(c.RealIP(), "consent_granted", cur.Account.ID, r.Client.ID), a.saveConsent(c.Request().Context(), tx, r, cur.Account.ID)
	})
	if err != nil {
		return err
	}
	return a.issue(c, r, cur)
}

// continuePending loads the pending request named by ids (exactly one
// value) for this browser and, when it needs a (fresh) sign-in first, sends
// the browser there. p nil: err is the response to return.
func (a *Server) continuePending(c echo.Context, ids []string) (*pendingRequest, error) {
	if len(ids) != 1 {
		return nil, noPending()
	}
	p, err := a.loadPending(c, ids[0])
	if err != nil {
		return nil, a.pendingErr(c, err)
	}
	if redirected, err := a.signInFirst(c, p); redirected {
		return nil, err
	}
	return p, nil
}

// pendingErr answers a failed loadPending: a request no longer valid for
// its client goes back to it as an error, anything else is returned.
func (a *Server) pendingErr(c echo.Context, err error) error {
	var re *redirectError
	if errors.As(err, &re) {
		return a.redirectErr(c, re)
	}
	return err
}

// saveConsent remembers the union of what was granted before and now.
func (a *Server) saveConsent(ctx context.Context, tx store.Store, r *authRequest, accountID string) error {
	scopes := consentScopes(r)
	prev, err := tx.GetConsent(ctx, accountID, r.Client.ID)
	if err == nil {
		scopes = oauth.ParseScope(oauth.JoinScope(append(oauth.ParseScope(prev.Scope), scopes...)))
	} else if !isNotFound(err) {
		return err
	}
	now := a.Now()
	return tx.SaveConsent(ctx, &store.Consent{AccountID: accountID, ClientID: r.Client.ID, Scope: oauth.JoinScope(scopes), CreatedAt: now, UpdatedAt: now})
}

func (a *Server) audit(c echo.Context, typ, accountID, clientID string) {
	a.auditAt(c.Request().Context(), c.RealIP(), typ, accountID, clientID)
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
