// Package builtin lists the provider types compiled into Gatehouse. To add
// a provider: write its package (copy lego for a plain OAuth2 upstream),
// then add its Type here.
package builtin

import (
	"gatehouse/providers"
	"gatehouse/providers/github"
	"gatehouse/providers/lametric"
	"gatehouse/providers/lego"
	"gatehouse/providers/mock"
	"gatehouse/providers/oauth2generic"
	"gatehouse/providers/oidc"
)

// Registry returns a registry of every built-in provider type.
func Registry() *providers.Registry {
	return providers.NewRegistry(github.Type(), lego.Type(), lametric.Type(), oidc.Type(), oauth2generic.Type(), mock.Type())
}
