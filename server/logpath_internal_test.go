package server

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// An invite link's token is in its path: the request log and the refusal
// log name the route instead.
func TestInviteTokenNotLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &Server{log: log}
	e := echo.New()
	e.Use(requestLogger(log))
	e.GET("/invite/:token", func(c echo.Context) error {
		s.logRefusal(c, http.StatusGone, errors.New("refused"))
		return c.NoContent(http.StatusGone)
	})
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/invite/SECRET-TOKEN", nil))
	if strings.Contains(buf.String(), "SECRET-TOKEN") || strings.Count(buf.String(), "/invite/:token") != 2 {
		t.Errorf("log:\n%s", buf.String())
	}
}
