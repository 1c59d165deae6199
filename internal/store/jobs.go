package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// JobsConfig is what the River client needs from the jobs package.
type JobsConfig struct {
	Workers      *river.Workers
	PeriodicJobs []*river.PeriodicJob
	MaxWorkers   int
	Logger       *slog.Logger
	// Insert-only clients (tests, admin commands) do not work jobs.
	InsertOnly bool
	// FetchPollInterval overrides River's poll interval (tests).
	FetchPollInterval time.Duration
}

// jobInserter is a River client of either driver.
type jobInserter interface {
	insertTx(ctx context.Context, tx *Tx, params []river.InsertManyParams) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopped() <-chan struct{}
}

type riverClient[TTx any] struct {
	client *river.Client[TTx]
	unwrap func(*Tx) TTx
}

func (r *riverClient[TTx]) insertTx(ctx context.Context, tx *Tx, params []river.InsertManyParams) error {
	if _, err := r.client.InsertManyTx(ctx, r.unwrap(tx), params); err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	return nil
}

func (r *riverClient[TTx]) start(ctx context.Context) error { return r.client.Start(ctx) }
func (r *riverClient[TTx]) stop(ctx context.Context) error  { return r.client.Stop(ctx) }
func (r *riverClient[TTx]) stopped() <-chan struct{}        { return r.client.Stopped() }

func riverConfig(jc JobsConfig) *river.Config {
	c := &river.Config{
		Logger:       jc.Logger,
		PeriodicJobs: jc.PeriodicJobs,
		// A job that cannot finish in a minute is stuck; rescue it soon so
		// that work it guards (a mailbox fetch) is never blocked for long.
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 2 * time.Minute,
		FetchPollInterval:    jc.FetchPollInterval,
	}
	if !jc.InsertOnly {
		c.Workers = jc.Workers
		c.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: jc.MaxWorkers}}
	}
	return c
}

func newJobClient(db *DB, jc JobsConfig) (jobInserter, error) {
	cfg := riverConfig(jc)
	if db.postgres {
		c, err := river.NewClient(riverpgxv5.New(db.pool), cfg)
		if err != nil {
			return nil, fmt.Errorf("river client: %w", err)
		}
		return &riverClient[pgxTx]{client: c, unwrap: func(tx *Tx) pgxTx { return tx.pgxTx }}, nil
	}
	// SQLite has no LISTEN/NOTIFY: River polls.
	cfg.PollOnly = true
	c, err := river.NewClient(riversqlite.New(db.write.DB), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &riverClient[sqlTx]{client: c, unwrap: func(tx *Tx) sqlTx { return tx.sqlTx }}, nil
}

// StartJobs starts working jobs; it is a no-op for an insert-only store.
func (s *Store) StartJobs(ctx context.Context) error {
	if s.jobsInsertOnly {
		return nil
	}
	if err := s.jobs.start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	s.jobsStarted.Store(true)
	return nil
}

// StopJobs lets running jobs finish (until ctx ends) and stops River.
func (s *Store) StopJobs(ctx context.Context) error {
	if !s.jobsStarted.Load() {
		return nil
	}
	if err := s.jobs.stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// JobsRunning reports whether the River client works jobs.
func (s *Store) JobsRunning() bool {
	if !s.jobsStarted.Load() {
		return false
	}
	select {
	case <-s.jobs.stopped():
		return false
	default:
		return true
	}
}
