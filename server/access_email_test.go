package server_test

import (
	"testing"

	"gatehouse/server/apps"
)

// Bearer-mode proxies read the user's e-mail from the access token: it is
// there (with email_verified) when the email scope was granted, and only
// then.
func TestAccessTokenEmailNeedsEmailScope(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := signedInAgent(t, ts)
	without := newApp(t, ts, apps.Spec{Name: "No email", Scopes: []string{"openid", "profile", "email"}})
	without.Scopes = []string{"openid", "profile"}
	with := newApp(t, ts, apps.Spec{Name: "Email", Scopes: []string{"openid", "email"}})

	tok, _ := oidcSignIn(t, ts, b, without)
	claims := jwtClaims(t, tok.AccessToken)
	for _, k := range []string{"email", "email_verified"} {
		if v, ok := claims[k]; ok {
			t.Errorf("access token without the email scope carries %s = %v", k, v)
		}
	}

	tok, _ = oidcSignIn(t, ts, b, with)
	claims = jwtClaims(t, tok.AccessToken)
	if claims["email"] != "carol@example.test" {
		t.Errorf("access token with the email scope: email = %v, want carol@example.test", claims["email"])
	}
	if _, ok := claims["email_verified"].(bool); !ok {
		t.Errorf("access token with the email scope: email_verified = %#v, want a boolean", claims["email_verified"])
	}
}
