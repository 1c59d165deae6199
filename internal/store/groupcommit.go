package store

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// On SQLite every commit waits for an fsync of the WAL (synchronous=FULL),
// and there is one writer. The group committer runs the units of work of
// concurrent requests one after another inside one transaction, each in
// its own savepoint, and commits them together: one fsync for the batch.
// A unit that fails is rolled back to its savepoint alone; a failed commit
// fails the whole batch. Units stay functions of a *Tx, unchanged.

// maxBatch bounds how many units share one commit, so that a burst cannot
// hold the writer (and River) for long.
const maxBatch = 64

type unit struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
	tx   *Tx
	err  error
}

type groupCommitter struct {
	s     *Store
	queue chan *unit
	stop  chan struct{}
}

func newGroupCommitter(s *Store) *groupCommitter {
	g := &groupCommitter{s: s, queue: make(chan *unit, 1024), stop: make(chan struct{})}
	go g.loop()
	return g
}

// run queues fn and waits for its batch to commit.
func (g *groupCommitter) run(ctx context.Context, fn func(*Tx) error) error {
	u := &unit{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case g.queue <- u:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errStoreClosed
	}
	// Once queued, the unit runs or fails promptly; waiting for it, even
	// past ctx, means the caller learns whether its write committed.
	return <-u.done
}

func (g *groupCommitter) close() { close(g.stop) }

// failQueued answers the units still queued when the store closes.
func (g *groupCommitter) failQueued() {
	for {
		select {
		case u := <-g.queue:
			u.done <- errStoreClosed
		default:
			return
		}
	}
}

func (g *groupCommitter) loop() {
	for {
		select {
		case <-g.stop:
			g.failQueued()
			return
		case u := <-g.queue:
			batch := []*unit{u}
			for len(batch) < maxBatch {
				select {
				case more := <-g.queue:
					batch = append(batch, more)
					continue
				default:
				}
				break
			}
			g.commit(batch)
		}
	}
}

// commit runs a batch in one transaction and reports to each unit.
func (g *groupCommitter) commit(batch []*unit) {
	ctx := context.Background()
	btx, err := g.s.db.write.BeginTx(ctx, nil)
	if err != nil {
		for _, u := range batch {
			u.done <- unavailable(fmt.Errorf("begin: %w", err))
		}
		return
	}
	for i, u := range batch {
		var lost bool
		if lost, u.err = g.runUnit(btx, i, u); lost {
			g.abort(btx, batch, i)
			return
		}
	}
	if err := btx.Commit(); err != nil {
		_ = btx.Rollback()
		for _, u := range batch {
			u.done <- fmt.Errorf("commit: %w", err)
		}
		return
	}
	for _, u := range batch {
		if u.err == nil {
			for _, f := range u.tx.afterCommit {
				f()
			}
		}
		u.done <- u.err
	}
}

// abort handles batch[i] having lost the transaction: SQLite rolls back
// the whole transaction when a write is interrupted (a cancelled
// context), so the units before i are undone and must be told so; the
// units after i have not run and get a transaction of their own.
func (g *groupCommitter) abort(btx bun.Tx, batch []*unit, i int) {
	_ = btx.Rollback()
	for _, u := range batch[:i] {
		u.done <- &guichet.Error{Code: guichet.EUNAVAILABLE, RetryAfter: time.Second,
			Message: "the write was rolled back with a concurrent one; retry"}
	}
	batch[i].done <- batch[i].err
	if rest := batch[i+1:]; len(rest) > 0 {
		g.commit(rest)
	}
}

// runUnit runs one unit in a savepoint, rolling back to it on failure.
// lost reports that the transaction itself is gone (the savepoint no
// longer exists).
func (g *groupCommitter) runUnit(btx bun.Tx, i int, u *unit) (lost bool, err error) {
	sqlTx := btx.Tx
	if err := u.ctx.Err(); err != nil {
		return false, err
	}
	sp := fmt.Sprintf("u%d", i)
	if _, err := sqlTx.ExecContext(u.ctx, "SAVEPOINT "+sp); err != nil {
		return false, fmt.Errorf("savepoint: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in unit of work: %v\n%s", r, debug.Stack())
		}
		if err != nil {
			if _, rerr := sqlTx.ExecContext(context.Background(), "ROLLBACK TO "+sp); rerr != nil {
				lost = true
				return
			}
		}
		_, _ = sqlTx.ExecContext(context.Background(), "RELEASE "+sp)
	}()
	u.tx = &Tx{IDB: btx, Now: g.s.now(), sqlTx: sqlTx, jobs: g.s.jobs, auth: g.s.auth}
	if err := u.fn(u.tx); err != nil {
		return false, err
	}
	return false, markCommitted(u.ctx, u.tx)
}
