package imapsync

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Idle selects folder read-only and waits with IDLE, calling wake (from
// Idle's goroutine) each time the server announces new mail (EXISTS);
// wakes that come while wake runs are merged into one. It also calls wake
// once as soon as it listens: mail that arrived between the caller's last
// fetch and Idle's EXAMINE is counted there and announced by no EXISTS.
// It re-issues IDLE
// every 25 minutes, before servers drop idle clients (RFC 2177). It
// returns ErrNoIdle at once when the server does not offer IDLE (poll
// instead), an ErrUnavailable error when the connection fails, and ctx's
// error when ctx ends, after leaving IDLE cleanly: the Session can then be
// used again. Idle blocks the Session: fetch on another one.
func (s *Session) Idle(ctx context.Context, folder string, wake func()) error {
	err := s.run(ctx, "idle on "+folder, func() error {
		caps := s.c.Caps()
		if caps == nil {
			return fmt.Errorf("no capabilities")
		}
		if !caps.Has(imap.CapIdle) {
			return local(ErrNoIdle)
		}
		_, err := s.selectFolder(folder, true)
		return err
	})
	if err != nil {
		return err
	}
	newMail := make(chan struct{}, 1)
	newMail <- struct{}{} // the wake once listening
	s.listen(newMail)
	defer s.listen(nil)
	for {
		if err := s.idleOnce(ctx, newMail, wake); err != nil {
			return fmt.Errorf("imapsync: idle on %s: %w", folder, err)
		}
	}
}

// idleOnce runs one IDLE command until the restart delay (nil), ctx's end
// or a failure.
func (s *Session) idleOnce(ctx context.Context, newMail <-chan struct{}, wake func()) error {
	cmd, err := s.c.Idle()
	if err != nil {
		return classify(err)
	}
	restart := time.NewTimer(s.idleRestart)
	defer restart.Stop()
	for {
		select {
		case <-newMail:
			wake()
		case <-restart.C:
			return endIdle(cmd)
		case <-ctx.Done():
			if err := endIdle(cmd); err != nil {
				return err
			}
			return context.Cause(ctx)
		case <-s.c.Closed():
			return fmt.Errorf("%w: connection closed", ErrUnavailable)
		}
	}
}

// endIdle sends DONE and waits for the server to close the command.
func endIdle(cmd *imapclient.IdleCommand) error {
	if err := cmd.Close(); err != nil {
		return classify(err)
	}
	if err := cmd.Wait(); err != nil {
		return classify(err)
	}
	return nil
}

// listen routes EXISTS to newMail while Idle runs (nil: nowhere).
func (s *Session) listen(newMail chan struct{}) {
	s.mu.Lock()
	s.newMail = newMail
	s.mu.Unlock()
}

// mailboxUpdate runs on go-imap's reader goroutine, which it must not
// block. Any EXISTS counts as new mail: a spurious wake costs one poll.
func (s *Session) mailboxUpdate(data *imapclient.UnilateralDataMailbox) {
	if data.NumMessages == nil {
		return
	}
	s.mu.Lock()
	newMail := s.newMail
	s.mu.Unlock()
	if newMail == nil {
		return
	}
	select {
	case newMail <- struct{}{}:
	default: // a wake is already pending
	}
}
