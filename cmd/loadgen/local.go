package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"sync"

	"github.com/golang-jwt/jwt/v5"

	"gatehouse/server/password"
)

// The machine's own ceilings, measured in the load generator's process in
// the same run: RS256 signing (what a refresh with openid must do once) and
// the password hash (what every password grant must do once).

var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func rs256Worker(context.Context, int) (func(context.Context) error, error) {
	k, err := rsaKey()
	if err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{"iss": "http://127.0.0.1", "sub": "bench", "aud": "bench", "exp": 2000000000}
	return func(context.Context) error {
		_, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(k)
		return err
	}, nil
}

func hashWorker(context.Context, int) (func(context.Context) error, error) {
	return func(context.Context) error {
		_, err := password.Hash("correct horse battery staple")
		return err
	}, nil
}
