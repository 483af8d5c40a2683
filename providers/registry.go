package providers

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Config is one provider instance's section of the config file, after the
// config package has read secrets from files and env. Each provider type's
// factory validates the fields it uses and ignores none silently: Options
// keys it does not know are an error.
type Config struct {
	Name         string // instance name, unique; the /login/{name} segment
	Type         string // registered type, e.g. "github"
	DisplayName  string // button label; factories default it
	ClientID     string
	ClientSecret string
	Scopes       []string
	// Endpoint overrides (empty means the type's default).
	APIURL     string
	AuthURL    string
	TokenURL   string
	ProfileURL string
	EmailsURL  string
	DeviceURL  string
	// CheckTokenURL is GitHub's token check, which proves an access token
	// was issued to our client ("{client_id}" is filled in).
	CheckTokenURL string
	// IntrospectionURL is an RFC 7662 introspection endpoint, which proves
	// an access token was issued to our client (plain OAuth2 providers;
	// OIDC providers find theirs by discovery).
	IntrospectionURL string
	// TrustEmail: the operator vouches that this provider's e-mail
	// addresses are verified, so they may link to an existing account.
	TrustEmail bool
	// Admission is who may sign in through this instance (allowed_orgs,
	// allowed_teams, allowed_groups, allowed_email_domains). The server
	// checks it at every sign-in; a provider reads it only to know what to
	// fetch (GitHub asks for read:org and the memberships when org or team
	// rules are set).
	Admission Admission
	// GroupsClaim is where the person's upstream groups are: an id_token or
	// userinfo claim (oidc; "groups" when empty) or a dotted path into the
	// profile document (oauth2; no groups when empty).
	GroupsClaim string
	// Claims maps upstream fields (dotted paths into the profile document
	// or the OIDC claims) to our claim names (one of ClaimTargets); the
	// mapped value overrides what the provider's own mapping found.
	Claims map[string]string
	// Options holds type-specific settings (e.g. the mock user).
	Options map[string]string
	// Issuer is set by the server: its public base URL. Our providers get
	// their callback URL per call and do not need it; a goth provider fixes
	// its callback URL when it is built (see WrapGoth, LoginCallbackURL).
	Issuer string
	// HTTPClient is set by the server, always with a timeout and a cap on
	// answer sizes (http.upstream_timeout, http.upstream_max_bytes).
	HTTPClient *http.Client
	// Now is the server's clock (for back-off after upstream failures);
	// nil means time.Now.
	Now func() time.Time
}

// LoginCallbackURL is where the browser comes back to the pages after
// signing in upstream: {issuer}/login/{name}/callback.
func LoginCallbackURL(issuer, name string) string {
	return issuer + "/login/" + name + "/callback"
}

// WebCallbackURL is where the browser comes back to the login API's web
// flow: {issuer}/v1/login/oauth2/web/callback/{name}. An upstream app that
// serves both flows registers both URLs.
func WebCallbackURL(issuer, name string) string {
	return issuer + "/v1/login/oauth2/web/callback/" + name
}

// Type describes a provider type that can be instantiated from config.
type Type struct {
	// Name is the value of `type:` in config.
	Name string
	// DevOnly types (mock) are refused unless the server runs in dev mode.
	DevOnly bool
	// New builds an instance. Errors name the config key, e.g.
	// `client_id: required`.
	New func(Config) (Provider, error)
}

// Registry maps provider type names to their factories. It is built at
// start-up (see the builtin package) and read-only afterwards.
type Registry struct {
	types map[string]Type
}

// NewRegistry returns a registry holding the given types.
func NewRegistry(types ...Type) *Registry {
	r := &Registry{types: map[string]Type{}}
	for _, t := range types {
		r.Register(t)
	}
	return r
}

// Register adds a type. Registering a name twice is a programming error.
func (r *Registry) Register(t Type) {
	if _, dup := r.types[t.Name]; dup {
		panic("providers: type registered twice: " + t.Name)
	}
	r.types[t.Name] = t
}

// Lookup returns the registered type name.
func (r *Registry) Lookup(name string) (Type, bool) {
	t, ok := r.types[name]
	return t, ok
}

// Names lists the registered type names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New instantiates cfg.Type. dev reports whether dev-only types are allowed.
func (r *Registry) New(cfg Config, dev bool) (Provider, error) {
	t, ok := r.types[cfg.Type]
	if !ok {
		return nil, fmt.Errorf("type: unknown provider type %q (known: %v)", cfg.Type, r.Names())
	}
	if t.DevOnly && !dev {
		return nil, fmt.Errorf("type: %q is only allowed in dev mode (dev: true)", cfg.Type)
	}
	return t.New(cfg)
}
