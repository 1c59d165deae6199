package smtpsend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/emersion/go-smtp"
)

// Error is a failed step of Send.
type Error struct {
	Op        string // connect, starttls, hello, auth, mail, rcpt, read (the message), data
	Recipient string // the refused recipient, for Op "rcpt"
	Code      int    // the server's reply code; 0 when it did not reply
	Temporary bool   // whether sending again later may succeed
	Err       error
}

func (e *Error) Error() string {
	if e.Recipient != "" {
		return fmt.Sprintf("smtpsend: %s <%s>: %v", e.Op, e.Recipient, e.Err)
	}
	return fmt.Sprintf("smtpsend: %s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// fail classifies an error of step op: a reply by its class (4xx
// temporary), a connection cut by ctx (the timeout or the caller) or a
// network failure temporary, anything else (a certificate that does not
// verify, no STARTTLS, an address the client refuses) permanent.
func fail(ctx context.Context, op, rcpt string, err error) *Error {
	e := &Error{Op: op, Recipient: rcpt, Err: err}
	var reply *smtp.SMTPError
	switch {
	case errors.As(err, &reply):
		e.Code, e.Temporary = reply.Code, reply.Code/100 == 4
	case ctx.Err() != nil:
		e.Err, e.Temporary = fmt.Errorf("%w: %w", context.Cause(ctx), err), true
	default:
		e.Temporary = isNetwork(err)
	}
	return e
}

func isNetwork(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsNotFound // a host that does not exist is a setting to fix
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// IsTemporary reports whether err comes from Send and sending again later
// may succeed: every failure it holds is a 4xx reply, a network failure or
// a timeout.
func IsTemporary(err error) bool {
	found, temporary := false, true
	walk(err, func(e *Error) {
		found = true
		temporary = temporary && e.Temporary
	})
	return found && temporary
}

// IsPermanent reports whether err is an error that sending again will not
// cure (a 5xx reply, a refused login, a bad setting): record the mail as
// failed. Every non-nil error is either temporary or permanent.
func IsPermanent(err error) bool { return err != nil && !IsTemporary(err) }

// Rejected lists the recipients the server refused, in the order given to
// Send.
func Rejected(err error) []string {
	var rcpts []string
	walk(err, func(e *Error) {
		if e.Op == "rcpt" && e.Code != 0 {
			rcpts = append(rcpts, e.Recipient)
		}
	})
	return rcpts
}

// walk calls f for each *Error in err's tree, without looking inside them.
func walk(err error, f func(*Error)) {
	switch e := err.(type) {
	case *Error:
		f(e)
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			walk(inner, f)
		}
	case interface{ Unwrap() error }:
		walk(e.Unwrap(), f)
	}
}
