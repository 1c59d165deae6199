package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
)

// MailQueue is what the mail queue's jobs need.
type MailQueue interface {
	// SweepQueueReminders reminds the unprocessed items whose delay
	// passed, once per stage.
	SweepQueueReminders(ctx context.Context) (int, error)
	// ArchiveMailItem moves a processed item's mail to its mailbox's
	// archive folder; final says this is the job's last attempt, so a
	// failure is recorded as such. An error wrapping ErrArchiveFinal is
	// not worth retrying.
	ArchiveMailItem(ctx context.Context, itemID string, final bool) error
}

// ErrArchiveFinal marks an archive failure that no retry cures.
var ErrArchiveFinal = errors.New("jobs: the archive move cannot succeed")

// QueueRemindersInterval is how often unprocessed queue items are looked
// at: a reminder comes at most this long after its delay.
const QueueRemindersInterval = time.Minute

// ArchiveTimeout bounds one archive move.
const ArchiveTimeout = time.Minute

// QueueRemindersArgs reminds whoever holds, then whoever is in charge of,
// a queue item left unprocessed (procedure #46). One row-scanning sweep,
// not a job per mail.
type QueueRemindersArgs struct{}

// Kind names the job in River.
func (QueueRemindersArgs) Kind() string { return "mail_queue_reminders" }

type mailArchiveWorker struct {
	river.WorkerDefaults[guichet.MailArchiveJob]
	svc *Services
}

func (w *mailArchiveWorker) Timeout(*river.Job[guichet.MailArchiveJob]) time.Duration {
	return ArchiveTimeout
}

func (w *mailArchiveWorker) Work(ctx context.Context, job *river.Job[guichet.MailArchiveJob]) error {
	if w.svc.MailQueue == nil {
		return river.JobCancel(errors.New("mail archiving is not configured"))
	}
	final := job.Attempt >= job.MaxAttempts
	err := w.svc.MailQueue.ArchiveMailItem(ctx, job.Args.MailItemID, final)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrArchiveFinal), guichet.ErrorCode(err) == guichet.ENOTFOUND, guichet.ErrorCode(err) == guichet.EINVALID:
		return river.JobCancel(err)
	}
	return fmt.Errorf("archive mail item %s: %w", job.Args.MailItemID, err)
}
