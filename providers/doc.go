// Package providers is the plugin interface for upstream sign-in: the small
// Provider interface every plugin implements, the optional capabilities a
// plugin opts into (ScopeDescriber, DeviceAuthorizer, TokenVerifier) found
// with As, the Registry that maps a config `type:` to a factory, and the
// adapter that turns a third-party goth.Provider into a Provider.
//
// Our providers implement Provider directly; one instance serves every
// flow, each passing its own callback URL, and the request's context
// reaches every upstream call.
//
// Adding a provider (docs/providers.md walks through one): write a package
// (copy gitea for a plain OAuth2 upstream: endpoints, scope separator and
// profile mapping on oauth2base), pin its capabilities with
// `var _ providers.X = (*Provider)(nil)`, run providertest.Run against
// providertest's fake upstream, and add its Type to builtin.
//
// TokenVerifier is the one capability that depends on config as well as on
// the type: it means the upstream can prove a token was issued to our
// client, which plain OAuth2 upstreams can only with RFC 7662
// introspection. Their factories add it with WithTokenVerifier when an
// introspection_url is configured (oauth2base.WithIntrospection).
package providers
