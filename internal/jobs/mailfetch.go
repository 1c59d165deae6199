package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
)

// MailFetch is what the mail ingestion jobs need.
type MailFetch interface {
	// FetchMailbox runs one fetch; a fetch already running elsewhere, or a
	// failure the mailbox records itself (wrong password, server down), is
	// not the job's failure.
	FetchMailbox(ctx context.Context, mailboxID string) error
	EnqueueDueFetches(ctx context.Context) (int, error)
}

// FetchSchedulerInterval is how often due mailboxes get their fetch job.
const FetchSchedulerInterval = 10 * time.Second

// FetchTimeout bounds one fetch job; the fetch itself stops earlier (its
// time budget) and asks to run again at once, and a process killed
// mid-fetch leaves a lease that expires within a minute.
const FetchTimeout = 90 * time.Second

// FetchSchedulerArgs enqueues the fetch of every mailbox whose next fetch
// is due.
type FetchSchedulerArgs struct{}

// Kind names the job in River.
func (FetchSchedulerArgs) Kind() string { return "mailbox_fetch_scheduler" }

type mailboxFetchWorker struct {
	river.WorkerDefaults[guichet.MailboxFetchJob]
	svc *Services
}

func (w *mailboxFetchWorker) Timeout(*river.Job[guichet.MailboxFetchJob]) time.Duration {
	return FetchTimeout
}

func (w *mailboxFetchWorker) Work(ctx context.Context, job *river.Job[guichet.MailboxFetchJob]) error {
	if w.svc.Mail == nil {
		return river.JobCancel(errors.New("mail ingestion is not configured"))
	}
	err := w.svc.Mail.FetchMailbox(ctx, job.Args.MailboxID)
	switch guichet.ErrorCode(err) {
	case "":
		return nil
	case guichet.ENOTFOUND, guichet.EINVALID:
		return river.JobCancel(err) // deleted, or its ingestion was turned off
	}
	return fmt.Errorf("fetch mailbox %s: %w", job.Args.MailboxID, err)
}
