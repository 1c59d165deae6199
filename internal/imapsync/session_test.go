package imapsync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

func TestDial(t *testing.T) {
	t.Parallel()

	t.Run("WrongPasswordIsErrAuth", func(t *testing.T) {
		t.Parallel()
		_, acct := setup(t, imaptest.Options{})
		acct.Password = "wrong"
		_, err := imapsync.Dial(testContext(t), acct)
		if !errors.Is(err, imapsync.ErrAuth) || errors.Is(err, imapsync.ErrUnavailable) {
			t.Errorf("err = %v, want ErrAuth only", err)
		}
	})

	t.Run("ServerDownIsErrUnavailable", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		_, err = imapsync.Dial(testContext(t), imapsync.Account{Host: "127.0.0.1", Port: port, Security: imapsync.SecurityNone})
		if !errors.Is(err, imapsync.ErrUnavailable) || errors.Is(err, imapsync.ErrAuth) {
			t.Errorf("err = %v, want ErrUnavailable only", err)
		}
	})

	t.Run("ServerThatNeverGreetsStopsWithTheContext", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		t.Cleanup(func() { ln.Close() })
		go func() { // accept and say nothing
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		ctx, cancel := context.WithTimeout(t.Context(), 100_000_000) // 100 ms
		defer cancel()
		acct := imapsync.Account{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: imapsync.SecurityNone}
		if _, err := imapsync.Dial(ctx, acct); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's deadline", err)
		}
	})

	t.Run("UnknownSecurityIsRefused", func(t *testing.T) {
		t.Parallel()
		_, err := imapsync.Dial(testContext(t), imapsync.Account{Host: "127.0.0.1", Security: "ssl"})
		if err == nil || errors.Is(err, imapsync.ErrUnavailable) {
			t.Errorf("err = %v, want a settings error", err)
		}
	})

	for _, security := range []string{imapsync.SecurityTLS, imapsync.SecurityStartTLS} {
		t.Run("Over"+security, func(t *testing.T) {
			t.Parallel()
			srv, acct := setup(t, imaptest.Options{TLS: true})
			appendMails(t, srv, "INBOX", 2, 200)
			acct.Security, acct.TLSConfig = security, srv.ClientTLS
			if security == imapsync.SecurityTLS {
				acct.Port = srv.TLSPort
			}
			if got, _ := fetchAll(t, dial(t, acct), "INBOX", 0, 0, 0); len(got) != 2 {
				t.Errorf("got %d mails over %s, want 2", len(got), security)
			}
		})
	}

	t.Run("UntrustedCertificateNeedsAPerson", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{TLS: true})
		acct.Security, acct.Port = imapsync.SecurityTLS, srv.TLSPort
		_, err := imapsync.Dial(testContext(t), acct)
		if err == nil || errors.Is(err, imapsync.ErrUnavailable) || errors.Is(err, imapsync.ErrAuth) {
			t.Errorf("err = %v, want a certificate error, neither ErrUnavailable nor ErrAuth", err)
		}
	})
}

// A server that drops the connection at any point of a fetch: each attempt
// ends with ErrUnavailable (no hang, no panic), and fetching again from
// the last mail fn accepted delivers every mail exactly once, whole.
func TestDroppedConnectionLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	for _, cut := range []int{60, 400, 3_000, 9_000, 25_000} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			t.Parallel()
			srv, acct := setup(t, imaptest.Options{})
			mails := appendMails(t, srv, "INBOX", 20, 1_500)
			srv.DropAfter(cut)

			var checkpoint uint32
			delivered := map[uint32]int{}
			failures := 0
			for attempt := 0; attempt < 5 && len(delivered) < len(mails); attempt++ {
				err := ingest(t, acct, &checkpoint, func(m imapsync.Mail) error {
					raw, err := io.ReadAll(m.Body)
					if err != nil {
						return err
					}
					if !bytes.Equal(raw, mails[m.UID]) {
						return fmt.Errorf("UID %d: body differs", m.UID)
					}
					delivered[m.UID]++
					return nil
				})
				if err != nil {
					if !errors.Is(err, imapsync.ErrUnavailable) {
						t.Fatalf("attempt %d: err = %v, want ErrUnavailable", attempt, err)
					}
					failures++
				}
			}
			if failures != 1 {
				t.Errorf("%d failed attempts, want exactly the one with the drop", failures)
			}
			for uid := range mails {
				if delivered[uid] != 1 {
					t.Errorf("UID %d delivered %d times", uid, delivered[uid])
				}
			}
		})
	}
}

// ingest is one run of the caller's loop: connect, fetch from the
// checkpoint, advance it after each mail fn accepts.
func ingest(t *testing.T, acct imapsync.Account, checkpoint *uint32, fn func(imapsync.Mail) error) error {
	s, err := imapsync.Dial(testContext(t), acct)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Fetch(testContext(t), "INBOX", *checkpoint, 4, 0, func(m imapsync.Mail) error {
		if err := fn(m); err != nil {
			return err
		}
		*checkpoint = m.UID
		return nil
	})
	return err
}
