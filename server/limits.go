package server

import (
	"time"

	"gatehouse/server/config"
	"gatehouse/server/ratelimit"
)

// limits are the per-address limiters of the endpoints that write rows for
// anyone who asks (config limits.*). Sign-in starts of the pages and of the
// login API share one budget.
type limits struct {
	loginStart, authorize, deviceAuth, deviceEntry, registration *ratelimit.Limiter
}

func newLimits(cfg config.Limits, now func() time.Time) limits {
	mk := func(l config.Limit) *ratelimit.Limiter {
		return ratelimit.New(l.Requests, l.Window, cfg.MaxClients, now)
	}
	return limits{loginStart: mk(cfg.LoginStart), authorize: mk(cfg.Authorize), deviceAuth: mk(cfg.DeviceAuthorization),
		deviceEntry: mk(cfg.DeviceEntry), registration: mk(cfg.Registration)}
}
