package providers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBody is the default cap on an upstream answer
// (http.upstream_max_bytes): discovery documents, key sets, tokens and
// profiles are a few kilobytes.
const DefaultMaxBody = 1 << 20

// ErrTooLarge: an upstream answer passed the size cap. Libraries that read
// answers whole (go-oidc reads discovery and JWKS with io.ReadAll) see it
// as a read error, so a huge or endless answer costs at most the cap.
var ErrTooLarge = errors.New("upstream answer too large")

// LimitBody wraps base (nil: http.DefaultTransport) so that every response
// body fails with ErrTooLarge once more than max bytes are read. An answer
// announcing a larger Content-Length is refused before its body is read.
func LimitBody(base http.RoundTripper, max int64) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &limitTransport{base: base, max: max}
}

type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, t.tooLarge(req)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, err: t.tooLarge(req)}
	return resp, nil
}

func (t *limitTransport) tooLarge(req *http.Request) error {
	return fmt.Errorf("%w: %s answered more than %d bytes (http.upstream_max_bytes)", ErrTooLarge, req.URL.Redacted(), t.max)
}

// limitedBody reads at most left more bytes, then fails with err if the
// answer goes on (an answer of exactly the cap is fine).
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
