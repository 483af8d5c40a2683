package server

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps the connections open at once. Over the cap a new
// connection is answered a minimal 503 with Retry-After and closed, rather
// than held in the backlog: the client learns at once to come back, and an
// idle flood cannot take the file descriptors the database and upstream
// calls need.
type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
	// refusing bounds the goroutines writing refusals; past it a refused
	// connection is closed without an answer.
	refusing atomic.Int64
}

// refusal is the whole answer to a connection over the limit.
const refusal = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nover limit\r\n"

// maxRefusing caps refusals in flight (each holds a descriptor for at most
// refusalTime).
const (
	maxRefusing = 64
	refusalTime = time.Second
)

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, max: int64(max)}
}

// Accept returns the next connection within the limit, refusing the ones
// over it.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &countedConn{Conn: c, open: &l.open}, nil
		}
		l.open.Add(-1)
		l.refuse(c)
	}
}

// refuse answers c with the 503 and closes it, in the background so the
// accept loop never waits on a client.
func (l *limitListener) refuse(c net.Conn) {
	if l.refusing.Add(1) > maxRefusing {
		l.refusing.Add(-1)
		c.Close()
		return
	}
	go func() {
		defer l.refusing.Add(-1)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refusalTime))
		if _, err := io.WriteString(c, refusal); err != nil {
			return
		}
		// Close our side for writing and read what the client sent, so the
		// close is a FIN the client reads after the answer, not a reset
		// that may destroy the answer unread.
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// countedConn gives its place back when closed (once: net/http may close
// a connection more than once).
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// maxConnections is http.max_connections, or when that is 0 the file
// descriptor limit less a reserve (an eighth, at least 128) for the
// database pools, upstream calls, logs and refusals. Without a known
// limit it is 4096.
func maxConnections(configured int, limit uint64) int {
	if configured > 0 {
		return configured
	}
	if limit == 0 {
		return 4096
	}
	reserve := max(limit/8, 128)
	if limit <= reserve+64 {
		return 64
	}
	return int(min(limit-reserve, 1<<30))
}
