// Package providers is the plugin interface for upstream sign-in: the small
// Provider interface every plugin implements, the optional capabilities a
// plugin opts into (Refresher, ScopeDescriber, DeviceAuthorizer,
// TokenVerifier, EmailVerifier) found with As, the Registry that maps a
// config `type:` to a factory, and the adapter that turns any goth.Provider
// into a Provider.
//
// Adding a provider: write a package (copy lego for a plain OAuth2
// upstream: endpoints, scope separator and profile mapping on oauth2base),
// pin its capabilities with `var _ providers.X = (*Provider)(nil)`, test it
// against providertest's fake upstream, and add its Type to builtin.
package providers
