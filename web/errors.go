package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// PageError is the error a page handler returns for a readable error page.
// Message is shown to the user; Err (the cause) is only logged.
type PageError struct {
	Status  int
	Title   string
	Message string
	Err     error
}

func (e *PageError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Title, e.Err)
	}
	return e.Title
}

func (e *PageError) Unwrap() error { return e.Err }

func pageErr(status int, title, msg string, cause error) *PageError {
	return &PageError{Status: status, Title: title, Message: msg, Err: cause}
}

type errorData struct {
	Page
	Title, Message, Back, BackLabel string
}

// RenderError writes err as an error page. *PageError keeps its words;
// echo errors (404, CSRF) get their status and a generic message; anything
// else is a 500 whose cause the caller has logged.
func (w *Web) RenderError(c echo.Context, err error) error {
	pe := toPageError(err)
	d := errorData{Page: PageFor(c), Title: pe.Title, Message: pe.Message}
	return w.r.render(c, pe.Status, "error", d)
}

func toPageError(err error) *PageError {
	var pe *PageError
	if errors.As(err, &pe) {
		return pe
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return pageErr(he.Code, "Page not found", "There is nothing at this address.", err)
		case http.StatusForbidden, http.StatusBadRequest:
			return pageErr(he.Code, "Request refused", "The form was stale or did not come from this site. Go back, reload the page and try again.", err)
		case http.StatusMethodNotAllowed:
			return pageErr(he.Code, "Method not allowed", "This address does not accept that kind of request.", err)
		case http.StatusRequestEntityTooLarge:
			return pageErr(he.Code, "Request too large", "The request was too large.", err)
		}
		if he.Code < 500 {
			return pageErr(he.Code, http.StatusText(he.Code), "The request could not be handled.", err)
		}
	}
	return pageErr(http.StatusInternalServerError, "Something went wrong", "Gatehouse hit an internal error. Try again; if it persists, tell your operator.", err)
}
