// Package app wires Guichet together: configuration, database, jobs and
// HTTP. cmd/guichet runs it; end-to-end tests start it on :0.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/httpapi"
	"github.com/guichet/guichet/internal/ingest"
	"github.com/guichet/guichet/internal/jobs"
	"github.com/guichet/guichet/internal/outmail"
	"github.com/guichet/guichet/internal/store"
)

// Main is one Guichet process.
type Main struct {
	Config config.Config
	Log    *slog.Logger
	DB     *store.DB
	Store  *store.Store
	HTTP   *http.Server
	// Hasher may be set before Open (tests use cheap parameters).
	Hasher *auth.Hasher
	// Now may be set before Open to inject a clock.
	Now func() time.Time
	// Spec is the contract served at /openapi.yaml.
	Spec []byte
	// Out receives what must be shown once (a generated admin password).
	Out io.Writer
	// Blobs keeps attachments and mail; Open builds it.
	Blobs blob.Store
	// Fetcher fetches mailboxes; Open builds it.
	Fetcher *ingest.Fetcher
	// Watcher wakes fetches with IMAP IDLE; Start runs it when enabled.
	Watcher   *ingest.Watcher
	stopWatch func()
	// Sender sends outgoing mail (issue 5); Open builds it.
	Sender *outmail.Sender
}

// NewLogger returns the logger the configuration asks for.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// SecretKey returns the key for secrets at rest: configured, or on SQLite
// a key file generated in the data folder.
func SecretKey(cfg *config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		k, err := auth.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("GUICHET_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	if cfg.IsPostgres() {
		return nil, errors.New("GUICHET_SECRET_KEY is required on PostgreSQL")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	return auth.LoadOrCreateKeyFile(cfg.SecretKeyPath())
}

// Open connects, migrates and builds the services; jobs and HTTP start in
// Run. insertOnly builds a River client that only inserts (admin commands).
func (m *Main) Open(ctx context.Context, insertOnly bool) error {
	if m.Log == nil {
		m.Log = NewLogger(&m.Config, os.Stderr)
	}
	key, err := SecretKey(&m.Config)
	if err != nil {
		return err
	}
	box, err := auth.NewBox(key)
	if err != nil {
		return err
	}
	if m.DB, err = store.OpenDB(ctx, &m.Config); err != nil {
		return err
	}
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return err
	}
	if m.Hasher == nil {
		m.Hasher = auth.NewHasher(m.Config.HashConcurrency)
	}
	svc := &jobs.Services{}
	workers, periodic := jobs.Register(svc)
	opts := m.storeOptions(box)
	opts.InstanceID = instanceID(m.Config.InstanceID, key)
	if opts.Blobs, err = m.blobStore(); err != nil {
		return err
	}
	m.Blobs = opts.Blobs
	m.Store, err = store.New(ctx, m.DB, store.JobsConfig{Workers: workers, PeriodicJobs: periodic,
		MaxWorkers: m.Config.JobWorkers, Logger: m.Log, InsertOnly: insertOnly}, opts)
	if err != nil {
		return err
	}
	svc.Maintenance, svc.Tickets, svc.Mailboxes, svc.Messages = m.Store, m.Store, m.Store, m.Store
	m.Fetcher = &ingest.Fetcher{Store: m.Store, Blobs: opts.Blobs, Log: m.Log, Holder: leaseHolder()}
	svc.Mail = mailJobs{m}
	svc.MailQueue = mailQueueJobs{m} // the mail queue: reminders and archive moves
	// Outgoing mail (issue 5).
	m.Sender = &outmail.Sender{Store: m.Store, Log: m.Log}
	svc.Outgoing = outgoingJobs{m}
	return m.Store.Seed(ctx)
}

func (m *Main) storeOptions(box *auth.Box) store.Options {
	c := &m.Config
	return store.Options{Now: m.Now, Logger: m.Log, Hasher: m.Hasher, Box: box, SigningKeyPEM: c.JWTSigningKey,
		Issuer: c.JWTIssuer, Audience: c.JWTAudience, AccessTTL: c.AccessTokenTTL, RefreshTTL: c.RefreshTokenTTL,
		LoginFreeFailures: c.LoginFreeFailures, IdempotencyTTL: c.IdempotencyTTL, MaxAttachmentBytes: c.MaxAttachmentBytes,
		AutoMailPerHour: c.AutoMailPerHour}
}

// blobStore keeps attachments next to the SQLite file in the embedded
// mode, and in PostgreSQL when replicas share it: nothing a replica needs
// lives only on its own disk.
func (m *Main) blobStore() (blob.Store, error) {
	if m.DB.Postgres() {
		return blob.NewDB(m.DB.Writer(), m.DB.Reader()), nil
	}
	return blob.NewFS(filepath.Join(m.Config.DataDir, "blobs"))
}

// Handler builds the HTTP API over the store.
func (m *Main) Handler() (http.Handler, error) {
	return httpapi.New(&m.Config, httpapi.Services{Agents: m.Store, Auth: m.Store, Contacts: m.Store,
		Audit: m.Store, Tickets: m.Store, Mailboxes: m.mailboxes(), Intervenants: m.Store, Interactions: m.Store, Procedures: m.Store, Settings: m.Store, Health: m, Idempotency: m.Store,
		Messages: m.Store, Appointments: m.Store, Directory: m.Store, Reception: m.Store, Mail: m.Store,
		MailQueue: m.Store, OutMail: m.Store}, m.Spec, m.Log)
}

// Ping checks the database.
func (m *Main) Ping(ctx context.Context) error { return m.DB.Ping(ctx) }

// JobsRunning reports whether River works jobs.
func (m *Main) JobsRunning() bool { return m.Store.JobsRunning() }

// Start creates the first admin if needed, starts the jobs and serves HTTP
// on ln in the background.
func (m *Main) Start(ctx context.Context, ln net.Listener) error {
	generated, err := m.Store.EnsureAdmin(ctx, m.Config.AdminPassword)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	if generated != "" && m.Out != nil {
		fmt.Fprintf(m.Out, "First start: created agent \"admin\" with password %s (shown once; change it).\n", generated)
	}
	h, err := m.Handler()
	if err != nil {
		return err
	}
	if err := m.Store.StartJobs(ctx); err != nil {
		return err
	}
	m.startWatcher()
	m.HTTP = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := m.HTTP.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("serve", "error", err)
		}
	}()
	m.Log.Info("guichet serving", "addr", ln.Addr().String(), "postgres", m.DB.Postgres())
	return nil
}

// Close shuts down gracefully: stop accepting and drain HTTP, stop River,
// close the database.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.HTTP != nil {
		errs = append(errs, m.HTTP.Shutdown(ctx))
	}
	if m.stopWatch != nil {
		m.stopWatch()
	}
	if m.Store != nil {
		errs = append(errs, m.Store.StopJobs(ctx))
		m.Store.Close()
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}
