package apps

import "text/template"

// A snippet's template sees snippetValues. Values go through sh (shell)
// or q (Go, JavaScript, TOML); the issuer's endpoints are the operator's
// own configuration, and Grafana's ini format has no quoting to apply.
type snippetTemplate struct {
	id, title string
	tmpl      *template.Template
}

func newSnippet(id, title, text string) snippetTemplate {
	funcs := template.FuncMap{"sh": sh, "q": q}
	return snippetTemplate{id, title, template.Must(template.New(id).Funcs(funcs).Parse(text))}
}

var snippets = []snippetTemplate{
	newSnippet("oauth2-proxy", "oauth2-proxy (flags)", oauth2ProxyFlags),
	newSnippet("oauth2-proxy-cfg", "oauth2-proxy (config file)", oauth2ProxyConfig),
	newSnippet("grafana", "Grafana (grafana.ini)", grafana),
	newSnippet("gitea", "Gitea / Forgejo", gitea),
	newSnippet("nextcloud", "Nextcloud (user_oidc)", nextcloud),
	newSnippet("go", "Go (golang.org/x/oauth2 + github.com/coreos/go-oidc/v3, PKCE)", goClient),
	newSnippet("node", "Node.js (openid-client v6, PKCE)", nodeClient),
}

const oauth2ProxyFlags = `# To admit only members of a Gatehouse group, add (repeatable):
# --allowed-group=admins
oauth2-proxy \
  --provider=oidc \
  --oidc-issuer-url={{sh .Issuer}} \
  --client-id={{sh .ClientID}} \
{{- if .Public}}
  --client-secret='' \
{{- else}}
  --client-secret='<client secret>' \
{{- end}}
  --redirect-url={{sh .RedirectURI}} \
  --scope "openid email profile groups" \
  --code-challenge-method=S256 \
  --email-domain='*' \
  --cookie-secret="$(openssl rand -base64 32 | tr -- '+/' '-_')" \
  --upstream=http://127.0.0.1:3000
`

const oauth2ProxyConfig = `# oauth2-proxy.cfg (oauth2-proxy --config oauth2-proxy.cfg)
provider = "oidc"
oidc_issuer_url = {{q .Issuer}}
client_id = {{q .ClientID}}
client_secret = {{if .Public}}""{{else}}"<client secret>"{{end}}
redirect_url = {{q .RedirectURI}}
scope = "openid email profile groups"
code_challenge_method = "S256"
email_domains = ["*"]
# allowed_groups = ["admins"]
cookie_secret = "<32 random bytes, base64url>"
upstreams = ["http://127.0.0.1:3000"]
`

const grafana = `; Register {root_url}/login/generic_oauth as a redirect URI of this app.
[auth.generic_oauth]
enabled = true
name = Gatehouse
client_id = {{.ClientID}}
client_secret = {{if not .Public}}<client secret>{{end}}
scopes = openid email profile groups offline_access
auth_url = {{index .Endpoints "authorization_endpoint"}}
token_url = {{index .Endpoints "token_endpoint"}}
api_url = {{index .Endpoints "userinfo_endpoint"}}
use_pkce = true
use_refresh_token = true
login_attribute_path = preferred_username
email_attribute_path = email
groups_attribute_path = groups
; role_attribute_path = contains(groups[*], 'admins') && 'Admin' || 'Viewer'
`

const gitea = `# Register https://<gitea host>/user/oauth2/gatehouse/callback as a redirect URI of this app.
gitea admin auth add-oauth \
  --name gatehouse \
  --provider openidConnect \
  --key {{sh .ClientID}} \
  --secret {{if .Public}}''{{else}}'<client secret>'{{end}} \
  --auto-discover-url {{sh .Discovery}} \
  --scopes openid,email,profile,groups \
  --group-claim-name groups
`

const nextcloud = `# Register https://<nextcloud host>/index.php/apps/user_oidc/code as a redirect URI of this app.
php occ user_oidc:provider gatehouse \
  --clientid={{sh .ClientID}} \
  --clientsecret={{if .Public}}''{{else}}'<client secret>'{{end}} \
  --discoveryuri={{sh .Discovery}} \
  --scope='openid email profile groups' \
  --mapping-uid=sub \
  --group-provisioning=1 \
  --mapping-groups=groups
`

const goClient = `provider, err := oidc.NewProvider(ctx, {{q .Issuer}})
if err != nil {
	return err
}
conf := &oauth2.Config{
	ClientID:     {{q .ClientID}},
{{- if .Public}}
	// A public app has no secret: PKCE proves the code is yours.
{{- else}}
	ClientSecret: "<client secret>",
{{- end}}
	RedirectURL:  {{q .RedirectURI}},
	Endpoint:     provider.Endpoint(),
	Scopes:       []string{oidc.ScopeOpenID, "profile", "email", "groups"},
}
verifier := provider.Verifier(&oidc.Config{ClientID: conf.ClientID})

// Sign-in: keep state and the PKCE verifier in the user's session.
state, pkce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
http.Redirect(w, r, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(pkce)), http.StatusFound)

// Callback: compare r.FormValue("state") with the session's first.
tok, err := conf.Exchange(ctx, r.FormValue("code"), oauth2.VerifierOption(pkce))
if err != nil {
	return err
}
rawID, _ := tok.Extra("id_token").(string)
idToken, err := verifier.Verify(ctx, rawID)
if err != nil {
	return err
}
var claims struct {
	Email  string   ` + "`json:\"email\"`" + `
	Groups []string ` + "`json:\"groups\"`" + `
}
err = idToken.Claims(&claims)
`

const nodeClient = `import * as client from 'openid-client'

const config = await client.discovery(
  new URL({{q .Issuer}}),
  {{q .ClientID}},
{{- if .Public}}
  undefined,
  client.None(), // a public app: no secret, PKCE only
{{- else}}
  '<client secret>',
{{- end}}
)
const redirect_uri = {{q .RedirectURI}}

// Sign-in: keep code_verifier and state in the user's session.
const code_verifier = client.randomPKCECodeVerifier()
const code_challenge = await client.calculatePKCECodeChallenge(code_verifier)
const state = client.randomState()
const url = client.buildAuthorizationUrl(config, {
  redirect_uri,
  scope: 'openid email profile groups',
  code_challenge,
  code_challenge_method: 'S256',
  state,
})

// Callback: currentUrl is the full URL the browser came back to.
const tokens = await client.authorizationCodeGrant(config, currentUrl, {
  pkceCodeVerifier: code_verifier,
  expectedState: state,
})
const claims = tokens.claims() // sub, email, groups, …
`
