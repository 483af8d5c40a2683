package config

import (
	"fmt"
	"time"
)

// Limits are the per-address request limits of the endpoints that write
// rows for anyone who asks (see server/ratelimit). They are counted in
// memory by each instance.
type Limits struct {
	// MaxClients bounds the addresses each limit tracks per window; more
	// addresses share one count.
	MaxClients int `yaml:"max_clients"`
	// LoginStart: GET /login/{provider}, the login API's web authorize and
	// device start (one budget).
	LoginStart Limit `yaml:"login_start"`
	// Authorize: /oauth2/authorize requests that must wait for sign-in or
	// consent (a pending row each); answered requests are not counted.
	Authorize           Limit `yaml:"authorize"`
	DeviceAuthorization Limit `yaml:"device_authorization"` // POST /oauth2/device_authorization
	DeviceEntry         Limit `yaml:"device_entry"`         // POST /device (user-code guesses)
	Registration        Limit `yaml:"registration"`         // POST /oauth2/register
}

// Limit is Requests per Window per client address.
type Limit struct {
	Requests int           `yaml:"requests"`
	Window   time.Duration `yaml:"window"`
}

// defaults: windows as long as the rows they bound live (pending logins,
// authorization requests, login states and device codes: 10 minutes), so
// one address holds at most twice Requests live rows of each kind.
func (l *Limits) defaults() {
	if l.MaxClients == 0 {
		l.MaxClients = 10000
	}
	l.LoginStart.defaults(60, 10*time.Minute)
	l.Authorize.defaults(60, 10*time.Minute)
	l.DeviceAuthorization.defaults(30, 10*time.Minute)
	l.DeviceEntry.defaults(20, 10*time.Minute)
	l.Registration.defaults(20, time.Hour)
}

func (l *Limit) defaults(requests int, window time.Duration) {
	if l.Requests == 0 {
		l.Requests = requests
	}
	if l.Window == 0 {
		l.Window = window
	}
}

func (l *Limits) validate() []error {
	var errs []error
	if l.MaxClients < 1 {
		errs = append(errs, fmt.Errorf("limits.max_clients: must be positive, got %d", l.MaxClients))
	}
	for key, lim := range map[string]Limit{"login_start": l.LoginStart, "authorize": l.Authorize,
		"device_authorization": l.DeviceAuthorization, "device_entry": l.DeviceEntry, "registration": l.Registration} {
		if lim.Requests < 1 {
			errs = append(errs, fmt.Errorf("limits.%s.requests: must be positive, got %d", key, lim.Requests))
		}
		if lim.Window < time.Second || lim.Window > 24*time.Hour {
			errs = append(errs, fmt.Errorf("limits.%s.window: must be between 1s and 24h, got %s", key, lim.Window))
		}
	}
	return errs
}
