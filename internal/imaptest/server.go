// Package imaptest runs a real IMAP server in process (go-imap's imapserver
// over imapmemserver) for tests and benchmarks: users, folders, messages
// appended with chosen flags and dates, "read in another client", a folder
// recreated with a new UIDVALIDITY, servers without IDLE or MOVE, and a
// connection dropped after n bytes.
package imaptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/guichet/guichet/internal/testcert"
)

// Options shape the server. The zero value is a plain IMAP4rev1 server with
// IDLE, MOVE, UIDPLUS and NAMESPACE on 127.0.0.1.
type Options struct {
	// TLS adds an implicit-TLS listener (TLSPort) and STARTTLS on Port,
	// with a self-signed certificate that Server.ClientTLS trusts.
	TLS bool
	// NoIdle hides IDLE from the capabilities (on Port and TLSPort, not
	// after STARTTLS): a server whose mail must be polled.
	NoIdle bool
	// NoMove hides MOVE: moves fall back to COPY, STORE and UID EXPUNGE.
	NoMove bool
	// NoUIDPlus hides UIDPLUS: without MOVE either, nothing can expunge a
	// single message safely.
	NoUIDPlus bool
	// Debug receives the server's side of every conversation.
	Debug io.Writer
}

// Server is a running in-process IMAP server. Its methods act as the
// mailbox's owner would from another client; they are safe for concurrent
// use.
type Server struct {
	Host      string      // always 127.0.0.1
	Port      int         // plain IMAP, with STARTTLS when Options.TLS
	TLSPort   int         // implicit TLS when Options.TLS, else 0
	ClientTLS *tls.Config // trusts the certificate; nil without Options.TLS

	opts   Options
	mem    *imapmemserver.Server
	imap   *imapserver.Server
	admin  string // a listener without faults for the harness's own sessions
	idling chan struct{}

	mu        sync.Mutex
	users     map[string]user
	dropAfter int64 // >= 0: cut the next accepted connection after that many bytes
}

type user struct {
	mem      *imapmemserver.User
	password string
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

// New runs a server until Close, for callers without a testing.TB (a load
// generator, a crash test's helper process).
func New(opts Options) (*Server, error) {
	s := &Server{
		Host:      "127.0.0.1",
		opts:      opts,
		mem:       imapmemserver.New(),
		idling:    make(chan struct{}, 16),
		users:     make(map[string]user),
		dropAfter: -1,
	}
	var serverTLS *tls.Config
	if opts.TLS {
		var err error
		if serverTLS, s.ClientTLS, err = testcert.SelfSigned(); err != nil {
			return nil, err
		}
	}
	s.imap = imapserver.New(&imapserver.Options{
		NewSession:   s.newSession,
		Caps:         opts.caps(),
		TLSConfig:    serverTLS,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0), // dropped connections are the point of some tests
		DebugWriter:  opts.Debug,
	})
	if err := s.listen(serverTLS); err != nil {
		s.imap.Close()
		return nil, err
	}
	return s, nil
}

func (opts Options) caps() imap.CapSet {
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}}
	if !opts.NoUIDPlus {
		caps[imap.CapUIDPlus] = struct{}{}
	}
	if !opts.NoMove {
		caps[imap.CapMove] = struct{}{}
	}
	return caps
}

func (s *Server) newSession(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	return &session{Session: s.mem.NewSession(), idling: s.idling}, nil, nil
}

func (s *Server) listen(serverTLS *tls.Config) error {
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("imaptest: listen: %w", err)
	}
	s.Port = plain.Addr().(*net.TCPAddr).Port
	go s.imap.Serve(&listener{plain, func(c net.Conn) net.Conn { return s.hideIdle(s.maybeDrop(c)) }})

	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("imaptest: listen: %w", err)
	}
	s.admin = admin.Addr().String()
	go s.imap.Serve(admin)

	if serverTLS == nil {
		return nil
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("imaptest: listen: %w", err)
	}
	s.TLSPort = raw.Addr().(*net.TCPAddr).Port
	// Faults cut the TCP stream; the capability filter must see clear text.
	secure := tls.NewListener(&listener{raw, s.maybeDrop}, serverTLS)
	go s.imap.Serve(&listener{secure, s.hideIdle})
	return nil
}

// Addr is Host:Port.
func (s *Server) Addr() string { return fmt.Sprintf("%s:%d", s.Host, s.Port) }

// Close stops the server and closes every connection.
func (s *Server) Close() error { return s.imap.Close() }

// IdleStarted receives once each time a client enters IDLE (up to 16
// pending), so that a test appends only once the client listens.
func (s *Server) IdleStarted() <-chan struct{} { return s.idling }

// DropAfter makes the next connection accepted on Port or TLSPort close
// once the server has written n bytes to it (TLS records included on
// TLSPort). Later connections are unaffected.
func (s *Server) DropAfter(n int) {
	s.mu.Lock()
	s.dropAfter = int64(n)
	s.mu.Unlock()
}

func (s *Server) maybeDrop(c net.Conn) net.Conn {
	s.mu.Lock()
	n := s.dropAfter
	s.dropAfter = -1
	s.mu.Unlock()
	if n < 0 {
		return c
	}
	return &dropConn{Conn: c, left: n}
}

func (s *Server) hideIdle(c net.Conn) net.Conn {
	if !s.opts.NoIdle {
		return c
	}
	return hideIdleConn{c}
}

// AddUser creates an account with an empty INBOX.
func (s *Server) AddUser(name, password string) error {
	u := imapmemserver.NewUser(name, password)
	if err := u.Create("INBOX", nil); err != nil {
		return fmt.Errorf("imaptest: create INBOX: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[name]; ok {
		return fmt.Errorf("imaptest: user %q exists", name)
	}
	s.users[name] = user{mem: u, password: password}
	s.mem.AddUser(u)
	return nil
}

// CreateFolder creates a folder (mailbox) for a user.
func (s *Server) CreateFolder(name, folder string) error {
	u, err := s.user(name)
	if err != nil {
		return err
	}
	if err := u.mem.Create(folder, nil); err != nil {
		return fmt.Errorf("imaptest: create %q: %w", folder, err)
	}
	return nil
}

var errNoUser = errors.New("imaptest: no such user")

func (s *Server) user(name string) (user, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok {
		return user{}, fmt.Errorf("%w: %q", errNoUser, name)
	}
	return u, nil
}
