package oauth

import (
	"fmt"
	"time"
)

// Problem is an error answer of an API whose body has its own shape, not
// RFC 6749's: the login API's {"errors": [...]} and {"error": "..."} (seed
// 002) and the JWT API's codes (seed 000). Body is written as JSON with
// Status; it must hold nothing secret.
type Problem struct {
	Status int
	Body   any
	// RetryAfter, when set, goes out as the Retry-After header (429s).
	RetryAfter time.Duration
	// Cause is for the log, never the client.
	Cause error
}

func (p *Problem) Error() string {
	if p.Cause != nil {
		return fmt.Sprintf("%d %v: %v", p.Status, p.Body, p.Cause)
	}
	return fmt.Sprintf("%d %v", p.Status, p.Body)
}

func (p *Problem) Unwrap() error { return p.Cause }
