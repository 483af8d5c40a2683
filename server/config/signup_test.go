package config

import (
	"strings"
	"testing"
)

// signup defaults to open in dev and to invite elsewhere; an explicit
// value stands; anything else stops start-up naming the key.
func TestSignupPolicy(t *testing.T) {
	for _, tc := range []struct {
		dev       bool
		set, want string
	}{{false, "", "invite"}, {true, "", "open"}, {false, "open", "open"}, {true, "closed", "closed"}} {
		c := Config{Dev: tc.dev, Signup: tc.set}
		c.defaults()
		if c.Signup != tc.want {
			t.Errorf("dev %v, set %q: signup %q, want %q", tc.dev, tc.set, c.Signup, tc.want)
		}
	}
	_, err := Load(write(t, "dev: true\nsignup: maybe\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `signup: must be open, invite or closed, got "maybe"`) {
		t.Errorf("signup: maybe: err %v", err)
	}
}
