// Package smtptest runs a real SMTP server in process (go-smtp's server)
// for tests: it records every message it accepts, can require AUTH PLAIN,
// and can refuse recipients or the next transactions with a chosen code.
package smtptest

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/guichet/guichet/internal/testcert"
)

// Options shape the server. The zero value accepts any mail without AUTH.
type Options struct {
	// Username and Password, when set, make AUTH PLAIN required before MAIL.
	Username, Password string
	// TLS adds STARTTLS on Port and an implicit-TLS listener on TLSPort,
	// with a self-signed certificate that Server.ClientTLS trusts.
	TLS bool
}

// Message is one accepted message: its envelope and its bytes as received
// (dot-unstuffed, CRLF line ends).
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running in-process SMTP server; its methods are safe for
// concurrent use.
type Server struct {
	Host      string      // always 127.0.0.1
	Port      int         // plain SMTP, with STARTTLS when Options.TLS
	TLSPort   int         // implicit TLS when Options.TLS, else 0
	ClientTLS *tls.Config // trusts the certificate; nil without Options.TLS

	opts Options
	smtp *smtp.Server

	mu       sync.Mutex
	messages []Message
	failures []int          // reply codes for the next transactions, at end of DATA
	rejected map[string]int // recipient → reply code for RCPT
}

// Start runs a server for the duration of tb.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// New runs a server until Close.
func New(opts Options) (*Server, error) {
	s := &Server{Host: "127.0.0.1", opts: opts, rejected: make(map[string]int)}
	s.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: s}, nil
	}))
	s.smtp.Domain = "smtptest.localhost"
	s.smtp.AllowInsecureAuth = true
	s.smtp.ReadTimeout = 10 * time.Second
	s.smtp.WriteTimeout = 10 * time.Second
	s.smtp.ErrorLog = log.New(io.Discard, "", 0)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	if opts.TLS {
		serverTLS, clientTLS, err := testcert.SelfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.smtp.TLSConfig, s.ClientTLS = serverTLS, clientTLS
		secure, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("smtptest: listen: %w", err)
		}
		s.TLSPort = secure.Addr().(*net.TCPAddr).Port
		go s.smtp.Serve(secure)
	}
	go s.smtp.Serve(ln)
	return s, nil
}

// Close stops the server and closes every connection.
func (s *Server) Close() error { return s.smtp.Close() }

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// FailNext makes the next n transactions fail at the end of DATA, after the
// message was sent, with code: 451 (try again later), 550, 552…
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, code)
	}
}

// RejectRecipient makes RCPT TO for addr fail with code (e.g. 550 for an
// unknown mailbox, 450 for a full one) until the server stops.
func (s *Server) RejectRecipient(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[addr] = code
}

func (s *Server) rejection(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[addr]
}

// accept records a message, or consumes one planned failure instead.
func (s *Server) accept(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 0 {
		code := s.failures[0]
		s.failures = s.failures[1:]
		return replyError(code, "planned failure")
	}
	s.messages = append(s.messages, m)
	return nil
}

// replyError builds a reply whose enhanced code follows its class (4.0.0
// or 5.0.0), as go-smtp would otherwise send X.0.0 anyway.
func replyError(code int, text string) *smtp.SMTPError {
	class := code / 100
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: text}
}

var _ smtp.AuthSession = (*session)(nil)

// session is one SMTP connection's transaction state.
type session struct {
	srv    *Server
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.srv.opts.Username || password != s.srv.opts.Password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.Username != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := s.srv.rejection(to); code != 0 {
		return replyError(code, "recipient refused: "+to)
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.srv.accept(Message{From: s.from, To: s.to, Data: data})
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error { return nil }
