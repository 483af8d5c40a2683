package providers_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
)

// countingBody is an endless upstream answer that counts what was read.
type countingBody struct{ read int64 }

func (b *countingBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	b.read += int64(len(p))
	return len(p), nil
}
func (b *countingBody) Close() error { return nil }

type fixedTransport struct{ resp *http.Response }

func (t fixedTransport) RoundTrip(*http.Request) (*http.Response, error) { return t.resp, nil }

// An endless answer is read only up to the cap (plus one byte to see it
// goes on), then fails with ErrTooLarge.
func TestLimitBodyStopsReadingAtTheCap(t *testing.T) {
	body := &countingBody{}
	c := &http.Client{Transport: providers.LimitBody(fixedTransport{&http.Response{StatusCode: 200, Body: body, ContentLength: -1}}, 1000)}
	resp, err := c.Get("http://upstream.test/doc")
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, providers.ErrTooLarge)
	require.Contains(t, err.Error(), "http.upstream_max_bytes")
	require.LessOrEqual(t, body.read, int64(1001))
}

// Answers up to the cap pass whole; a larger Content-Length is refused
// before its body is read.
func TestLimitBodyOverRealHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("y", len(r.URL.Path)-1))
	}))
	defer srv.Close()
	c := providers.NewHTTPClient(0, 10)
	for _, tc := range []struct {
		path string
		ok   bool
	}{{"/", true}, {"/aaaaaaaaaa", true}, {"/aaaaaaaaaaa", false}} {
		resp, err := c.Get(srv.URL + tc.path)
		if tc.ok {
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Len(t, b, len(tc.path)-1)
			resp.Body.Close()
		} else {
			require.Error(t, err)
			require.True(t, errors.Is(err, providers.ErrTooLarge), err)
		}
	}
}
