package config

import "time"

// Logout configures signing out (OpenID Connect Back-Channel Logout).
type Logout struct {
	// BackchannelTimeout bounds each POST of a logout token to an app's
	// backchannel_logout_uri (default 5s; it is tried 3 times).
	BackchannelTimeout time.Duration `yaml:"backchannel_timeout"`
}

func (l *Logout) defaults() {
	defDur(&l.BackchannelTimeout, 5*time.Second)
}

func (l *Logout) validate() []error {
	var errs []error
	if l.BackchannelTimeout < 0 || l.BackchannelTimeout > time.Minute {
		errs = append(errs, keyErr("logout.backchannel_timeout", "must be between 0 and 1m, got %s", l.BackchannelTimeout))
	}
	return errs
}
