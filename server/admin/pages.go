// Package admin serves the operators' pages under /admin: an overview, the
// accounts (disable, enable, grant and revoke admin; each account's
// groups), local groups and their members, sign-up invites, every app,
// the APIs (RFC 8707 resources), the signing keys (list, rotate) and the newest audit events.
//
// Only signed-in administrators get in: everyone else is sent to sign-in
// or shown a 403 page, for every path under /admin. Every change is a POST
// on the page group (so CSRF-protected), is recorded in the audit log and
// answers with a redirect to the page it came from (post/redirect/get).
package admin

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/audit"
	"gatehouse/server/logout"
	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// Pages are the operator pages under /admin.
type Pages struct {
	Store store.Store
	Web   *web.Web
	Keys  *tokens.Keys
	Audit *audit.Writer
	// KeyGrace is how long a key replaced by a rotation stays published:
	// at least the access-token lifetime, so every token it signed still
	// verifies.
	KeyGrace time.Duration
	// Issuer is our URL, the base of invite links.
	Issuer string
	Now    func() time.Time
	// Logout tells the apps a disabled account's sessions signed into
	// (back-channel logout); nil tells nobody.
	Logout *logout.Ender
}

// Register mounts the pages on the page group (sessions, CSRF). The
// admin check is group middleware, so it also guards unknown /admin paths.
func (p *Pages) Register(g *echo.Group) {
	a := g.Group("/admin", requireAdmin)
	a.GET("", p.overview)
	a.GET("/users", p.users)
	a.POST("/users/:id/disable", p.setFlag(disable))
	a.POST("/users/:id/enable", p.setFlag(enable))
	a.POST("/users/:id/admin", p.setFlag(grantAdmin))
	a.POST("/users/:id/unadmin", p.setFlag(revokeAdmin))
	a.GET("/apps", p.apps)
	a.GET("/keys", p.keys)
	a.POST("/keys/rotate", p.rotate)
	a.GET("/audit", p.audit)
	a.GET("/users/:id", p.account)
	a.GET("/groups", p.groups)
	a.POST("/groups", p.createGroup)
	a.POST("/groups/delete", p.deleteGroup)
	a.POST("/groups/members", p.addMember)
	a.POST("/groups/members/remove", p.removeMember)
	a.GET("/invites", p.invites)
	a.POST("/invites", p.createInvite)
	a.POST("/invites/:id/revoke", p.revokeInvite)
	a.GET("/apis", p.apisList)
	a.POST("/apis", p.createAPI)
	a.POST("/apis/update", p.updateAPI)
	a.POST("/apis/delete", p.deleteAPI)
}

// requireAdmin lets administrators through; others are sent to sign-in
// (coming back to the page they asked for) or refused.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		back := "/admin"
		if c.Request().Method == http.MethodGet {
			back = c.Request().URL.RequestURI()
		}
		cur, err := session.Require(c, back)
		if cur == nil {
			return err
		}
		if !cur.Account.IsAdmin {
			return &web.PageError{Status: http.StatusForbidden, Title: "Not allowed",
				Message: "Only administrators may open the admin pages."}
		}
		return next(c)
	}
}

// change makes a change (fn, given the transaction) and stores its audit
// event in the same transaction: a crash cannot lose the event.
func (p *Pages) change(c echo.Context, typ, accountID, detail string, fn func(tx store.Store) error) error {
	return p.Audit.Change(c.Request().Context(), func(tx store.Store) (store.AuditEvent, error) {
		return p.event(c, typ, accountID, detail), fn(tx)
	})
}

func (p *Pages) event(c echo.Context, typ, accountID, detail string) store.AuditEvent {
	return store.AuditEvent{ID: store.NewID(), Time: p.Now(), Type: typ, AccountID: accountID, IP: c.RealIP(), Detail: detail}
}

// notices are the fixed messages shown after a change; the query carries
// only a key, so nothing user-supplied is reflected.
var notices = map[string]string{
	"disabled":  "The account is disabled: it is signed out everywhere and its refresh and API tokens are revoked.",
	"enabled":   "The account is enabled again; it signs in afresh (its old sessions and tokens stay revoked).",
	"admin":     "The account is now an administrator.",
	"unadmin":   "The account is no longer an administrator.",
	"rotated":   "A new signing key was made and signs from now on; the old one stays published until its tokens expire.",
	"unchanged": "Nothing changed.",

	"group_created":  "The group is created.",
	"group_deleted":  "The group is deleted; its members are no longer in it (groups a provider grants stay).",
	"member_added":   "The account is now in the group.",
	"member_removed": "The account is no longer in the group.",
	"invite_revoked": "The invite is revoked: its link no longer works.",
	"api_updated":    "The API is saved.",
	"api_deleted":    "The API is deleted: apps can no longer ask tokens for it (tokens issued stay valid until they expire).",
}

// redirectMsg sends the browser to path with the notice key msg.
func redirectMsg(c echo.Context, path, msg string) error {
	return c.Redirect(http.StatusFound, path+"?msg="+url.QueryEscape(msg))
}

type overviewData struct {
	web.Page
	Accounts, Apps int
}

func (p *Pages) overview(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := p.Store.CountAccounts(ctx)
	if err != nil {
		return err
	}
	apps, err := p.Store.ListClients(ctx, "")
	if err != nil {
		return err
	}
	return p.Web.Render(c, http.StatusOK, "admin", overviewData{Page: web.PageFor(c), Accounts: n, Apps: len(apps)})
}

type appsData struct {
	web.Page
	Apps []store.Client
	// Documents: clients seen by their Client ID Metadata Document.
	Documents []store.Client
}

// apps lists every app of every owner; each links to its /apps page,
// which administrators may open and edit. Clients known only by a
// metadata document are listed apart: nobody registered them here.
func (p *Pages) apps(c echo.Context) error {
	list, err := p.Store.ListClients(c.Request().Context(), "")
	if err != nil {
		return err
	}
	d := appsData{Page: web.PageFor(c)}
	for _, cl := range list {
		if cl.Kind == store.ClientMetadataDocument {
			d.Documents = append(d.Documents, cl)
		} else {
			d.Apps = append(d.Apps, cl)
		}
	}
	return p.Web.Render(c, http.StatusOK, "admin_apps", d)
}

// auditLimit is how many events the audit page shows.
const auditLimit = 100

type auditData struct {
	web.Page
	Events []store.AuditEvent
	Limit  int
}

func (p *Pages) audit(c echo.Context) error {
	evs, err := p.Store.ListAudit(c.Request().Context(), "", auditLimit)
	if err != nil {
		return err
	}
	return p.Web.Render(c, http.StatusOK, "admin_audit", auditData{Page: web.PageFor(c), Events: evs, Limit: auditLimit})
}
