package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river"

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

func TestUnitOfWorkCommitsRowAndJobTogether(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := setup(t, b, probeWorkers())
		ctx := context.Background()
		kind := probeArgs{}.Kind()

		t.Run("FailedUnitLeavesNeitherRowNorJob", func(t *testing.T) {
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
			id := store.NewIDForTest()
			if err := e.Store.InTxForTest(ctx, writeAndEnqueue(ctx, id, nil)); err != nil {
				t.Fatal(err)
			}
			if n := count(t, e.DB, "audit_events", "entity_id = ?", id); n != 1 {
				t.Errorf("%d audit rows after commit, want 1", n)
			}
			if n := count(t, e.DB, "river_job", "kind = ?", kind); n != 1 {
				t.Errorf("%d %s jobs after commit, want 1", n, kind)
			}
		})
	})
}
