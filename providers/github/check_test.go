package github

import (
	"testing"

	"gatehouse/providers"
)

func TestCheckTokenURL(t *testing.T) {
	for _, tc := range []struct{ override, want string }{
		{"", "https://api.github.com/applications/Iv1.abc/token"},
		{"https://ghe.example/api/v3/applications/{client_id}/token", "https://ghe.example/api/v3/applications/Iv1.abc/token"},
	} {
		if got := checkTokenURL(providers.Config{ClientID: "Iv1.abc", CheckTokenURL: tc.override}); got != tc.want {
			t.Errorf("checkTokenURL(%q) = %q, want %q", tc.override, got, tc.want)
		}
	}
}
