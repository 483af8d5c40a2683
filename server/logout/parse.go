package logout

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/store"
	"gatehouse/web"
)

// maxState bounds the state echoed back to the app.
const maxState = 1024

func badRequest(msg string) error {
	return &web.PageError{Status: http.StatusBadRequest, Title: "Invalid sign-out request", Message: msg}
}

// parse validates a logout request (§2): the hint must be an id_token we
// issued (expired is fine), client_id must be among its audiences, and a
// post_logout_redirect_uri is kept only if it is registered, exactly, on
// that client. Hostile input is an error page, never a redirect. withHint
// is false for the confirmation form, which carries no hint.
func (e *Endpoint) parse(c echo.Context, withHint bool) (*request, error) {
	hint, clientID := "", c.FormValue("client_id")
	if withHint {
		hint = c.FormValue("id_token_hint")
	}
	uri, state := c.FormValue("post_logout_redirect_uri"), c.FormValue("state")
	if len(state) > maxState {
		return nil, badRequest("state is too long.")
	}
	r := &request{state: state}
	if hint != "" {
		h, err := e.Issuer.VerifyIDTokenHint(c.Request().Context(), hint)
		if err != nil {
			return nil, badRequest("id_token_hint is not an ID token issued by this server.")
		}
		if clientID != "" && !slices.Contains(h.Audience, clientID) {
			return nil, badRequest("client_id does not match the id_token_hint.")
		}
		if clientID == "" {
			clientID = h.Audience[0]
		}
		r.hintSID, r.hintSub = h.SID, h.Subject
	}
	if clientID != "" {
		cl, err := e.Store.GetClient(c.Request().Context(), clientID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, badRequest("The app that sent you here is not registered.")
		case err != nil:
			return nil, err
		}
		r.client = &cl
	}
	if uri != "" {
		if registered(r.client, uri) {
			r.redirect = uri
		} else {
			r.dropped = true
		}
	}
	return r, nil
}
