package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/apis"
	"gatehouse/server/session"
	"gatehouse/store"
	"gatehouse/web"
)

type apisData struct {
	web.Page
	APIs    []apiView
	Message string
	Error   string
	// Secret is a new API's introspection secret, shown once.
	Secret, SecretFor string
	// The create form as it was sent, after a refusal.
	Identifier, Name, Scopes, AccessTTL string
}

type apiView struct {
	store.API
	ScopesText string // the scopes as the edit form shows them
}

// apisList lists the APIs apps may ask tokens for.
func (p *Pages) apisList(c echo.Context) error {
	return p.renderAPIs(c, http.StatusOK, apisData{Message: notices[c.QueryParam("msg")]})
}

func (p *Pages) renderAPIs(c echo.Context, status int, d apisData) error {
	list, err := p.Store.ListAPIs(c.Request().Context())
	if err != nil {
		return err
	}
	d.Page = web.PageFor(c)
	for _, a := range list {
		d.APIs = append(d.APIs, apiView{API: a, ScopesText: apis.FormatScopes(a.Scopes)})
	}
	return p.Web.Render(c, status, "admin_apis", d)
}

// apisRefuse shows the APIs page with errMsg and the create form as sent.
func (p *Pages) apisRefuse(c echo.Context, status int, errMsg string) error {
	return p.renderAPIs(c, status, apisData{Error: errMsg, Identifier: c.FormValue("identifier"), Name: c.FormValue("name"),
		Scopes: c.FormValue("scopes"), AccessTTL: c.FormValue("access_ttl")})
}

// apiSpec reads the create and edit forms.
func apiSpec(c echo.Context) (apis.Spec, error) {
	s := apis.Spec{Identifier: strings.TrimSpace(c.FormValue("identifier")), Name: c.FormValue("name"),
		Scopes: apis.ParseScopes(c.FormValue("scopes"))}
	if v := strings.TrimSpace(c.FormValue("access_ttl")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return s, errors.New("access TTL: a duration such as 15m or 1h")
		}
		s.AccessTTL = d
	}
	return s, nil
}

func (p *Pages) createAPI(c echo.Context) error {
	spec, err := apiSpec(c)
	if err != nil {
		return p.apisRefuse(c, http.StatusBadRequest, err.Error())
	}
	api, secret, err := apis.New(spec, p.Now())
	if err != nil {
		return p.apisRefuse(c, http.StatusBadRequest, err.Error())
	}
	ctx, me := c.Request().Context(), session.FromContext(c).Account
	err = p.change(c, apis.EventCreated, "", store.Detail("api", api.Identifier, "by_username", me.Username),
		func(tx store.Store) error { return tx.CreateAPI(ctx, &api) })
	if errors.Is(err, store.ErrAlreadyExists) {
		return p.apisRefuse(c, http.StatusConflict, apis.Exists(api.Identifier).Error())
	} else if err != nil {
		return err
	}
	// The secret is shown on this answer only: no redirect, nothing stored.
	c.Response().Header().Set("Cache-Control", "no-store")
	return p.renderAPIs(c, http.StatusOK, apisData{Message: "The API is registered.", Secret: secret, SecretFor: api.Identifier})
}

// updateAPI changes an API's name, scopes and access-token lifetime.
func (p *Pages) updateAPI(c echo.Context) error {
	spec, err := apiSpec(c)
	if err != nil {
		return p.renderAPIs(c, http.StatusBadRequest, apisData{Error: err.Error()})
	}
	if err := apis.Validate(&spec); err != nil {
		return p.renderAPIs(c, http.StatusBadRequest, apisData{Error: err.Error()})
	}
	ctx, me := c.Request().Context(), session.FromContext(c).Account
	api := store.API{Identifier: spec.Identifier, Name: spec.Name, Scopes: spec.Scopes, AccessTTL: spec.AccessTTL}
	err = p.change(c, apis.EventUpdated, "", store.Detail("api", api.Identifier, "by_username", me.Username),
		func(tx store.Store) error { return tx.UpdateAPI(ctx, &api) })
	if errors.Is(err, store.ErrNotFound) {
		return p.renderAPIs(c, http.StatusNotFound, apisData{Error: fmt.Sprintf("There is no API %q.", api.Identifier)})
	} else if err != nil {
		return err
	}
	return redirectMsg(c, "/admin/apis", "api_updated")
}

func (p *Pages) deleteAPI(c echo.Context) error {
	ctx, id, me := c.Request().Context(), c.FormValue("identifier"), session.FromContext(c).Account
	err := p.change(c, apis.EventDeleted, "", store.Detail("api", id, "by_username", me.Username),
		func(tx store.Store) error { return tx.DeleteAPI(ctx, id) })
	if errors.Is(err, store.ErrNotFound) {
		return p.renderAPIs(c, http.StatusNotFound, apisData{Error: fmt.Sprintf("There is no API %q.", id)})
	} else if err != nil {
		return err
	}
	return redirectMsg(c, "/admin/apis", "api_deleted")
}
