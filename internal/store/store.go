package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/guichet"
)

// Options are the store's settings beyond the database handles.
type Options struct {
	// Now is the clock; tests inject theirs. Defaults to time.Now.
	Now               func() time.Time
	Logger            *slog.Logger
	Hasher            *auth.Hasher
	Box               *auth.Box
	SigningKeyPEM     string
	Issuer, Audience  string
	AccessTTL         time.Duration
	RefreshTTL        time.Duration
	LoginFreeFailures int
	IdempotencyTTL    time.Duration
	// PhoneRegion is the default region of phone numbers without a prefix.
	PhoneRegion string
	// Blobs stores attachments; MaxAttachmentBytes bounds one.
	Blobs              blob.Store
	MaxAttachmentBytes int64
	// InstanceID is this installation's id in the loop header of the mail
	// it sends: mail carrying it is its own, never a new request.
	InstanceID string
	// AutoMailPerHour caps the automatic mail (notifications, absence
	// replies) to one address per clock hour (0: DefaultAutoMailPerHour).
	AutoMailPerHour int
}

// Store implements the domain services on one database.
type Store struct {
	db             *DB
	jobs           jobInserter
	jobsInsertOnly bool
	jobsStarted    atomic.Bool
	opts           Options
	log            *slog.Logger
	keys           *auth.Keyring
	stopKeys       chan struct{}
	// group shares commits between concurrent writes on SQLite.
	group *groupCommitter
	auth  *authCache
	// search tunes how searches pick their rows (tests force each way).
	search searchLimits
	// cache holds the settings ticket creation reads; definitions holds
	// procedure definitions by version id (they never change).
	cache       settingsCache
	definitions sync.Map
	// sequences holds the years whose PostgreSQL number sequence exists.
	sequences  sync.Map
	sequenceMu sync.Mutex
}

var errStoreClosed = errors.New("store: closed")

var (
	_ guichet.AgentService   = (*Store)(nil)
	_ guichet.AuthService    = (*Store)(nil)
	_ guichet.ContactService = (*Store)(nil)
	_ guichet.AuditService   = (*Store)(nil)
)

// New returns a store over db with a River client built from jc, and loads
// (or creates) the JWT signing keys.
func New(ctx context.Context, db *DB, jc JobsConfig, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PhoneRegion == "" {
		opts.PhoneRegion = "FR"
	}
	jobs, err := newJobClient(db, jc)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, jobs: jobs, jobsInsertOnly: jc.InsertOnly, opts: opts, log: opts.Logger, stopKeys: make(chan struct{}), auth: newAuthCache(), search: defaultSearchLimits}
	if !db.postgres {
		s.group = newGroupCommitter(s)
	}
	if err := s.initKeys(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// DB returns the store's database handles.
func (s *Store) DB() *DB { return s.db }

// Close stops background reloading; the caller closes the DB.
func (s *Store) Close() {
	select {
	case <-s.stopKeys:
	default:
		close(s.stopKeys)
		if s.group != nil {
			s.group.close()
		}
	}
}

func (s *Store) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// newID returns a time-ordered UUID (v7), so that ordering by id follows
// creation order.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// validID reports whether id is a UUID: a malformed id is simply not found.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// unavailable turns connection failures into EUNAVAILABLE so that the
// caller gets 503 with Retry-After rather than 500.
func unavailable(err error) error {
	if err == nil || guichet.ErrorCode(err) != guichet.EINTERNAL {
		return err
	}
	if IsConnectionFailure(err) {
		return &guichet.Error{Code: guichet.EUNAVAILABLE, Message: "the database is unavailable", RetryAfter: 5 * time.Second}
	}
	return err
}

// IsConnectionFailure reports errors that mean the database cannot be
// reached or dropped the connection, as opposed to a bad query.
func IsConnectionFailure(err error) bool {
	var netErr net.Error
	var connErr *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &connErr) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-03: shutdown, cannot
		// connect now; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "53300"
	}
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "database is closed")
}

// isUniqueViolation reports a unique-constraint failure on either database.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isForeignKeyViolation reports a foreign-key failure on either database.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

func notFound(what string) error { return guichet.Errorf(guichet.ENOTFOUND, "%s not found", what) }

// stale is the error of an update whose If-Match is not the current
// version.
func stale(current int) error {
	return guichet.Errorf(guichet.EPRECONDITION, "the resource has changed: current ETag is \"%d\"", current)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if guichet.ErrorCode(err) != guichet.EINTERNAL {
		return err
	}
	return unavailable(fmt.Errorf("%s: %w", op, err))
}

// notFoundOr maps sql.ErrNoRows to ENOTFOUND and returns other errors.
func notFoundOr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	return err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// loadByID reads the row of model T with this id: ENOTFOUND names what
// when there is none, and a malformed id is simply not found.
func loadByID[T any](ctx context.Context, db bun.IDB, id, what string) (T, error) {
	var row T
	if !validID(id) {
		return row, notFound(what)
	}
	if err := db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return row, wrap("load "+what, notFoundOr(err, what))
	}
	return row, nil
}
