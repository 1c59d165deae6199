package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// probeArgs is a job that exists only in these tests.
type probeArgs struct {
	EntityID string `json:"entity_id"`
}

func (probeArgs) Kind() string { return "store_test_probe" }

type probeWorker struct {
	river.WorkerDefaults[probeArgs]
}

func (probeWorker) Work(context.Context, *river.Job[probeArgs]) error { return nil }

func probeWorkers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, probeWorker{})
	return w
}

// writeAndEnqueue is a unit of work that writes an audit row and enqueues
// a job about it, then returns fail.
func writeAndEnqueue(ctx context.Context, id string, fail error) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		if err := store.AuditForTest(ctx, tx, "create", "organisation", id, map[string]string{"name": "ACME"}); err != nil {
			return err
		}
		if err := tx.InsertJob(ctx, probeArgs{EntityID: id}, nil); err != nil {
			return err
		}
		return fail
	}
}

// probeJobs returns the entity IDs of the probe jobs, sorted.
func probeJobs(t *testing.T, db *store.DB) []string {
	t.Helper()
	// River keeps args as jsonb on PostgreSQL and as SQLite's binary JSONB.
	column := "json(args)"
	if db.Postgres() {
		column = "args::text"
	}
	var args []string
	err := db.ReadDB().NewSelect().TableExpr("river_job").ColumnExpr(column).
		Where("kind = ?", probeArgs{}.Kind()).Scan(context.Background(), &args)
	if err != nil {
		t.Fatalf("list probe jobs: %v", err)
	}
	ids := []string{}
	for _, a := range args {
		var p probeArgs
		if err := json.Unmarshal([]byte(a), &p); err != nil {
			t.Fatalf("probe job args %s: %v", a, err)
		}
		ids = append(ids, p.EntityID)
	}
	slices.Sort(ids)
	return ids
}

// holdWriter runs a unit of work that blocks until the returned release
// is called, so that units started meanwhile queue up (on SQLite, for one
// shared commit).
func holdWriter(t *testing.T, s *store.Store) (release func()) {
	t.Helper()
	started, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.InTxForTest(context.Background(), func(*store.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holding unit: %v", err)
		}
	}
}

// waitQueued waits until n units wait for the SQLite group committer.
func waitQueued(t *testing.T, s *store.Store, b testdb.Backend, n int) {
	t.Helper()
	if b.Name != "sqlite" {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.QueuedUnitsForTest() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d units queued, want %d", s.QueuedUnitsForTest(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUnitOfWorkCommitsRowAndJobTogether(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()

		t.Run("FailedUnitLeavesNeitherRowNorJob", func(t *testing.T) {
			e := setup(t, b, probeWorkers())
			id := store.NewIDForTest()
			boom := errors.New("boom")
			if err := e.Store.InTxForTest(ctx, writeAndEnqueue(ctx, id, boom)); !errors.Is(err, boom) {
				t.Fatalf("inTx returned %v, want the unit's error", err)
			}
			if n := count(t, e.DB, "audit_events", "entity_id = ?", id); n != 0 {
				t.Errorf("%d audit rows after rollback, want 0", n)
			}
			if n := count(t, e.DB, "river_job", ""); n != 0 {
				t.Errorf("%d river_job rows after rollback, want 0", n)
			}
		})
		t.Run("CommittedUnitLeavesRowAndOneJob", func(t *testing.T) {
			e := setup(t, b, probeWorkers())
			id := store.NewIDForTest()
			if err := e.Store.InTxForTest(ctx, writeAndEnqueue(ctx, id, nil)); err != nil {
				t.Fatal(err)
			}
			if n := count(t, e.DB, "audit_events", "entity_id = ?", id); n != 1 {
				t.Errorf("%d audit rows after commit, want 1", n)
			}
			if got := probeJobs(t, e.DB); !slices.Equal(got, []string{id}) {
				t.Errorf("probe jobs %v after commit, want exactly one for %s", got, id)
			}
		})
	})
}

// On SQLite concurrent units share one commit, each in a savepoint: a
// failing unit takes back its row and its job, and only those.
func TestUnitsSharingACommitFailAlone(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := setup(t, b, probeWorkers())
		release := holdWriter(t, e.Store)
		const units = 16
		ids, errs := make([]string, units), make([]error, units)
		var wg sync.WaitGroup
		for i := range units {
			ids[i] = store.NewIDForTest()
			var fail error
			if i%2 == 1 {
				fail = fmt.Errorf("unit %d fails", i)
			}
			wg.Go(func() { errs[i] = e.Store.InTxForTest(ctx, writeAndEnqueue(ctx, ids[i], fail)) })
		}
		waitQueued(t, e.Store, b, units)
		release()
		wg.Wait()
		var committed []string
		for i, err := range errs {
			if (i%2 == 1) != (err != nil) {
				t.Errorf("unit %d returned %v", i, err)
			}
			if i%2 == 0 {
				committed = append(committed, ids[i])
			}
		}
		slices.Sort(committed)
		if got := probeJobs(t, e.DB); !slices.Equal(got, committed) {
			t.Errorf("probe jobs for %v, want exactly the committed units %v", got, committed)
		}
		for i, id := range ids {
			if n, want := count(t, e.DB, "audit_events", "entity_id = ?", id), 1-i%2; n != want {
				t.Errorf("unit %d: %d audit rows, want %d", i, n, want)
			}
		}
	})
}

// An interrupted write rolls back SQLite's whole transaction; units that
// shared it must not be told they committed, nor later ones lose theirs.
func TestCancelledStatementFailsOnlyItsUnit(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := setup(t, b, probeWorkers())
		release := holdWriter(t, e.Store)
		before, after := store.NewIDForTest(), store.NewIDForTest()
		var wg sync.WaitGroup
		var errBefore, errSlow, errAfter error
		wg.Go(func() { errBefore = e.Store.InTxForTest(ctx, writeAndEnqueue(ctx, before, nil)) })
		waitQueued(t, e.Store, b, 1)
		wg.Go(func() { errSlow = e.Store.InTxForTest(ctx, slowWrite) })
		waitQueued(t, e.Store, b, 2)
		wg.Go(func() { errAfter = e.Store.InTxForTest(ctx, writeAndEnqueue(ctx, after, nil)) })
		waitQueued(t, e.Store, b, 3)
		release()
		wg.Wait()
		if errSlow == nil {
			t.Fatal("the cancelled statement succeeded")
		}
		// A unit told it committed must have committed; one told it
		// failed may retry.
		if errAfter != nil {
			t.Errorf("a unit queued after the cancelled one failed: %v", errAfter)
		}
		if c := guichet.ErrorCode(errBefore); errBefore != nil && c != guichet.EUNAVAILABLE {
			t.Errorf("a unit undone by the cancelled one returned %v, want nil or EUNAVAILABLE (retry)", errBefore)
		}
		for id, err := range map[string]error{before: errBefore, after: errAfter} {
			n := count(t, e.DB, "audit_events", "entity_id = ?", id)
			if err == nil && n != 1 || err != nil && n != 0 {
				t.Errorf("unit %s returned %v and left %d audit rows", id, err, n)
			}
		}
		if n := count(t, e.DB, "search_tokens", "entity_type = 'probe'"); n != 0 {
			t.Errorf("%d rows of the cancelled statement remain", n)
		}
	})
}

// slowWrite is a unit whose long insert is cancelled midway. On SQLite an
// interrupted INSERT rolls back the whole transaction, not just the
// statement.
func slowWrite(tx *store.Tx) error {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := tx.ExecContext(ctx, `INSERT INTO search_tokens (entity_type, token, entity_id)
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000000)
		SELECT 'probe', CAST(i AS text), ? FROM n`, store.NewIDForTest())
	return err
}
