package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
)

// Messages is what the message book's jobs need.
type Messages interface {
	DeliverMessageFollowUp(ctx context.Context, job guichet.MessageFollowUpJob) error
}

// messageFollowUpWorker reminds the recipient of a message still not
// acknowledged, then escalates it; the store makes each step happen once.
type messageFollowUpWorker struct {
	river.WorkerDefaults[guichet.MessageFollowUpJob]
	svc *Services
}

func (w *messageFollowUpWorker) Work(ctx context.Context, job *river.Job[guichet.MessageFollowUpJob]) error {
	if job.Args.Step != guichet.FollowUpRemind && job.Args.Step != guichet.FollowUpEscalate {
		return river.JobCancel(fmt.Errorf("message follow-up: unknown step %q", job.Args.Step))
	}
	if err := w.svc.Messages.DeliverMessageFollowUp(ctx, job.Args); err != nil {
		return fmt.Errorf("message follow-up: %w", err)
	}
	return nil
}
