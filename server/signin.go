package server

import (
	"time"

	"gatehouse/providers"
	"gatehouse/server/config"
	"gatehouse/server/signin"
	"gatehouse/store"
)

// newSignin builds the sign-in service every sign-in path shares: the
// pages, the login API and the device flow.
func newSignin(cfg *config.Config, st store.Store, now func() time.Time) *signin.Service {
	admission := map[string]providers.Admission{}
	for _, pc := range cfg.ProviderConfigs() {
		if pc.Admission.Restricted() {
			admission[pc.Name] = pc.Admission
		}
	}
	return &signin.Service{Store: st, Now: now, TrustEmail: cfg.TrustedEmailProviders(),
		Signup: signin.Signup(cfg.Signup), Admission: admission,
		PasswordAttempts: cfg.Login.PasswordAttempts, PasswordUserAttempts: cfg.Login.PasswordUserAttempts,
		PasswordWindow: cfg.Login.PasswordWindow}
}
