package server

import (
	"bytes"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// maxBody is the largest request body any route accepts.
const maxBody = 1 << 20

// bodyLimit refuses bodies over n bytes with 413. A declared length is
// checked up front. A body of unknown length (chunked) is read here, up
// to n+1 bytes, before any handler: echo's BodyLimit instead fails the
// handler's read, and handlers report a failed read as the 400 of a
// malformed body. Chunked requests are rare from real clients, and a
// handler would read the same bytes anyway.
func bodyLimit(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > n {
				return echo.ErrStatusRequestEntityTooLarge
			}
			if req.ContentLength < 0 && req.Body != nil && req.Body != http.NoBody {
				b, err := io.ReadAll(io.LimitReader(req.Body, n+1))
				if err != nil {
					return echo.NewHTTPError(http.StatusBadRequest, "unreadable body")
				}
				if int64(len(b)) > n {
					return echo.ErrStatusRequestEntityTooLarge
				}
				req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
			return next(c)
		}
	}
}
