// Command webapp is an example relying party: it signs its user in with
// Gatehouse (authorization code + PKCE, state and nonce, the id_token
// verified by go-oidc), shows who they are, and calls its own API with an
// access token issued for that API alone (RFC 8707 resource indicator).
// The API, /api/things in the same binary, is protected by the resource
// package, as any team API would be.
//
// Register the app and the API first (the API's identifier is this
// server's /api URL):
//
//	gatehouse apps create --name webapp --redirect-uri http://127.0.0.1:8000/callback \
//	  --scope openid --scope profile
//	gatehouse apis create --identifier http://127.0.0.1:8000/api --name Things \
//	  --scope 'read:things=Read your things'
//	go run ./examples/webapp --issuer http://127.0.0.1:8080 --client-id app_… --client-secret …
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	var cfg Config
	flag.StringVar(&cfg.Issuer, "issuer", "http://127.0.0.1:8080", "Gatehouse's URL")
	flag.StringVar(&cfg.ClientID, "client-id", "", "the app's client_id")
	flag.StringVar(&cfg.ClientSecret, "client-secret", os.Getenv("WEBAPP_CLIENT_SECRET"), "the app's client secret (or $WEBAPP_CLIENT_SECRET)")
	listen := flag.String("listen", "127.0.0.1:8000", "address to serve on")
	flag.Parse()
	cfg.BaseURL = "http://" + *listen
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	h, err := New(ctx, cfg)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
	log.Printf("webapp on %s (API %s)", cfg.BaseURL, cfg.BaseURL+"/api")
	srv := &http.Server{Addr: *listen, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
