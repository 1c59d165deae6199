package imapsync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

// idle runs Idle in the background and returns its wakes and its result.
func idle(t *testing.T, s *imapsync.Session, ctx context.Context) (<-chan struct{}, <-chan error) {
	wakes := make(chan struct{}, 8)
	done := make(chan error, 1)
	go func() {
		done <- s.Idle(ctx, "INBOX", func() { wakes <- struct{}{} })
	}()
	return wakes, done
}

func TestIdle(t *testing.T) {
	t.Parallel()

	t.Run("WakesOnNewMailAndStopsCleanly", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		s := dial(t, acct)
		ctx, cancel := context.WithCancel(testContext(t))
		wakes, done := idle(t, s, ctx)

		receive(t, srv.IdleStarted(), "IDLE")
		receive(t, wakes, "the wake once listening")
		appendMails(t, srv, "INBOX", 1, 200)
		receive(t, wakes, "a wake after the append")

		cancel()
		if err := receive(t, done, "Idle to return"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Idle = %v, want context.Canceled", err)
		}
		// DONE was sent: the session goes on.
		if state, err := s.Status(testContext(t), "INBOX"); err != nil || state.Messages != 1 {
			t.Errorf("Status after Idle = %+v, %v", state, err)
		}
	})

	t.Run("RestartsIDLEAndStillWakes", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		s := dial(t, acct)
		imapsync.SetIdleRestart(s, 20*time.Millisecond)
		wakes, _ := idle(t, s, testContext(t))
		receive(t, wakes, "the wake once listening")
		receive(t, srv.IdleStarted(), "IDLE")
		receive(t, srv.IdleStarted(), "IDLE issued again")
		appendMails(t, srv, "INBOX", 1, 200)
		receive(t, wakes, "a wake after the restart")
	})

	t.Run("MailBeforeIdleStillWakes", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		s := dial(t, acct)
		fetchAll(t, s, "INBOX", 0, 0, 0)
		appendMails(t, srv, "INBOX", 1, 200) // after the fetch, before IDLE
		wakes, _ := idle(t, s, testContext(t))
		receive(t, wakes, "a wake for the mail that came in between")
	})

	t.Run("WithoutIDLEIsErrNoIdle", func(t *testing.T) {
		t.Parallel()
		_, acct := setup(t, imaptest.Options{NoIdle: true})
		err := dial(t, acct).Idle(testContext(t), "INBOX", func() {})
		if !errors.Is(err, imapsync.ErrNoIdle) {
			t.Errorf("Idle = %v, want ErrNoIdle", err)
		}
	})

	t.Run("DroppedConnectionIsErrUnavailable", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		s := dial(t, acct)
		_, done := idle(t, s, testContext(t))
		receive(t, srv.IdleStarted(), "IDLE")
		srv.Close()
		if err := receive(t, done, "Idle to return"); !errors.Is(err, imapsync.ErrUnavailable) {
			t.Errorf("Idle = %v, want ErrUnavailable", err)
		}
	})
}
