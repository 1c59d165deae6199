// Package outmail does a send job's work on one outgoing mail: claim it
// in the store before any SMTP, submit its bytes (composed once, when it
// was queued) through its mailbox's SMTP server, record the outcome, then
// copy the same bytes to the mailbox's Sent folder over IMAP, a step
// tracked and retried on its own that never sends the mail again.
//
// A temporary SMTP failure (4xx, network) puts the mail back in the queue
// and returns an error wrapping ErrRetry, for River to retry with backoff;
// a permanent one (5xx, a refused login, the last attempt) is recorded as
// failed. One case stays ambiguous whatever is done: a process killed
// after the server took the mail but before the store recorded it sends
// it again once the claim expires (better than a reply never sent).
package outmail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/smtpsend"
)

// Store is what sending needs from the store.
type Store interface {
	ClaimOutgoing(ctx context.Context, id string) (guichet.OutgoingClaim, error)
	OpenOutgoing(ctx context.Context, claim guichet.OutgoingClaim) (io.ReadCloser, error)
	RecordSent(ctx context.Context, id string) (appendDue bool, err error)
	RecordSendFailure(ctx context.Context, id, reason string, temporary bool) error
	RecordSentFolder(ctx context.Context, id, failure string, final bool) error
}

// DefaultSMTPTimeout bounds one SMTP submission: well under the send
// job's timeout and the store's claim TTL.
const DefaultSMTPTimeout = 30 * time.Second

// ErrRetry is wrapped by Send's errors that a later attempt may cure.
var ErrRetry = errors.New("outmail: temporary failure, retry later")

// Sender sends outgoing mail. Its zero hooks take the defaults.
type Sender struct {
	Store Store
	Log   *slog.Logger
	// SMTPTimeout bounds one submission (default DefaultSMTPTimeout).
	SMTPTimeout time.Duration
	// SMTPAccount and IMAPAccount adjust the accounts before use (tests
	// trust their servers' certificates).
	SMTPAccount func(*smtpsend.Account)
	IMAPAccount func(*imapsync.Account)
}

// Send does one send job's work on mail id. It returns nil when the mail
// is sent, was sent or being sent by another job, or failed for good
// (recorded); an error wrapping ErrRetry when River should try again.
// lastAttempt makes a temporary failure final.
func (s *Sender) Send(ctx context.Context, id string, lastAttempt bool) error {
	claim, err := s.Store.ClaimOutgoing(ctx, id)
	if errors.Is(err, guichet.ErrNothingToSend) || guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	// Once the server has the mail, recording it must not be cut short.
	record := context.WithoutCancel(ctx)
	appendDue := !claim.Send
	if claim.Send {
		if err := s.submit(ctx, claim); err != nil {
			temporary := smtpsend.IsTemporary(err) && !lastAttempt
			if rerr := s.Store.RecordSendFailure(record, id, err.Error(), temporary); rerr != nil {
				return errors.Join(err, rerr)
			}
			if temporary {
				return fmt.Errorf("%w: %w", ErrRetry, err)
			}
			s.log().Warn("outgoing mail failed", "outgoing_mail", id, "error", err)
			return nil
		}
		if appendDue, err = s.Store.RecordSent(record, id); err != nil {
			return err
		}
	}
	if appendDue && claim.SentFolder != "" {
		return s.copyToSent(ctx, claim, lastAttempt)
	}
	return nil
}

func (s *Sender) submit(ctx context.Context, claim guichet.OutgoingClaim) error {
	r, err := s.Store.OpenOutgoing(ctx, claim)
	if err != nil {
		return &smtpsend.Error{Op: "read", Temporary: true, Err: err}
	}
	defer r.Close()
	acct := smtpsend.Account{Host: claim.SMTP.Host, Port: claim.SMTP.Port, Security: string(claim.SMTP.Security),
		Username: claim.SMTP.Username, Password: claim.SMTPPassword, Timeout: s.SMTPTimeout}
	if acct.Timeout <= 0 {
		acct.Timeout = DefaultSMTPTimeout
	}
	if s.SMTPAccount != nil {
		s.SMTPAccount(&acct)
	}
	return smtpsend.Send(ctx, acct, claim.From, claim.Recipients, r)
}

// copyToSent appends the sent bytes to the mailbox's Sent folder, seen.
func (s *Sender) copyToSent(ctx context.Context, claim guichet.OutgoingClaim, lastAttempt bool) error {
	err := s.appendSent(ctx, claim)
	failure := ""
	if err != nil {
		failure = err.Error()
	}
	if rerr := s.Store.RecordSentFolder(context.WithoutCancel(ctx), claim.ID, failure, lastAttempt); rerr != nil {
		return errors.Join(err, rerr)
	}
	if err != nil && !lastAttempt {
		return fmt.Errorf("%w: copy to %s: %w", ErrRetry, claim.SentFolder, err)
	}
	return nil
}

func (s *Sender) appendSent(ctx context.Context, claim guichet.OutgoingClaim) error {
	acct := imapsync.Account{Host: claim.IMAP.Host, Port: claim.IMAP.Port, Security: string(claim.IMAP.Security),
		Username: claim.IMAP.Username, Password: claim.IMAPPassword}
	if s.IMAPAccount != nil {
		s.IMAPAccount(&acct)
	}
	sess, err := imapsync.Dial(ctx, acct)
	if err != nil {
		return err
	}
	defer sess.Close()
	r, err := s.Store.OpenOutgoing(ctx, claim)
	if err != nil {
		return err
	}
	defer r.Close()
	return sess.Append(ctx, claim.SentFolder, []string{`\Seen`}, claim.Date, r, claim.Size)
}

func (s *Sender) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
