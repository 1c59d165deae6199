package mailparse

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Limits bounds what Parse spends on one message. A zero field takes its
// default, so Limits{} is the production setting.
type Limits struct {
	MaxBytes    int64 // whole raw message; default 50 MiB
	MaxParts    int   // MIME entities, containers included; default 500
	MaxDepth    int   // nested multiparts; default 10
	MaxBodyText int   // bytes of text and of HTML body kept, each; default 1 MiB, beyond it Truncated
	// MaxHeaderBytes bounds one header block (the message's or a part's,
	// with a multipart preamble): header lines are held whole in memory
	// while read. Default 1 MiB.
	MaxHeaderBytes int
}

// Default limits, applied to zero fields of Limits.
const (
	DefaultMaxBytes       = 50 << 20
	DefaultMaxParts       = 500
	DefaultMaxDepth       = 10
	DefaultMaxBodyText    = 1 << 20
	DefaultMaxHeaderBytes = 1 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxBodyText <= 0 {
		l.MaxBodyText = DefaultMaxBodyText
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return l
}

// Quarantine reasons, the stable values of QuarantineError.Reason.
const (
	ReasonTooLarge       = "too_large"        // more than MaxBytes
	ReasonTooManyParts   = "too_many_parts"   // more than MaxParts
	ReasonTooDeep        = "too_deep"         // more than MaxDepth nested multiparts
	ReasonHeaderTooLarge = "header_too_large" // a header block over MaxHeaderBytes
)

// QuarantineError is returned by Parse for a message it refuses to
// process whole because it exceeds a limit. The message is not lost: the
// caller keeps it aside (quarantine) and shows Headers to a person.
type QuarantineError struct {
	Reason  string            // one of the Reason constants
	Limit   int64             // the limit exceeded
	Headers map[string]string // the message's headers read before stopping (see Message.Headers); may be empty
}

func (e *QuarantineError) Error() string {
	return fmt.Sprintf("mailparse: message quarantined: %s (limit %d)", e.Reason, e.Limit)
}

// errLimit is what source returns once a limit is crossed. Readers above
// it (go-message's multipart reader) reformat errors with %v, so Parse
// never tests for it: it asks the source which limit tripped.
var errLimit = errors.New("mailparse: limit exceeded")

// source wraps the caller's reader: it hashes and counts every byte, stops
// past max, and while a header window is open stops past the window too.
type source struct {
	r      io.Reader
	hash   hash.Hash
	n, max int64

	windowOn bool
	window   int64 // bytes still allowed while windowOn

	tooLarge, headerTooLarge bool
	err                      error // first read error other than io.EOF
}

func newSource(r io.Reader, max int64) *source {
	return &source{r: r, hash: sha256.New(), max: max}
}

func (s *source) Read(p []byte) (int, error) {
	if s.tooLarge || s.headerTooLarge {
		return 0, errLimit
	}
	if s.err != nil {
		return 0, s.err
	}
	// One byte beyond max is allowed in, so that a message of exactly max
	// bytes passes and one more does not.
	if rest := s.max + 1 - s.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	if s.windowOn {
		if s.window <= 0 {
			s.headerTooLarge = true
			return 0, errLimit
		}
		if int64(len(p)) > s.window {
			p = p[:s.window]
		}
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	s.window -= int64(n)
	if s.n > s.max {
		s.tooLarge = true
		return 0, errLimit
	}
	s.hash.Write(p[:n])
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// openHeaderWindow bounds the bytes read until closeHeaderWindow. The slack
// covers read-ahead by the bufio readers stacked above the source.
func (s *source) openHeaderWindow(max int) {
	s.windowOn, s.window = true, int64(max)+headerSlack
}

func (s *source) closeHeaderWindow() { s.windowOn = false }

// headerSlack is what the stacked bufio readers (4 KiB per multipart level
// in go-message, 32 KiB at the top) may read ahead of a header.
const headerSlack = 64 << 10

// fault returns the reason parsing had to stop, if it came from the
// source: a QuarantineError or the caller's read error.
func (s *source) fault(lim Limits, headers map[string]string) error {
	switch {
	case s.tooLarge:
		return &QuarantineError{Reason: ReasonTooLarge, Limit: lim.MaxBytes, Headers: headers}
	case s.headerTooLarge:
		return &QuarantineError{Reason: ReasonHeaderTooLarge, Limit: int64(lim.MaxHeaderBytes), Headers: headers}
	case s.err != nil:
		return fmt.Errorf("mailparse: read message: %w", s.err)
	}
	return nil
}
