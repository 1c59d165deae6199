package smtpsend_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/guichet/guichet/internal/smtpsend"
	"github.com/guichet/guichet/internal/smtptest"
)

const (
	from   = "contact@guichet.example"
	client = "client@example.org"
)

// reply has CRLF line ends, a line starting with "." (dot-stuffed on the
// wire) and 8-bit UTF-8, all of which must arrive unchanged.
const reply = "From: Guichet <contact@guichet.example>\r\n" +
	"To: client@example.org\r\n" +
	"Subject: [T-2026-000123] Votre facture\r\n" +
	"Message-ID: <reply-1@guichet.example>\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Bonjour,\r\n" +
	".la ligne commence par un point\r\n" +
	"Votre échéance est corrigée.\r\n"

func setup(t *testing.T, opts smtptest.Options) (*smtptest.Server, smtpsend.Account) {
	t.Helper()
	srv := smtptest.Start(t, opts)
	return srv, smtpsend.Account{Host: srv.Host, Port: srv.Port, Security: smtpsend.SecurityNone}
}

func send(t *testing.T, acct smtpsend.Account, to ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return smtpsend.Send(ctx, acct, from, to, strings.NewReader(reply))
}

func wantDelivered(t *testing.T, srv *smtptest.Server, to ...string) {
	t.Helper()
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server holds %d messages, want 1", len(msgs))
	}
	if m := msgs[0]; m.From != from || !slices.Equal(m.To, to) || string(m.Data) != reply {
		t.Errorf("delivered from %q to %v:\n%q\nwant from %q to %v:\n%q", m.From, m.To, m.Data, from, to, reply)
	}
}

func wantClass(t *testing.T, err error, temporary bool) {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if smtpsend.IsTemporary(err) != temporary || smtpsend.IsPermanent(err) == temporary {
		t.Errorf("err = %v: IsTemporary %v, IsPermanent %v; want temporary=%v", err, smtpsend.IsTemporary(err), smtpsend.IsPermanent(err), temporary)
	}
}

func TestSend(t *testing.T) {
	t.Parallel()

	t.Run("DeliversTheBytesAsSent", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{})
		if err := send(t, acct, client, "cc@example.org"); err != nil {
			t.Fatal(err)
		}
		wantDelivered(t, srv, client, "cc@example.org")
	})

	for _, security := range []string{smtpsend.SecurityStartTLS, smtpsend.SecurityTLS} {
		t.Run("Over"+security+"WithAuth", func(t *testing.T) {
			t.Parallel()
			srv, acct := setup(t, smtptest.Options{TLS: true, Username: "contact", Password: "pw"})
			acct.Security, acct.TLSConfig = security, srv.ClientTLS
			acct.Username, acct.Password = "contact", "pw"
			if security == smtpsend.SecurityTLS {
				acct.Port = srv.TLSPort
			}
			if err := send(t, acct, client); err != nil {
				t.Fatal(err)
			}
			wantDelivered(t, srv, client)
		})
	}

	t.Run("AuthRequiredIsPermanent", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{Username: "contact", Password: "pw"})
		wantClass(t, send(t, acct, client), false)
		if len(srv.Messages()) != 0 {
			t.Error("a message went through without AUTH")
		}
	})

	t.Run("WrongPasswordIsPermanent", func(t *testing.T) {
		t.Parallel()
		_, acct := setup(t, smtptest.Options{Username: "contact", Password: "pw"})
		acct.Username, acct.Password = "contact", "wrong"
		err := send(t, acct, client)
		wantClass(t, err, false)
		if e := (*smtpsend.Error)(nil); !errors.As(err, &e) || e.Op != "auth" || e.Code != 535 {
			t.Errorf("err = %#v, want auth refused with 535", err)
		}
	})

	t.Run("CredentialsWithoutAUTHArePermanent", func(t *testing.T) {
		t.Parallel()
		_, acct := setup(t, smtptest.Options{})
		acct.Username, acct.Password = "contact", "pw"
		wantClass(t, send(t, acct, client), false)
	})

	t.Run("Reply451IsTemporaryAndTheRetryGoesThrough", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{})
		srv.FailNext(1, 451)
		wantClass(t, send(t, acct, client), true)
		if err := send(t, acct, client); err != nil {
			t.Fatalf("retry: %v", err)
		}
		wantDelivered(t, srv, client)
	})

	t.Run("Reply550IsPermanent", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{})
		srv.FailNext(1, 550)
		wantClass(t, send(t, acct, client), false)
	})

	t.Run("RefusedRecipientsAreNamedAndNothingIsSent", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{})
		srv.RejectRecipient("nobody@example.org", 550)
		srv.RejectRecipient("full@example.org", 452)
		err := send(t, acct, client, "nobody@example.org", "cc@example.org", "full@example.org")
		wantClass(t, err, false) // one refusal is permanent
		if got, want := smtpsend.Rejected(err), []string{"nobody@example.org", "full@example.org"}; !slices.Equal(got, want) {
			t.Errorf("Rejected = %v, want %v", got, want)
		}
		if len(srv.Messages()) != 0 {
			t.Error("the message went to the accepted recipients")
		}
		wantClass(t, send(t, acct, client, "full@example.org"), true) // only a temporary refusal
	})

	t.Run("ServerDownIsTemporary", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		wantClass(t, send(t, smtpsend.Account{Host: "127.0.0.1", Port: port, Security: smtpsend.SecurityNone}, client), true)
	})

	t.Run("ServerThatNeverAnswersTimesOutTemporarily", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
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
		acct := smtpsend.Account{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: smtpsend.SecurityNone, Timeout: 100 * time.Millisecond}
		err = send(t, acct, client)
		wantClass(t, err, true)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the timeout", err)
		}
	})

	t.Run("UntrustedCertificateIsPermanent", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{TLS: true})
		acct.Security, acct.Port = smtpsend.SecurityTLS, srv.TLSPort
		wantClass(t, send(t, acct, client), false)
	})

	t.Run("FailingMessageReaderSendsNothing", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, smtptest.Options{})
		errBlob := errors.New("blob store unreachable")
		err := smtpsend.Send(t.Context(), acct, from, []string{client}, iotest.DataErrReader(iotest.ErrReader(errBlob)))
		if !errors.Is(err, errBlob) {
			t.Errorf("err = %v, want the reader's", err)
		}
		if len(srv.Messages()) != 0 {
			t.Error("a truncated message was delivered")
		}
	})

	t.Run("NoRecipientIsPermanent", func(t *testing.T) {
		t.Parallel()
		_, acct := setup(t, smtptest.Options{})
		wantClass(t, send(t, acct), false)
	})
}

func TestClassification(t *testing.T) {
	t.Parallel()
	temp := &smtpsend.Error{Op: "rcpt", Recipient: "a@example.org", Code: 450, Temporary: true}
	perm := &smtpsend.Error{Op: "rcpt", Recipient: "b@example.org", Code: 550}
	tests := []struct {
		name                 string
		err                  error
		temporary, permanent bool
		rejected             []string
	}{
		{"Nil", nil, false, false, nil},
		{"NotFromSend", errors.New("boom"), false, true, nil},
		{"Temporary", temp, true, false, []string{"a@example.org"}},
		{"WrappedByTheCaller", fmt.Errorf("job 42: %w", temp), true, false, []string{"a@example.org"}},
		{"AllTemporary", errors.Join(temp, temp), true, false, []string{"a@example.org", "a@example.org"}},
		{"OnePermanentWins", errors.Join(temp, perm), false, true, []string{"a@example.org", "b@example.org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := smtpsend.IsTemporary(tt.err); got != tt.temporary {
				t.Errorf("IsTemporary = %v", got)
			}
			if got := smtpsend.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v", got)
			}
			if got := smtpsend.Rejected(tt.err); !slices.Equal(got, tt.rejected) {
				t.Errorf("Rejected = %v, want %v", got, tt.rejected)
			}
		})
	}
}
