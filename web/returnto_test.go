package web

import "testing"

func TestSafeReturnTo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/account", "/account"},
		{"/oauth2/authorize?client_id=a&state=b", "/oauth2/authorize?client_id=a&state=b"},
		{"", ""},
		{"account", ""},
		{"//evil.example/x", ""},
		{"/\\evil.example", ""},
		{"https://evil.example/", ""},
		{"javascript:alert(1)", ""},
		{"/ok\r\nSet-Cookie: x=y", ""},
		{"/%zz", ""},
		{"/" + string(make([]byte, 2000)), ""},
	}
	for _, tt := range tests {
		if got := SafeReturnTo(tt.in); got != tt.want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
