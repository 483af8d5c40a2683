package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: Load never panics on arbitrary YAML; it returns either an
// error or a config that validates (defaults filled in, so validating
// again still passes).
func FuzzLoad(f *testing.F) {
	f.Add(string(defaultYAML))
	if b, err := os.ReadFile("../../config.example.yaml"); err == nil {
		f.Add(string(b))
	}
	f.Add("dev: true\n")
	f.Add("dev: true\nhttp:\n  upstream_max_bytes: 4096\n  upstream_timeout: -1s\n")
	f.Add("dev: true\ntokens:\n  key_rotation: 0s\n  refresh_grace: 1s\n")
	f.Add("dev: true\nproviders:\n  - name: a\n    type: oidc\n  - name: a\n    type: github\n")
	f.Add("dev: true\nproviders: &a [*a]\n")
	f.Add("issuer: https://x\nlogin:\n  passwords: false\nscopes: {}\n")
	path := filepath.Join(f.TempDir(), "gatehouse.yaml")
	f.Fuzz(func(t *testing.T, yaml string) {
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, nil)
		if err != nil {
			if c != nil {
				t.Fatal("a config and an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a config that does not validate: %v\n%s", err, yaml)
		}
	})
}
