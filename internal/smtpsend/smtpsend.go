// Package smtpsend sends Guichet's mail (agents' replies, automatic mail)
// through a mailbox's SMTP server and tells whether a failure is worth
// retrying: IsTemporary for a 4xx reply or a network failure (let River
// retry), IsPermanent for everything else, 5xx replies first (record the
// mail as failed).
//
// Idempotency is the caller's: Send remembers nothing. The job records the
// Message-ID it sent in the transaction that marks the mail sent, and
// checks it before sending again. One case stays ambiguous whatever the
// caller does: a connection lost after the final "." but before the
// server's reply. Send reports it as temporary, and the retry may deliver
// a duplicate, which is better than a reply never sent.
package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Security modes of Account.Security.
const (
	SecurityTLS      = "tls"      // implicit TLS, port 465; the default
	SecurityStartTLS = "starttls" // STARTTLS, port 587
	SecurityNone     = "none"     // clear text, port 25: tests and local relays only
)

// DefaultTimeout bounds one Send when Account.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// Account says where and how to submit mail.
type Account struct {
	Host               string
	Port               int    // 0: 465 for "tls", 587 for "starttls", 25 for "none"
	Security           string // SecurityTLS (also when empty), SecurityStartTLS or SecurityNone
	Username, Password string // AUTH PLAIN when Username is set
	TLSConfig          *tls.Config
	LocalName          string        // the EHLO name; "localhost" when empty
	Timeout            time.Duration // the whole transaction; 0: DefaultTimeout
}

// Send submits msg (a complete RFC 5322 message with CRLF line ends) from
// the envelope sender from to the recipients to, as one transaction: when
// the server refuses any recipient, nothing is sent and the error names
// every refused one (Rejected), so that the caller can drop them and send
// again. Every error it returns is an *Error or a join of them.
func Send(ctx context.Context, acct Account, from string, to []string, msg io.Reader) error {
	if len(to) == 0 {
		return &Error{Op: "rcpt", Err: errors.New("no recipient")}
	}
	addr, err := acct.address()
	if err != nil {
		return &Error{Op: "connect", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, cmpOr(acct.Timeout, DefaultTimeout))
	defer cancel()
	conn, err := acct.dial(ctx, addr)
	if err != nil {
		return fail(ctx, "connect", "", err)
	}
	// go-smtp's commands take no context: closing the connection is the
	// only way to stop one, e.g. a server that never answers.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	c, err := acct.hello(ctx, conn)
	if err != nil {
		return err
	}
	if err := acct.auth(ctx, c); err != nil {
		return err
	}
	return transact(ctx, c, from, to, msg)
}

func (acct Account) address() (string, error) {
	port := acct.Port
	if port == 0 {
		switch acct.Security {
		case SecurityTLS, "":
			port = 465
		case SecurityStartTLS:
			port = 587
		case SecurityNone:
			port = 25
		}
	}
	switch acct.Security {
	case SecurityTLS, "", SecurityStartTLS, SecurityNone:
		return net.JoinHostPort(acct.Host, strconv.Itoa(port)), nil
	}
	return "", fmt.Errorf("unknown security %q (want tls, starttls or none)", acct.Security)
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (acct Account) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if acct.TLSConfig != nil {
		cfg = acct.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = acct.Host
	}
	return cfg
}

func (acct Account) dial(ctx context.Context, addr string) (net.Conn, error) {
	if acct.Security == SecurityTLS || acct.Security == "" {
		d := &tls.Dialer{Config: acct.tlsConfig()}
		return d.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// hello reads the greeting, upgrades with STARTTLS if asked, and says EHLO.
func (acct Account) hello(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	var c *smtp.Client
	if acct.Security == SecurityStartTLS {
		var err error
		// go-smtp greets as "localhost" before TLS; LocalName follows.
		if c, err = smtp.NewClientStartTLS(conn, acct.tlsConfig()); err != nil {
			return nil, fail(ctx, "starttls", "", err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	if err := c.Hello(cmpOr(acct.LocalName, "localhost")); err != nil {
		return nil, fail(ctx, "hello", "", err)
	}
	return c, nil
}

var errNoAuth = errors.New("credentials are set but the server offers no AUTH")

func (acct Account) auth(ctx context.Context, c *smtp.Client) error {
	if acct.Username == "" {
		return nil
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return &Error{Op: "auth", Err: errNoAuth}
	}
	if err := c.Auth(sasl.NewPlainClient("", acct.Username, acct.Password)); err != nil {
		return fail(ctx, "auth", "", err)
	}
	return nil
}

// transact runs MAIL, RCPT for every recipient, then DATA.
func transact(ctx context.Context, c *smtp.Client, from string, to []string, msg io.Reader) error {
	if err := c.Mail(from, &smtp.MailOptions{UTF8: !isASCII(from, to)}); err != nil {
		return fail(ctx, "mail", "", err)
	}
	var refused []error
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			e := fail(ctx, "rcpt", rcpt, err)
			if e.Code == 0 {
				return e // not a refusal: the connection failed
			}
			refused = append(refused, e)
		}
	}
	if len(refused) > 0 {
		c.Reset()
		c.Quit()
		return errors.Join(refused...)
	}
	return data(ctx, c, msg)
}

func data(ctx context.Context, c *smtp.Client, msg io.Reader) error {
	w, err := c.Data()
	if err != nil {
		return fail(ctx, "data", "", err)
	}
	src := &sourceReader{r: msg}
	if _, err := io.Copy(w, src); err != nil {
		// No final ".": the server drops the half-sent message when the
		// connection closes.
		if src.err != nil {
			return &Error{Op: "read", Temporary: true, Err: src.err}
		}
		return fail(ctx, "data", "", err)
	}
	if err := w.Close(); err != nil {
		return fail(ctx, "data", "", err)
	}
	c.Quit() // the server took the message: a failed QUIT changes nothing
	return nil
}

// sourceReader remembers the caller's read error, to tell it from the
// connection's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func isASCII(from string, to []string) bool {
	for _, s := range append([]string{from}, to...) {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
	}
	return true
}
