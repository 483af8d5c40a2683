package web

import "github.com/labstack/echo/v4"

// Page is what every page's data embeds: the layout needs it.
type Page struct {
	CSRF string
	User *User // nil: signed out
}

// User is the signed-in user as the layout shows them.
type User struct {
	Username string
	IsAdmin  bool // shows the link to /admin
}

const userKey = "gatehouse.web.user"

// SetUser records the request's signed-in user for the layout. The page
// routes' session middleware calls it; web itself knows no sessions.
func SetUser(c echo.Context, u User) { c.Set(userKey, &u) }

// PageFor returns the layout data of the current request.
func PageFor(c echo.Context) Page {
	p := Page{}
	p.CSRF, _ = c.Get("csrf").(string)
	p.User, _ = c.Get(userKey).(*User)
	return p
}
