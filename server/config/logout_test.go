package config

import (
	"strings"
	"testing"
	"time"
)

// logout.backchannel_timeout defaults to 5s and is refused, by name,
// outside 0..1m.
func TestLogoutBackchannelTimeout(t *testing.T) {
	c, err := Load(write(t, "dev: true\n"), nil)
	if err != nil || c.Logout.BackchannelTimeout != 5*time.Second {
		t.Fatalf("default: %v %v", c, err)
	}
	for _, v := range []string{"-1s", "2m"} {
		_, err := Load(write(t, "dev: true\nlogout:\n  backchannel_timeout: "+v+"\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "logout.backchannel_timeout") {
			t.Errorf("%s: %v", v, err)
		}
	}
}
