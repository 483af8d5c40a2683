// Package builtin lists the provider types compiled into Gatehouse. To add
// a provider: write its package (copy gitea for a plain OAuth2 upstream;
// docs/providers.md walks through it), then add its Type here.
package builtin

import (
	"gatehouse/providers"
	"gatehouse/providers/gitea"
	"gatehouse/providers/github"
	"gatehouse/providers/lametric"
	"gatehouse/providers/lego"
	"gatehouse/providers/mock"
	"gatehouse/providers/oauth2generic"
	"gatehouse/providers/oidc"
)

// Registry returns a registry of every built-in provider type.
func Registry() *providers.Registry {
	return providers.NewRegistry(github.Type(), gitea.Type(), lego.Type(), lametric.Type(), oidc.Type(), oauth2generic.Type(), mock.Type())
}
