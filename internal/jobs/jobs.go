// Package jobs holds Guichet's River job arguments, workers and periodic
// schedule. Workers call domain services; every worker is idempotent
// because River runs a job at least once.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
)

// Maintenance is what the clean-up job needs.
type Maintenance interface {
	PurgeExpired(ctx context.Context) (int, error)
	SweepOrphanBlobs(ctx context.Context) (int, error)
}

// Tickets is what the ticket jobs need.
type Tickets interface {
	DeliverReminder(ctx context.Context, job guichet.ReminderJob) error
	DeliverLegalRequest(ctx context.Context, job guichet.LegalRequestJob) error
}

// Mailboxes is what the mailbox jobs need.
type Mailboxes interface {
	SweepMissedChecks(ctx context.Context) (int, error)
}

// Services are the domain services the workers call. It is filled after
// the store exists (the store needs the workers to build River's client).
type Services struct {
	Maintenance Maintenance
	Tickets     Tickets
	Mailboxes   Mailboxes
	Messages    Messages
	// Mail fetches mailboxes (nil: no ingestion, e.g. an insert-only
	// client).
	Mail MailFetch
	// MailQueue reminds unprocessed queue items and archives processed
	// mail on the server (mailqueue.go).
	MailQueue MailQueue
	// Outgoing sends mail and turns client notifications into mail
	// (issue 5, outgoing mail).
	Outgoing OutgoingMail
}

// reminderWorker delivers the reminders procedures schedule (a dev ticket
// at its due date, a ticket still waiting for the client).
type reminderWorker struct {
	river.WorkerDefaults[guichet.ReminderJob]
	svc *Services
}

func (w *reminderWorker) Work(ctx context.Context, job *river.Job[guichet.ReminderJob]) error {
	if err := w.svc.Tickets.DeliverReminder(ctx, job.Args); err != nil {
		return fmt.Errorf("reminder: %w", err)
	}
	return nil
}

// legalRequestWorker tells the legal agents about a ticket an authority
// acting by law asked for.
type legalRequestWorker struct {
	river.WorkerDefaults[guichet.LegalRequestJob]
	svc *Services
}

func (w *legalRequestWorker) Work(ctx context.Context, job *river.Job[guichet.LegalRequestJob]) error {
	if err := w.svc.Tickets.DeliverLegalRequest(ctx, job.Args); err != nil {
		return fmt.Errorf("legal request: %w", err)
	}
	return nil
}

// CleanupArgs purges expired idempotency records, refresh tokens and login
// counters.
type CleanupArgs struct{}

// Kind names the job in River.
func (CleanupArgs) Kind() string { return "cleanup_expired" }

// BlobSweepInterval is how often unused blobs are looked for.
const BlobSweepInterval = time.Hour

// BlobSweepArgs deletes the blobs a killed process left unused.
type BlobSweepArgs struct{}

// Kind names the job in River.
func (BlobSweepArgs) Kind() string { return "blob_sweep" }

// CleanupInterval is how often expired records are purged.
const CleanupInterval = 15 * time.Minute

// Register returns the workers and periodic jobs, bound to svc.
func Register(svc *Services) (*river.Workers, []*river.PeriodicJob) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &reminderWorker{svc: svc})
	river.AddWorker(workers, &legalRequestWorker{svc: svc})
	river.AddWorker(workers, &messageFollowUpWorker{svc: svc})
	river.AddWorker(workers, &mailboxFetchWorker{svc: svc})
	river.AddWorker(workers, &mailArchiveWorker{svc: svc})
	river.AddWorker(workers, &mailSendWorker{svc: svc})
	return workers, periodic(workers, svc)
}

// MissedChecksInterval is how often missed mailbox checks are looked for:
// an alert comes at most this long after a slot's grace period ends.
const MissedChecksInterval = time.Minute

// MissedChecksArgs alerts whoever is in charge of a mailbox whose check
// slot passed without a check (procedure #46).
type MissedChecksArgs struct{}

// Kind names the job in River.
func (MissedChecksArgs) Kind() string { return "mailbox_missed_checks" }
