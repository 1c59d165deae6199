package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imapsync"
)

// One fetch at a time per mailbox, across processes: the fetch holds a
// lease row that it renews while it runs (FetchLeaseTTL, renewed by a
// heartbeat and by every commit). A killed process stops renewing, so its
// mailbox is free again within FetchLeaseTTL; River's unique job per
// mailbox and period keeps the queue from piling up meanwhile.

// FetchLeaseTTL is how long a fetch's lease lasts without renewal.
const FetchLeaseTTL = time.Minute

// fetchUniquePeriod bounds the River uniqueness of a mailbox's fetch job:
// a job left "running" by a killed process blocks only its own period, not
// the fetches after it.
const fetchUniquePeriod = 30 * time.Second

// fetchRetryAfter is how long the scheduler waits before enqueuing again
// a mailbox whose job it enqueued and that never reported back.
const fetchRetryAfter = time.Minute

// fetchBackoff spaces the fetches of a failing mailbox (wrong password,
// server down).
var fetchBackoff = imapsync.Backoff{Min: 30 * time.Second, Max: 30 * time.Minute}

// ErrLeaseLost is returned by CommitMail and RenewFetchLease when another
// fetch took the mailbox: the caller stops at once.
var ErrLeaseLost = errors.New("store: the mailbox's fetch lease was taken by another fetch")

type fetchLeaseRow struct {
	bun.BaseModel `bun:"table:mail_fetch_leases"`

	MailboxID string    `bun:"mailbox_id,pk"`
	Holder    string    `bun:"holder"`
	ExpiresAt time.Time `bun:"expires_at"`
}

type mailFolderRow struct {
	bun.BaseModel `bun:"table:mail_folders"`

	MailboxID     string    `bun:"mailbox_id,pk"`
	Folder        string    `bun:"folder,pk"`
	UIDValidity   int64     `bun:"uidvalidity"`
	LastUID       int64     `bun:"last_uid"`
	StartedAt     time.Time `bun:"started_at"`
	BackfillUntil int64     `bun:"backfill_until"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// FolderCheckpoint is where the ingestion of one folder stands.
type FolderCheckpoint struct {
	Folder      string
	UIDValidity uint32
	LastUID     uint32
	// StartedAt is when the folder's ingestion began (the backfill date for
	// a backfill): a resynchronisation does not import older unknown mail.
	StartedAt time.Time
	// BackfillUntil: UIDs up to it are a backfill's old mail.
	BackfillUntil uint32
}

// FetchPlan is what one fetch of a mailbox needs, read when it took the
// lease. Password is the opened IMAP password: it never leaves the fetch.
type FetchPlan struct {
	MailboxID string
	Personal  bool
	Address   string
	Imap      guichet.ImapSettings
	Password  string
	// BackfillSince is the start of the backfill day (Europe/Paris), nil
	// without backfill.
	BackfillSince *time.Time
	Checkpoints   map[string]FolderCheckpoint
	Now           time.Time
}

// FetchOutcome is how a fetch ended, for EndFetch.
type FetchOutcome struct {
	Err error // nil: the fetch completed
	// More: the fetch stopped at its time budget with mail left: the next
	// one is due at once.
	More bool
}

// BeginFetch takes the mailbox's fetch lease for holder and returns the
// plan. ECONFLICT when another fetch holds the lease, EINVALID when the
// mailbox is not to be fetched (ingestion off, no IMAP settings),
// ENOTFOUND when it is gone. The system caller only: it reads the sealed
// password.
func (s *Store) BeginFetch(ctx context.Context, mailboxID, holder string) (FetchPlan, error) {
	var plan FetchPlan
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := loadByID[mailboxRow](ctx, tx, mailboxID, "mailbox")
		if err != nil {
			return err
		}
		if err := fetchable(&row); err != nil {
			return err
		}
		if err := takeLease(ctx, tx, mailboxID, holder); err != nil {
			return err
		}
		if plan, err = s.fetchPlan(ctx, tx, &row); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Table("mailboxes").Set("state = 'fetching'").Where("id = ?", row.ID).Exec(ctx)
		return err
	})
	return plan, wrap("begin fetch", err)
}

// fetchable is EINVALID unless the mailbox's mail may be fetched.
func fetchable(row *mailboxRow) error {
	switch {
	case !row.IngestionEnabled && row.personal():
		return guichet.Invalid("ingestion_enabled", "the owner has not turned this personal mailbox's ingestion on")
	case !row.IngestionEnabled:
		return guichet.Invalid("ingestion_enabled", "ingestion is off for this mailbox")
	case row.Imap == nil:
		return guichet.Invalid("imap", "the mailbox has no IMAP settings")
	}
	return nil
}

// takeLease takes the lease when it is free, expired or already holder's.
func takeLease(ctx context.Context, tx *Tx, mailboxID, holder string) error {
	var got string
	err := tx.NewRaw(`INSERT INTO mail_fetch_leases (mailbox_id, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (mailbox_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE mail_fetch_leases.expires_at <= ? OR mail_fetch_leases.holder = excluded.holder
		RETURNING holder`, mailboxID, holder, tx.Now.Add(FetchLeaseTTL), tx.Now).Scan(ctx, &got)
	if isNoRows(err) {
		return guichet.Errorf(guichet.ECONFLICT, "a fetch of this mailbox is running; try again when it is over")
	}
	return err
}

// holdLease renews holder's lease in tx, or returns ErrLeaseLost; on
// PostgreSQL it also locks the lease row, so that commits of one mailbox
// never interleave.
func holdLease(ctx context.Context, tx *Tx, mailboxID, holder string) error {
	res, err := tx.NewUpdate().Model((*fetchLeaseRow)(nil)).Set("expires_at = ?", tx.Now.Add(FetchLeaseTTL)).
		Where("mailbox_id = ? AND holder = ?", mailboxID, holder).Exec(ctx)
	if err != nil {
		return fmt.Errorf("renew fetch lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// RenewFetchLease extends holder's lease (the fetch's heartbeat).
func (s *Store) RenewFetchLease(ctx context.Context, mailboxID, holder string) error {
	return s.inTx(ctx, func(tx *Tx) error { return holdLease(ctx, tx, mailboxID, holder) })
}

func (s *Store) fetchPlan(ctx context.Context, tx *Tx, row *mailboxRow) (FetchPlan, error) {
	plan := FetchPlan{MailboxID: row.ID, Personal: row.personal(), Address: row.Address, Now: tx.Now,
		Checkpoints: map[string]FolderCheckpoint{}}
	if err := json.Unmarshal([]byte(*row.Imap), &plan.Imap); err != nil {
		return plan, fmt.Errorf("mailbox %s imap settings: %w", row.ID, err)
	}
	var err error
	if plan.Password, err = s.imapPassword(row); err != nil {
		return plan, err
	}
	if d, err := time.ParseInLocation(time.DateOnly, deref(row.BackfillSince), paris); err == nil {
		d = d.UTC()
		plan.BackfillSince = &d
	}
	var folders []mailFolderRow
	if err := tx.NewSelect().Model(&folders).Where("mailbox_id = ?", row.ID).Scan(ctx); err != nil {
		return plan, fmt.Errorf("load checkpoints: %w", err)
	}
	for _, f := range folders {
		plan.Checkpoints[f.Folder] = FolderCheckpoint{Folder: f.Folder, UIDValidity: uint32(f.UIDValidity),
			LastUID: uint32(f.LastUID), StartedAt: f.StartedAt, BackfillUntil: uint32(f.BackfillUntil)}
	}
	return plan, nil
}

// saveCheckpoint moves a folder's checkpoint; within one UIDVALIDITY it
// never goes back (a stale fetch cannot undo a newer one's progress).
func saveCheckpoint(ctx context.Context, tx *Tx, mailboxID string, cp FolderCheckpoint) error {
	started := cp.StartedAt
	if started.IsZero() {
		started = tx.Now
	}
	_, err := tx.NewRaw(`INSERT INTO mail_folders (mailbox_id, folder, uidvalidity, last_uid, started_at, backfill_until, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (mailbox_id, folder) DO UPDATE SET
			last_uid = CASE WHEN mail_folders.uidvalidity = excluded.uidvalidity AND mail_folders.last_uid > excluded.last_uid
				THEN mail_folders.last_uid ELSE excluded.last_uid END,
			uidvalidity = excluded.uidvalidity, backfill_until = excluded.backfill_until, updated_at = excluded.updated_at`,
		mailboxID, cp.Folder, int64(cp.UIDValidity), int64(cp.LastUID), started, int64(cp.BackfillUntil), tx.Now).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save checkpoint of %s: %w", cp.Folder, err)
	}
	return nil
}

// SaveCheckpoints moves checkpoints alone (a folder that starts at its
// current end, mail skipped by a backfill), under holder's lease.
func (s *Store) SaveCheckpoints(ctx context.Context, mailboxID, holder string, cps []FolderCheckpoint) error {
	return wrap("save checkpoints", s.inTx(ctx, func(tx *Tx) error {
		if err := holdLease(ctx, tx, mailboxID, holder); err != nil {
			return err
		}
		for _, cp := range cps {
			if err := saveCheckpoint(ctx, tx, mailboxID, cp); err != nil {
				return err
			}
		}
		return nil
	}))
}

// EndFetch records how the fetch ended on the mailbox (state, last error,
// next fetch with backoff after failures) and releases holder's lease.
func (s *Store) EndFetch(ctx context.Context, mailboxID, holder string, out FetchOutcome) error {
	ctx = context.WithoutCancel(ctx) // the state must be written even when the fetch was cancelled
	return wrap("end fetch", s.inTx(ctx, func(tx *Tx) error {
		row, err := loadByID[mailboxRow](ctx, tx, mailboxID, "mailbox")
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return nil // deleted meanwhile
		} else if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*fetchLeaseRow)(nil)).Where("mailbox_id = ? AND holder = ?", mailboxID, holder).Exec(ctx); err != nil {
			return fmt.Errorf("release fetch lease: %w", err)
		}
		return recordFetchEnd(ctx, tx, &row, out)
	}))
}

func recordFetchEnd(ctx context.Context, tx *Tx, row *mailboxRow, out FetchOutcome) error {
	var failures int
	if err := tx.NewSelect().Table("mailboxes").Column("fetch_failures").Where("id = ?", row.ID).Scan(ctx, &failures); err != nil {
		return err
	}
	q := tx.NewUpdate().Table("mailboxes").Where("id = ?", row.ID)
	if out.Err == nil {
		next := tx.Now.Add(fetchInterval(row))
		if out.More {
			next = tx.Now
		}
		_, err := q.Set("state = 'idle', last_error = NULL, last_fetch_at = ?, next_fetch_at = ?, fetch_failures = 0", tx.Now, next).Exec(ctx)
		return err
	}
	msg := FetchErrorText(out.Err)
	next := tx.Now.Add(fetchBackoff.Next(failures))
	if _, err := q.Set("state = 'error', last_error = ?, next_fetch_at = ?, fetch_failures = ?", msg, next, failures+1).Exec(ctx); err != nil {
		return err
	}
	if row.State == "error" && deref(row.LastError) == msg {
		return nil // the same failure again: audited once
	}
	return auditMailbox(ctx, tx, row, "fetch_failed", nil, map[string]any{"last_error": msg, "next_fetch_at": next})
}

func fetchInterval(row *mailboxRow) time.Duration {
	var imap guichet.ImapSettings
	if row.Imap != nil {
		_ = json.Unmarshal([]byte(*row.Imap), &imap)
	}
	if imap.FetchIntervalSeconds <= 0 {
		return time.Minute
	}
	return time.Duration(imap.FetchIntervalSeconds) * time.Second
}

// FetchErrorText is what the mailbox shows of a failed fetch: what to do
// about it first, the technical detail after (never a password).
func FetchErrorText(err error) string {
	var prefix string
	switch {
	case errors.Is(err, imapsync.ErrAuth):
		prefix = "the IMAP server refused the login: check the username and password"
	case errors.Is(err, imapsync.ErrNoFolder):
		prefix = "a folder to ingest does not exist on the server: check the folder names"
	case errors.Is(err, imapsync.ErrUnavailable):
		prefix = "the IMAP server is unavailable or dropped the connection: retrying with backoff"
	default:
		prefix = "the fetch failed"
	}
	detail := err.Error()
	if len(detail) > 500 {
		detail = strings.ToValidUTF8(detail[:500], "") + "…"
	}
	return prefix + " (" + detail + ")"
}

// fetchJobOpts: one queued or running fetch per mailbox and period (see
// fetchUniquePeriod); the lease does the rest.
func fetchJobOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: fetchUniquePeriod,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled}}}
}

// EnqueueDueFetches enqueues a fetch job for every mailbox whose ingestion
// is on, that has IMAP settings, whose next fetch is due and whose lease
// is free; it returns how many. Each gets its next fetch pushed back by
// fetchRetryAfter, which the fetch itself then sets right.
func (s *Store) EnqueueDueFetches(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *Tx) error {
		var ids []string
		err := tx.NewSelect().Table("mailboxes").Column("id").
			Where("ingestion_enabled = ? AND imap IS NOT NULL", true).
			Where("next_fetch_at IS NULL OR next_fetch_at <= ?", tx.Now).
			Where("NOT EXISTS (SELECT 1 FROM mail_fetch_leases l WHERE l.mailbox_id = mailboxes.id AND l.expires_at > ?)", tx.Now).
			Order("id").Limit(500).Scan(ctx, &ids)
		if err != nil || len(ids) == 0 {
			return err
		}
		params := make([]river.InsertManyParams, len(ids))
		for i, id := range ids {
			params[i] = river.InsertManyParams{Args: guichet.MailboxFetchJob{MailboxID: id}, InsertOpts: fetchJobOpts()}
		}
		if err := tx.jobs.insertTx(ctx, tx, params); err != nil {
			return err
		}
		n = len(ids)
		_, err = tx.NewUpdate().Table("mailboxes").Set("next_fetch_at = ?", tx.Now.Add(fetchRetryAfter)).
			Where("id IN (?)", bun.List(ids)).Exec(ctx)
		return err
	})
	return n, wrap("enqueue fetches", err)
}

// RequestFetch enqueues a fetch of a mailbox the caller may see (its
// owner or delegate for a personal one): ECONFLICT while a fetch runs,
// EINVALID when the mailbox is not to be fetched.
func (s *Store) RequestFetch(ctx context.Context, mailboxID string) error {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesWrite); err != nil {
		return err
	}
	return wrap("request fetch", s.inTx(ctx, func(tx *Tx) error {
		row, _, err := s.loadVisibleMailbox(ctx, tx, mailboxID)
		if err != nil {
			return err
		}
		if err := fetchable(&row); err != nil {
			return err
		}
		busy, err := tx.NewSelect().Model((*fetchLeaseRow)(nil)).Where("mailbox_id = ? AND expires_at > ?", row.ID, tx.Now).Exists(ctx)
		if err != nil {
			return err
		}
		if busy {
			return guichet.Errorf(guichet.ECONFLICT, "a fetch of this mailbox is running; try again when it is over")
		}
		if err := tx.InsertJob(ctx, guichet.MailboxFetchJob{MailboxID: row.ID}, fetchJobOpts()); err != nil {
			return err
		}
		return auditMailbox(ctx, tx, &row, "fetch_requested", nil, nil)
	}))
}

// ResetFetchSchedule makes a mailbox due at once with its failures
// forgotten: its settings changed, the next fetch must not wait for a
// backoff that the old settings earned.
func resetFetchSchedule(ctx context.Context, tx *Tx, mailboxID string) error {
	_, err := tx.NewUpdate().Table("mailboxes").Set("next_fetch_at = NULL, fetch_failures = 0").Where("id = ?", mailboxID).Exec(ctx)
	return err
}
