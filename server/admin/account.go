package admin

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"gatehouse/store"
	"gatehouse/web"
)

type accountData struct {
	web.Page
	Account store.Account
	Groups  []store.AccountGroup
}

// account shows one account and its groups, each with where it comes
// from (an administrator, or a provider at sign-in).
func (p *Pages) account(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	if !validParam(id) {
		return notFound()
	}
	a, err := p.Store.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return err
	}
	groups, err := p.Store.ListAccountGroups(ctx, id)
	if err != nil {
		return err
	}
	return p.Web.Render(c, http.StatusOK, "admin_user", accountData{Page: web.PageFor(c), Account: a, Groups: groups})
}
