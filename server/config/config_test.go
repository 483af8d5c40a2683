package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
)

func write(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "gatehouse.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestEmbeddedDefault(t *testing.T) {
	c, err := Load("", nil)
	require.NoError(t, err)
	if !c.Dev || c.Listen != "127.0.0.1:8080" || c.Database.DSN != "gatehouse.db" || len(c.Providers) != 1 || c.Providers[0].Type != "mock" {
		t.Errorf("default = %+v", c)
	}
	if c.MasterKeyFile != "gatehouse.key" || !c.PasswordsEnabled() {
		t.Errorf("master key file %q, passwords %v", c.MasterKeyFile, c.PasswordsEnabled())
	}
}

func TestExampleConfigLoads(t *testing.T) {
	// The example points at /run/secrets; stand those files up in a temp dir.
	dir := t.TempDir()
	b, err := os.ReadFile("../../config.example.yaml")
	require.NoError(t, err)
	body := strings.ReplaceAll(string(b), "/run/secrets/", dir+"/")
	for _, f := range []string{"github_client_secret", "ghe_client_secret", "lego_client_secret", "lametric_client_secret", "corp_client_secret", "gitlab_client_secret"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("secret\n"), 0o600))
	}
	c, err := Load(write(t, body), []string{"GATEHOUSE_DEV=true"})
	require.NoError(t, err)
	if len(c.Providers) < 4 {
		t.Errorf("example has %d providers", len(c.Providers))
	}
	for _, pc := range c.ProviderConfigs() {
		if pc.Name == "github-enterprise" && pc.CheckTokenURL != "https://github.corp.example/api/v3/applications/{client_id}/token" {
			t.Errorf("check_token_url not passed to the provider: %+v", pc)
		}
	}
	c, err = Load(write(t, "dev: true\nproviders:\n  - name: gl\n    type: oauth2\n    introspection_url: https://gl.example/introspect\n"), nil)
	require.NoError(t, err)
	if pc := c.ProviderConfigs()[0]; pc.IntrospectionURL != "https://gl.example/introspect" {
		t.Errorf("introspection_url not passed to the provider: %+v", pc)
	}
}

func TestValidationNamesKeys(t *testing.T) {
	tests := []struct{ body, want string }{
		{"issuer: http://gh.example\ndev: false\nmaster_key_file: k\n", "issuer: must use https unless dev"},
		{"issuer: not a url\ndev: true\n", "issuer: must be an absolute"},
		{"dev: true\nlisten: nope\n", "listen: must be host:port"},
		{"dev: true\ndatabase:\n  driver: mysql\n", "database.driver: must be sqlite or postgres"},
		{"dev: true\ntokens:\n  access_alg: HS256\n", "tokens.access_alg"},
		{"dev: true\ntokens:\n  refresh_idle_ttl: 100h\n  refresh_absolute_ttl: 10h\n", "tokens.refresh_idle_ttl: must not exceed"},
		{"dev: true\ncors:\n  allowed_origins: [\"https://app.test/path\"]\n", "cors.allowed_origins[0]"},
		{"dev: true\nhttp:\n  trusted_proxies: [\"10.0.0.1\"]\n", "http.trusted_proxies[0]: not a CIDR"},
		{"dev: true\nlog:\n  level: loud\n", "log.level"},
		{"dev: true\ntokens:\n  key_cache_ttl: 10ms\n", "tokens.key_cache_ttl: must be between 1s and 1h"},
		{"dev: true\ntokens:\n  key_cache_ttl: 2h\n", "tokens.key_cache_ttl: must be between 1s and 1h"},
		{"dev: true\nhttp:\n  pprof_listen: 0.0.0.0:6060\n", "http.pprof_listen: must be a loopback"},
		{"dev: true\nhttp:\n  pprof_listen: :6060\n", "http.pprof_listen: must be a loopback"},
		{"dev: true\nhttp:\n  pprof_listen: example.com:6060\n", "http.pprof_listen: must be a loopback"},
		{"dev: true\nproviders:\n  - name: Git Hub\n    type: github\n", "providers[0].name"},
		{"dev: true\nproviders:\n  - name: gh\n    type: github\n  - name: gh\n    type: github\n", `providers[1].name: "gh" is used twice`},
		{"dev: true\nproviders:\n  - name: gh\n", "providers[0] (gh).type: required"},
		{"dev: true\nmaster_key: c2hvcnQ=\n", "master_key: master key must decode to 32 bytes"},
		{"dev: true\nunknown_key: 1\n", "field unknown_key not found"},
		{"dev: true\nsession:\n  lifetime: forever\n", "line 3: cannot unmarshal"},
		{"dev: true\nlimits:\n  login_start: {requests: -1}\n", "limits.login_start.requests: must be positive"},
		{"dev: true\nlimits:\n  registration: {window: 10ms}\n", "limits.registration.window: must be between 1s and 24h"},
		{"dev: true\nlimits:\n  max_clients: -5\n", "limits.max_clients: must be positive"},
		{"dev: true\nlogin:\n  password_user_attempts: -1\n", "login.password_user_attempts: must be positive"},
	}
	for _, tt := range tests {
		_, err := Load(write(t, tt.body), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("config %q: err = %v, want it to contain %q", tt.body, err, tt.want)
		}
	}
}

func TestAllProblemsReported(t *testing.T) {
	_, err := Load(write(t, "issuer: ftp://x\nlisten: nope\nlog:\n  format: xml\n"), nil)
	require.Error(t, err)
	for _, key := range []string{"issuer", "listen", "log.format"} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error lacks %s: %v", key, err)
		}
	}
}

func TestEnvAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("s3cret\n"), 0o600))
	body := "dev: true\nproviders:\n  - name: github-enterprise\n    type: github\n    client_secret_file: " + secret + "\n"
	c, err := Load(write(t, body), []string{"GATEHOUSE_LISTEN=127.0.0.1:9999", "GATEHOUSE_PROVIDERS_GITHUB_ENTERPRISE_CLIENT_ID=abc", "OTHER=x"})
	require.NoError(t, err)
	if c.Listen != "127.0.0.1:9999" || c.Issuer != "http://127.0.0.1:9999" {
		t.Errorf("listen %q issuer %q", c.Listen, c.Issuer)
	}
	pc := c.ProviderConfigs()[0]
	if pc.ClientID != "abc" || pc.ClientSecret != "s3cret" || providers.LoginCallbackURL(pc.Issuer, pc.Name) != "http://127.0.0.1:9999/login/github-enterprise/callback" {
		t.Errorf("provider config = %+v", pc)
	}
	_, err = Load(write(t, body+"    client_secret: inline\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("secret twice: %v", err)
	}
	c, err = Load(write(t, "dev: true\n"), []string{"GATEHOUSE_HTTP_PPROF_LISTEN=[::1]:6060"})
	require.NoError(t, err)
	if c.HTTP.PprofListen != "[::1]:6060" || c.Tokens.KeyCacheTTL != time.Minute {
		t.Errorf("pprof %q, key cache %s", c.HTTP.PprofListen, c.Tokens.KeyCacheTTL)
	}
	_, err = Load(write(t, "dev: true\n"), []string{"GATEHOUSE_DEV=maybe"})
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_DEV") {
		t.Errorf("bad env bool: %v", err)
	}
}

func TestMasterKey(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(write(t, "dev: true\nmaster_key_file: "+filepath.Join(dir, "k")+"\n"), nil)
	require.NoError(t, err)
	k1, created, err := c.LoadMasterKey()
	require.NoError(t, err)
	if !created || len(k1) != 32 {
		t.Fatalf("dev key: created=%v len=%d", created, len(k1))
	}
	k2, created, err := c.LoadMasterKey()
	require.NoError(t, err)
	if created || string(k1) != string(k2) {
		t.Errorf("second load created a new key")
	}
	prod, err := Load(write(t, "issuer: https://gh.example\nmaster_key_file: "+filepath.Join(dir, "missing")+"\n"), nil)
	require.NoError(t, err)
	if _, _, err := prod.LoadMasterKey(); err == nil || !strings.Contains(err.Error(), "master_key_file") {
		t.Errorf("missing key outside dev: %v", err)
	}
}

// Outside dev mode only administrators may register apps unless the
// operator opens it up (an app's redirect URIs are where people get sent).
func TestAppCreatorsDefault(t *testing.T) {
	for _, tc := range []struct {
		dev       bool
		set, want string
	}{{false, "", "admins"}, {true, "", "anyone"}, {false, "anyone", "anyone"}, {true, "admins", "admins"}} {
		c := Config{Dev: tc.dev, Apps: Apps{Creators: tc.set}}
		c.defaults()
		if c.Apps.Creators != tc.want {
			t.Errorf("dev %v, set %q: creators %q, want %q", tc.dev, tc.set, c.Apps.Creators, tc.want)
		}
	}
}

// http.upstream_max_bytes defaults to 1 MiB; a value too small for any
// real answer (or negative) stops start-up naming the key.
func TestUpstreamMaxBytes(t *testing.T) {
	c, err := Load(write(t, "dev: true\n"), nil)
	require.NoError(t, err)
	require.EqualValues(t, 1<<20, c.HTTP.UpstreamMaxBytes)
	for _, v := range []string{"-1", "100"} {
		_, err := Load(write(t, "dev: true\nhttp:\n  upstream_max_bytes: "+v+"\n"), nil)
		require.ErrorContains(t, err, "http.upstream_max_bytes: must be at least 4096")
	}
}

func TestTemplatesDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "login.html")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	for name, tt := range map[string]struct{ dir, want string }{
		"missing":     {filepath.Join(dir, "nope"), "ui.templates_dir: stat "},
		"a file":      {file, "ui.templates_dir: " + file + " is not a directory"},
		"a directory": {dir, ""},
		"not set":     {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(write(t, "dev: true\nmaster_key_file: k\nui:\n  templates_dir: \""+tt.dir+"\"\n"), nil)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, tt.dir, c.UI.TemplatesDir)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}
