package imapsync

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

var (
	// ErrAuth: the server refused the credentials (show "wrong password" on
	// the mailbox; retrying with the same ones will not help).
	ErrAuth = errors.New("imapsync: login refused")
	// ErrUnavailable: the network or the server failed (refused, timed out,
	// dropped the connection, said [UNAVAILABLE]): back off and retry.
	ErrUnavailable = errors.New("imapsync: server unavailable")
	// ErrNoFolder: the folder does not exist (renamed or deleted on the server).
	ErrNoFolder = errors.New("imapsync: no such folder")
	// ErrNoIdle: the server does not offer IDLE: poll instead.
	ErrNoIdle = errors.New("imapsync: server does not support IDLE")
	// ErrNoMove: the server offers neither MOVE nor UIDPLUS, so a single
	// message cannot be expunged without expunging every message another
	// client flagged \Deleted.
	ErrNoMove = errors.New("imapsync: server can move no single message (neither MOVE nor UIDPLUS)")
)

// Other errors (a certificate that does not verify, a refused STARTTLS, a
// command the server rejects) need a person: show them and retry slowly.

// localError marks an error that did not come from the server (the
// caller's callback, its reader, a missing capability): classify leaves it
// as it is.
type localError struct{ err error }

func (e localError) Error() string { return e.err.Error() }
func (e localError) Unwrap() error { return e.err }

func local(err error) error { return localError{err} }

// classify maps a go-imap error to this package's. A command the server
// answered NO or BAD is an *imap.Error; anything else is the connection
// failing, since go-imap reports transport errors as text, not as wrapped
// net errors.
func classify(err error) error {
	var le localError
	if errors.As(err, &le) {
		return le.err
	}
	var answered *imap.Error
	if errors.As(err, &answered) {
		switch answered.Code {
		case imap.ResponseCodeUnavailable:
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		case imap.ResponseCodeNonExistent, imap.ResponseCodeTryCreate:
			return fmt.Errorf("%w: %w", ErrNoFolder, err)
		}
		return err
	}
	if isTLSMismatch(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// isTLSMismatch tells a TLS setup that cannot work (a certificate that does
// not verify, a port that does not speak TLS) from a network failure.
func isTLSMismatch(err error) bool {
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert)
}
