package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/session"
	"gatehouse/server/teams"
	"gatehouse/store"
	"gatehouse/web"
)

type invitesData struct {
	web.Page
	Invites []inviteView
	Groups  []store.Group // offered on the create form
	// Link is the invite just made: shown in this one answer, never again.
	Link       string
	DefaultTTL string
	Message    string
	Error      string
}

type inviteView struct {
	store.Invite
	Status     string
	CreatedBy  string // username, or "CLI"
	RedeemedBy string // username
}

func (p *Pages) invites(c echo.Context) error {
	return p.renderInvites(c, http.StatusOK, invitesData{Message: notices[c.QueryParam("msg")]})
}

func (p *Pages) renderInvites(c echo.Context, status int, d invitesData) error {
	ctx := c.Request().Context()
	list, err := p.Store.ListInvites(ctx)
	if err != nil {
		return err
	}
	if d.Groups, err = p.Store.ListGroups(ctx); err != nil {
		return err
	}
	d.Page, d.DefaultTTL, d.Invites = web.PageFor(c), teams.DefaultTTL.String(), make([]inviteView, len(list))
	names := map[string]string{"": "CLI"}
	for i, inv := range list {
		d.Invites[i] = inviteView{Invite: inv, Status: teams.Status(inv, p.Now()),
			CreatedBy: p.username(c, names, inv.CreatedBy), RedeemedBy: p.username(c, names, inv.RedeemedBy)}
	}
	return p.Web.Render(c, status, "admin_invites", d)
}

// username names account id for a list, looking each up once (names
// caches); a deleted account shows as its ID.
func (p *Pages) username(c echo.Context, names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	names[id] = id
	if a, err := p.Store.GetAccount(c.Request().Context(), id); err == nil {
		names[id] = a.Username
	}
	return names[id]
}

// createInvite makes an invite and answers with its link, once.
func (p *Pages) createInvite(c echo.Context) error {
	ctx, me := c.Request().Context(), session.FromContext(c).Account
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	ttl, err := time.ParseDuration(strings.TrimSpace(form.Get("ttl")))
	if err != nil {
		return p.renderInvites(c, http.StatusBadRequest, invitesData{Error: "The lifetime is not a duration such as 72h or 30m."})
	}
	r := teams.Request{TTL: ttl, Admin: form.Get("admin") != "", Groups: form["group"], CreatedBy: me.ID}
	inv, link, err := teams.New(ctx, p.Store, p.Issuer, r, p.Now())
	if errors.Is(err, teams.ErrInvalid) {
		return p.renderInvites(c, http.StatusBadRequest, invitesData{Error: "The invite was not made: " + strings.TrimPrefix(err.Error(), teams.ErrInvalid.Error()+": ") + "."})
	} else if err != nil {
		return err
	}
	err = p.Audit.Change(ctx, func(tx store.Store) (store.AuditEvent, error) {
		return teams.CreatedEvent(inv, me.ID, c.RealIP()), tx.CreateInvite(ctx, &inv)
	})
	if err != nil {
		return err
	}
	return p.renderInvites(c, http.StatusCreated, invitesData{Link: link})
}

func (p *Pages) revokeInvite(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	if !validParam(id) {
		return inviteNotFound()
	}
	err := p.teamChange(c, teams.EventInviteRevoked, "", func(tx store.Store) error { return tx.DeleteInvite(ctx, id) }, "invite_id", id)
	if errors.Is(err, store.ErrNotFound) {
		return inviteNotFound()
	} else if err != nil {
		return err
	}
	return redirectMsg(c, "/admin/invites", "invite_revoked")
}

func inviteNotFound() error {
	return &web.PageError{Status: http.StatusNotFound, Title: "Invite not found",
		Message: "There is no open invite with that ID: it was revoked, or someone signed up with it already."}
}
