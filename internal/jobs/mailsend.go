package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
)

// OutgoingMail is what the outgoing mail jobs need.
type OutgoingMail interface {
	// SendOutgoing does one attempt on a queued mail: nil when it is sent,
	// was sent by another run, or failed for good (recorded); an error
	// when a later attempt may succeed. lastAttempt makes a temporary
	// failure final.
	SendOutgoing(ctx context.Context, id string, lastAttempt bool) error
	SweepClientNotifications(ctx context.Context) (int, error)
}

// MailSendTimeout bounds one send job: under River's job timeout, and
// well under the claim TTL after which another job may retake the mail.
const MailSendTimeout = 55 * time.Second

type mailSendWorker struct {
	river.WorkerDefaults[guichet.MailSendJob]
	svc *Services
}

func (w *mailSendWorker) Timeout(*river.Job[guichet.MailSendJob]) time.Duration {
	return MailSendTimeout
}

func (w *mailSendWorker) Work(ctx context.Context, job *river.Job[guichet.MailSendJob]) error {
	if w.svc.Outgoing == nil {
		return river.JobCancel(errors.New("outgoing mail is not configured"))
	}
	if err := w.svc.Outgoing.SendOutgoing(ctx, job.Args.OutboxID, job.Attempt >= job.MaxAttempts); err != nil {
		return fmt.Errorf("send mail %s: %w", job.Args.OutboxID, err)
	}
	return nil
}

// NotificationSweepInterval is how often pending client notifications
// become mail: a notification leaves at most this long after its
// transition.
const NotificationSweepInterval = 5 * time.Second

// NotificationSweepArgs turns pending client notifications into mail.
type NotificationSweepArgs struct{}

// Kind names the job in River.
func (NotificationSweepArgs) Kind() string { return "client_notification_sweep" }
