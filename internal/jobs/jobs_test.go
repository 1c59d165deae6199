package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// countingMaintenance counts PurgeExpired calls and passes them to next
// (or returns err when next is nil).
type countingMaintenance struct {
	next Maintenance
	err  error

	mu     sync.Mutex
	calls  int
	purged []int
	errs   []error
	called chan struct{} // receives once per call, when buffered room allows
}

func newCounting(next Maintenance, err error) *countingMaintenance {
	return &countingMaintenance{next: next, err: err, called: make(chan struct{}, 16)}
}

func (m *countingMaintenance) PurgeExpired(ctx context.Context) (int, error) {
	n, err := 0, m.err
	if m.next != nil {
		n, err = m.next.PurgeExpired(ctx)
	}
	m.mu.Lock()
	m.calls++
	m.purged = append(m.purged, n)
	m.errs = append(m.errs, err)
	m.mu.Unlock()
	select {
	case m.called <- struct{}{}:
	default:
	}
	return n, err
}

// SweepOrphanBlobs passes through: only purges are counted.
func (m *countingMaintenance) SweepOrphanBlobs(ctx context.Context) (int, error) {
	if m.next == nil {
		return 0, m.err
	}
	return m.next.SweepOrphanBlobs(ctx)
}

// snapshot returns the calls so far, and the result of the first.
func (m *countingMaintenance) snapshot() (calls, firstPurged int, firstErr error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls > 0 {
		firstPurged, firstErr = m.purged[0], m.errs[0]
	}
	return m.calls, firstPurged, firstErr
}

// sweepFor is the worker of the sweep whose arguments are T.
func sweepFor[T river.JobArgs](svc *Services) *sweepWorker[T] {
	for _, s := range sweeps(svc) {
		if _, ok := s.args.(T); ok {
			return &sweepWorker[T]{what: s.what, run: s.run}
		}
	}
	panic("no sweep")
}

func TestCleanupWorker(t *testing.T) {
	t.Parallel()
	job := &river.Job[CleanupArgs]{}
	t.Run("PurgesOncePerRun", func(t *testing.T) {
		m := newCounting(nil, nil)
		w := sweepFor[CleanupArgs](&Services{Maintenance: m})
		for range 2 {
			if err := w.Work(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}
		if n, _, _ := m.snapshot(); n != 2 {
			t.Fatalf("PurgeExpired called %d times for 2 runs", n)
		}
	})
	t.Run("FailureIsRetried", func(t *testing.T) {
		boom := errors.New("database unavailable")
		w := sweepFor[CleanupArgs](&Services{Maintenance: newCounting(nil, boom)})
		// A plain error (not JobCancel) makes River retry the job.
		if err := w.Work(context.Background(), job); !errors.Is(err, boom) {
			t.Fatalf("Work returned %v, want it to wrap %v", err, boom)
		}
	})
}

func TestRegister(t *testing.T) {
	t.Parallel()
	workers, periodic := Register(&Services{})
	if workers == nil {
		t.Fatal("no workers")
	}
	if len(periodic) != 6 {
		t.Fatalf("%d periodic jobs, want 6 (the clean-up, the missed-check sweep, the fetch scheduler, the blob sweep, the queue reminders and the client notification sweep)", len(periodic))
	}
	kinds := map[string]bool{}
	for _, s := range sweeps(&Services{}) {
		if u := s.insertOpts().UniqueOpts; u.ByPeriod <= 0 || u.ByPeriod > s.every {
			t.Errorf("%s unique by period %s, want at most its interval %s", s.args.Kind(), u.ByPeriod, s.every)
		}
		if kinds[s.args.Kind()] {
			t.Errorf("two sweeps named %s", s.args.Kind())
		}
		kinds[s.args.Kind()] = true
	}
}

// workingStore builds a store on a fresh database of b whose River client
// works the jobs Register returns, bound to svc.
func workingStore(t *testing.T, b testdb.Backend, svc *Services, now func() time.Time) *store.Store {
	t.Helper()
	db, cfg := b.Open(t)
	key, err := auth.ParseKey(cfg.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := auth.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	workers, periodic := Register(svc)
	s, err := store.New(context.Background(), db, store.JobsConfig{Workers: workers, PeriodicJobs: periodic,
		MaxWorkers: 2, Logger: log, FetchPollInterval: 100 * time.Millisecond},
		store.Options{Now: now, Logger: log, Hasher: auth.NewHasherWithParams(2, 64, 1), Box: box,
			Issuer: "guichet", Audience: "guichet-api", AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour,
			LoginFreeFailures: 5, IdempotencyTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// The clean-up is scheduled to run on start: a working River client built
// from Register, on the real store, purges expired records soon after
// StartJobs.
func TestCleanupRunsOnStart(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		now := time.Now().UTC()
		past := now.Add(-2 * time.Hour)
		var clock atomic.Pointer[time.Time]
		clock.Store(&past)
		svc := &Services{}
		s := workingStore(t, b, svc, func() time.Time { return *clock.Load() })
		m := newCounting(s, nil)
		svc.Maintenance = m

		// An idempotency key claimed two hours ago, with a 1h TTL: expired.
		claim := store.IdempotencyClaim{Scope: "test", Key: "old", Method: "POST", Path: "/contacts", RequestHash: "h"}
		if _, err := s.ClaimIdempotencyKey(ctx, claim); err != nil {
			t.Fatal(err)
		}
		clock.Store(&now)

		if err := s.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.StopJobs(stop); err != nil {
				t.Errorf("stop jobs: %v", err)
			}
		})
		select {
		case <-m.called:
		case <-time.After(30 * time.Second):
			t.Fatal("the clean-up job did not run within 30s of StartJobs")
		}
		if _, n, err := m.snapshot(); err != nil || n != 1 {
			t.Fatalf("PurgeExpired from the job: %d rows, %v; want the 1 expired key", n, err)
		}
	})
}

// fakeMail records the fetches the jobs ask for.
type fakeMail struct {
	err     error
	fetched []string
}

func (f *fakeMail) FetchMailbox(_ context.Context, id string) error {
	f.fetched = append(f.fetched, id)
	return f.err
}

func (f *fakeMail) EnqueueDueFetches(context.Context) (int, error) { return 0, f.err }

// A fetch job is cancelled, not retried, when its mailbox is gone or no
// longer ingested; other failures are retried by River.
func TestMailboxFetchWorker(t *testing.T) {
	t.Parallel()
	job := &river.Job[guichet.MailboxFetchJob]{Args: guichet.MailboxFetchJob{MailboxID: "m1"}}
	cases := []struct {
		name   string
		err    error
		cancel bool
	}{
		{"Done", nil, false},
		{"GoneIsCancelled", guichet.Errorf(guichet.ENOTFOUND, "mailbox not found"), true},
		{"IngestionOffIsCancelled", guichet.Invalid("ingestion_enabled", "off"), true},
		{"DatabaseDownIsRetried", errors.New("database unavailable"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &fakeMail{err: c.err}
			w := &mailboxFetchWorker{svc: &Services{Mail: m}}
			err := w.Work(context.Background(), job)
			var cancel *river.JobCancelError
			if errors.As(err, &cancel) != c.cancel || (c.err == nil) != (err == nil) || len(m.fetched) != 1 || m.fetched[0] != "m1" {
				t.Fatalf("err %v, fetched %v", err, m.fetched)
			}
		})
	}
	if w := (&mailboxFetchWorker{}); w.Timeout(job) != FetchTimeout {
		t.Fatal("the fetch job's timeout")
	}
}
