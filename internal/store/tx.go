package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

type (
	sqlTx = *sql.Tx
	pgxTx = pgx.Tx
)

// Tx is the one transaction type: bun queries and River inserts made
// through it commit or roll back together. It embeds only bun.IDB, so a
// query cannot escape to another connection by mistake.
type Tx struct {
	bun.IDB
	// Now is the transaction's clock reading, the same for every row it
	// writes.
	Now time.Time

	sqlTx sqlTx // SQLite
	pgxTx pgxTx // PostgreSQL
	jobs  jobInserter
	auth  *authCache
	// afterCommit runs once the transaction has committed (cache updates).
	afterCommit []func()
	// held are the inserts holdInserts kept back, for the next execAll.
	held    []*bun.InsertQuery
	holding bool
}

// holdInserts runs fn with execAll keeping its inserts back (on
// PostgreSQL), to go out in one round trip with those of the next
// execAll, in order, or at the commit. fn's inserts must be read by
// nothing until then: not by fn, nor by what runs before that execAll.
func (tx *Tx) holdInserts(fn func() error) error {
	if tx.pgxTx == nil {
		return fn()
	}
	tx.holding = true
	defer func() { tx.holding = false }()
	return fn()
}

// InsertJob enqueues a River job in the transaction.
func (tx *Tx) InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if tx.jobs == nil {
		return errors.New("insert job: no job queue configured")
	}
	return tx.jobs.insertTx(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: opts}})
}

// AfterCommit registers f to run after a successful commit.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// inTx runs fn in a write transaction and commits it when fn returns nil.
// fn must use only tx: with one SQLite writer connection, any other write
// handle would wait forever for the connection fn holds.
func (s *Store) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.group != nil {
		return s.group.run(ctx, fn)
	}
	var tx *Tx
	var commit, rollback func() error
	var err error
	if s.db.postgres {
		tx, commit, rollback, err = s.beginPostgres(ctx)
	} else {
		tx, commit, rollback, err = s.beginSQLite(ctx)
	}
	if err != nil {
		return unavailable(err)
	}
	if err := fn(tx); err != nil {
		_ = rollback()
		return err
	}
	if err := tx.execAll(ctx); err != nil { // inserts still held back
		_ = rollback()
		return err
	}
	if err := markCommitted(ctx, tx); err != nil {
		_ = rollback()
		return err
	}
	if err := commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

func (s *Store) beginSQLite(ctx context.Context) (*Tx, func() error, func() error, error) {
	btx, err := s.db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{IDB: btx, Now: s.now(), sqlTx: btx.Tx, jobs: s.jobs, auth: s.auth}
	return tx, btx.Commit, btx.Rollback, nil
}

// beginPostgres pins one connection and begins the transaction at the pgx
// level, so that bun (through database/sql on that connection) and River's
// pgx driver (through the pgx.Tx) share it.
func (s *Store) beginPostgres(ctx context.Context) (*Tx, func() error, func() error, error) {
	conn, err := s.db.write.Conn(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pin connection: %w", err)
	}
	var ptx pgx.Tx
	err = conn.Raw(func(driverConn any) error {
		c, ok := pgxConn(driverConn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", driverConn)
		}
		ptx, err = c.Begin(ctx)
		return err
	})
	if err != nil {
		conn.Close()
		return nil, nil, nil, fmt.Errorf("begin: %w", err)
	}
	// The pgx transaction outlives Raw's callback; this is safe because the
	// connection stays pinned to us until conn.Close.
	done := func(end func(context.Context) error) func() error {
		return func() error {
			defer conn.Close()
			return end(context.WithoutCancel(ctx))
		}
	}
	tx := &Tx{IDB: conn, Now: s.now(), pgxTx: ptx, jobs: s.jobs, auth: s.auth}
	return tx, done(ptx.Commit), done(ptx.Rollback), nil
}

// execAll runs the queries in order; on PostgreSQL in one round trip (bun
// has formatted their arguments into the text, so they join into one
// simple-protocol statement list). nil queries are skipped.
func (tx *Tx) execAll(ctx context.Context, queries ...*bun.InsertQuery) error {
	if tx.holding {
		tx.held = append(tx.held, queries...)
		return nil
	}
	if len(tx.held) > 0 {
		queries, tx.held = append(tx.held, queries...), nil
	}
	var sqls []string
	for _, q := range queries {
		if q == nil {
			continue
		}
		if tx.pgxTx == nil {
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
			continue
		}
		sqls = append(sqls, q.String())
	}
	if len(sqls) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, strings.Join(sqls, ";\n"))
	return err
}
