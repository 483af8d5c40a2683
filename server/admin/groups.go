package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gatehouse/server/session"
	"gatehouse/server/teams"
	"gatehouse/store"
	"gatehouse/web"
)

// maxDescription bounds a group's description (the CLI's too).
const maxDescription = 200

type groupsData struct {
	web.Page
	Groups  []groupView
	Message string
	Error   string
	// Name and Description refill the create form after a refusal.
	Name, Description string
}

type groupView struct {
	store.Group
	Members []store.Account // local members, by username
}

// groups lists the local groups with their local members.
func (p *Pages) groups(c echo.Context) error {
	return p.renderGroups(c, http.StatusOK, groupsData{Message: notices[c.QueryParam("msg")]})
}

func (p *Pages) renderGroups(c echo.Context, status int, d groupsData) error {
	ctx := c.Request().Context()
	list, err := p.Store.ListGroups(ctx)
	if err != nil {
		return err
	}
	d.Page, d.Groups = web.PageFor(c), make([]groupView, len(list))
	for i, g := range list {
		members, err := p.Store.ListGroupMembers(ctx, g.Name)
		if err != nil {
			return err
		}
		d.Groups[i] = groupView{Group: g, Members: members}
	}
	return p.Web.Render(c, status, "admin_groups", d)
}

// groupsRefuse shows the groups page with errMsg (and the create form as
// it was sent).
func (p *Pages) groupsRefuse(c echo.Context, status int, errMsg string) error {
	return p.renderGroups(c, status, groupsData{Error: errMsg, Name: c.FormValue("name"), Description: c.FormValue("description")})
}

func (p *Pages) createGroup(c echo.Context) error {
	name, desc := strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("description"))
	if err := store.CheckGroupName(name); err != nil {
		return p.groupsRefuse(c, http.StatusBadRequest, "The "+err.Error()+".")
	}
	if !utf8.ValidString(desc) || utf8.RuneCountInString(desc) > maxDescription {
		return p.groupsRefuse(c, http.StatusBadRequest, fmt.Sprintf("The description may be at most %d characters of UTF-8 text.", maxDescription))
	}
	ctx, me := c.Request().Context(), session.FromContext(c).Account
	g := store.Group{ID: store.NewID(), Name: name, Description: desc, CreatedAt: p.Now()}
	err := p.teamChange(c, teams.EventGroupCreated, "", func(tx store.Store) error { return tx.CreateGroup(ctx, &g) }, "group", name, "by_username", me.Username)
	if errors.Is(err, store.ErrAlreadyExists) {
		return p.groupsRefuse(c, http.StatusConflict, fmt.Sprintf("A group called %q exists already.", name))
	} else if err != nil {
		return err
	}
	return redirectMsg(c, "/admin/groups", "group_created")
}

func (p *Pages) deleteGroup(c echo.Context) error {
	ctx, name := c.Request().Context(), c.FormValue("group")
	if !validParam(name) {
		return p.groupsRefuse(c, http.StatusNotFound, "There is no group with that name.")
	}
	err := p.teamChange(c, teams.EventGroupDeleted, "", func(tx store.Store) error { return tx.DeleteGroup(ctx, name) }, "group", name)
	if errors.Is(err, store.ErrNotFound) {
		return p.groupsRefuse(c, http.StatusNotFound, fmt.Sprintf("There is no group %q.", name))
	} else if err != nil {
		return err
	}
	return redirectMsg(c, "/admin/groups", "group_deleted")
}

// addMember and removeMember change a local membership, named by the
// group's name and the account's username.
func (p *Pages) addMember(c echo.Context) error    { return p.changeMember(c, true) }
func (p *Pages) removeMember(c echo.Context) error { return p.changeMember(c, false) }

func (p *Pages) changeMember(c echo.Context, add bool) error {
	ctx, group, username := c.Request().Context(), c.FormValue("group"), strings.TrimSpace(c.FormValue("username"))
	if !validParam(group) {
		return p.groupsRefuse(c, http.StatusNotFound, "There is no group with that name.")
	}
	if _, err := p.Store.GetGroup(ctx, group); errors.Is(err, store.ErrNotFound) {
		return p.groupsRefuse(c, http.StatusNotFound, fmt.Sprintf("There is no group %q.", group))
	} else if err != nil {
		return err
	}
	acct, err := p.accountByUsername(c, username)
	if acct == nil {
		return err
	}
	typ, fn := teams.EventMemberAdded, func(tx store.Store) error { return tx.AddAccountToGroup(ctx, acct.ID, group, p.Now()) }
	if !add {
		typ, fn = teams.EventMemberRemoved, func(tx store.Store) error { return tx.RemoveAccountFromGroup(ctx, acct.ID, group) }
	}
	err = p.teamChange(c, typ, acct.ID, fn, "group", group, "username", acct.Username)
	switch {
	case add && errors.Is(err, store.ErrAlreadyExists):
		return p.groupsRefuse(c, http.StatusConflict, fmt.Sprintf("%s is in the group %q already.", acct.Username, group))
	case errors.Is(err, store.ErrNotFound): // removing a non-member (or a group deleted meanwhile)
		return p.groupsRefuse(c, http.StatusNotFound, fmt.Sprintf("%s is not a local member of the group %q.", acct.Username, group))
	case err != nil:
		return err
	case add:
		return redirectMsg(c, "/admin/groups", "member_added")
	}
	return redirectMsg(c, "/admin/groups", "member_removed")
}

// accountByUsername finds the account a form names; nil (with the page
// already answered, or the error) if there is none.
func (p *Pages) accountByUsername(c echo.Context, username string) (*store.Account, error) {
	if username == "" || !validParam(username) {
		return nil, p.groupsRefuse(c, http.StatusNotFound, "There is no account with that username.")
	}
	a, err := p.Store.GetAccountByUsername(c.Request().Context(), username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, p.groupsRefuse(c, http.StatusNotFound, fmt.Sprintf("There is no account %q.", username))
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// teamChange makes a group or invite change and stores its audit event
// (by the signed-in administrator, details kv) in the same transaction.
func (p *Pages) teamChange(c echo.Context, typ, accountID string, fn func(tx store.Store) error, kv ...string) error {
	by := session.FromContext(c).Account.ID
	return p.Audit.Change(c.Request().Context(), func(tx store.Store) (store.AuditEvent, error) {
		return teams.Event(typ, accountID, by, c.RealIP(), p.Now(), kv...), fn(tx)
	})
}
