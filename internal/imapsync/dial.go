package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// connectTimeout bounds TCP connect, TLS, greeting and login together.
const connectTimeout = 30 * time.Second

// Dial connects and logs in within 30 s. A refused login matches ErrAuth;
// a network failure, a timeout or a server that hangs up matches
// ErrUnavailable; if ctx ends first, its error is returned.
func Dial(ctx context.Context, acct Account) (*Session, error) {
	addr, err := acct.address()
	if err != nil {
		return nil, err
	}
	s := &Session{idleRestart: 25 * time.Minute}
	connectCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := acct.dial(connectCtx, addr)
	if err != nil {
		return nil, connectError(ctx, addr, err)
	}
	stop := context.AfterFunc(connectCtx, func() { conn.Close() })
	c, err := s.handshake(conn, acct)
	if !stop() {
		if c != nil {
			c.Close()
		}
		return nil, connectError(ctx, addr, context.DeadlineExceeded)
	}
	if err != nil {
		return nil, err
	}
	s.c = c
	return s, nil
}

func (acct Account) address() (string, error) {
	port := acct.Port
	switch acct.Security {
	case SecurityTLS, "":
		port = orDefault(port, 993)
	case SecurityStartTLS, SecurityNone:
		port = orDefault(port, 143)
	default:
		return "", fmt.Errorf("imapsync: unknown security %q (want tls, starttls or none)", acct.Security)
	}
	return net.JoinHostPort(acct.Host, strconv.Itoa(port)), nil
}

func orDefault(port, def int) int {
	if port == 0 {
		return def
	}
	return port
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

func (s *Session) handshake(conn net.Conn, acct Account) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig:             acct.tlsConfig(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: s.mailboxUpdate},
	}
	var c *imapclient.Client
	if acct.Security == SecurityStartTLS {
		var err error
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			return nil, fmt.Errorf("imapsync: STARTTLS with %s: %w", acct.Host, classify(err))
		}
	} else {
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imapsync: greeting from %s: %w: %w", acct.Host, ErrUnavailable, err)
	}
	if err := c.Login(acct.Username, acct.Password).Wait(); err != nil {
		c.Close()
		return nil, loginError(acct.Username, err)
	}
	return c, nil
}

func loginError(user string, err error) error {
	var refused *imap.Error
	if errors.As(err, &refused) && refused.Code != imap.ResponseCodeUnavailable {
		return fmt.Errorf("imapsync: login as %q: %w: %w", user, ErrAuth, err)
	}
	return fmt.Errorf("imapsync: login as %q: %w: %w", user, ErrUnavailable, err)
}

func connectError(ctx context.Context, addr string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("imapsync: connect to %s: %w", addr, context.Cause(ctx))
	}
	return fmt.Errorf("imapsync: connect to %s: %w", addr, classify(err))
}
