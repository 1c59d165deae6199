package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// A sweep is a periodic job that makes one row-scanning call of a service
// (purges, alerts, reminders, notifications): one cheap job per period
// rather than one job per row. Each sweep's arguments are unique per
// period, so replicas never pile them up, and it runs once at start.
type sweep struct {
	args  river.JobArgs
	every time.Duration
	what  string
	run   func(context.Context) (int, error)
	add   func(*river.Workers)
}

// insertOpts keeps one run of the sweep per period across replicas.
func (s sweep) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: s.every}}
}

// sweepWorker runs a sweep.
type sweepWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	what string
	run  func(ctx context.Context) (int, error)
}

func (w *sweepWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error {
	if _, err := w.run(ctx); err != nil {
		return fmt.Errorf("%s: %w", w.what, err)
	}
	return nil
}

func newSweep[T river.JobArgs](args T, every time.Duration, what string, run func(context.Context) (int, error)) sweep {
	return sweep{args: args, every: every, what: what, run: run, add: func(w *river.Workers) {
		river.AddWorker(w, &sweepWorker[T]{what: what, run: run})
	}}
}

// sweeps lists the periodic jobs. The services are read when a sweep
// runs: svc is filled after Register (the store needs the workers first).
func sweeps(svc *Services) []sweep {
	return []sweep{
		newSweep(CleanupArgs{}, CleanupInterval, "cleanup", func(ctx context.Context) (int, error) {
			return svc.Maintenance.PurgeExpired(ctx)
		}),
		newSweep(MissedChecksArgs{}, MissedChecksInterval, "missed checks", func(ctx context.Context) (int, error) {
			return svc.Mailboxes.SweepMissedChecks(ctx)
		}),
		newSweep(FetchSchedulerArgs{}, FetchSchedulerInterval, "schedule fetches", func(ctx context.Context) (int, error) {
			if svc.Mail == nil {
				return 0, nil
			}
			return svc.Mail.EnqueueDueFetches(ctx)
		}),
		newSweep(BlobSweepArgs{}, BlobSweepInterval, "blob sweep", func(ctx context.Context) (int, error) {
			return svc.Maintenance.SweepOrphanBlobs(ctx)
		}),
		newSweep(QueueRemindersArgs{}, QueueRemindersInterval, "queue reminders", func(ctx context.Context) (int, error) {
			if svc.MailQueue == nil {
				return 0, nil
			}
			return svc.MailQueue.SweepQueueReminders(ctx)
		}),
		newSweep(NotificationSweepArgs{}, NotificationSweepInterval, "sweep client notifications", func(ctx context.Context) (int, error) {
			if svc.Outgoing == nil {
				return 0, nil
			}
			return svc.Outgoing.SweepClientNotifications(ctx)
		}),
	}
}

// periodic adds the sweeps' workers and returns their schedule.
func periodic(workers *river.Workers, svc *Services) []*river.PeriodicJob {
	list := sweeps(svc)
	out := make([]*river.PeriodicJob, 0, len(list))
	for _, s := range list {
		s.add(workers)
		args := s.args
		opts := s.insertOpts()
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(s.every),
			func() (river.JobArgs, *river.InsertOpts) { return args, opts }, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	return out
}
