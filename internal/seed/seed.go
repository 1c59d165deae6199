// Package seed writes synthetic tickets straight into a Guichet database,
// in large multi-row INSERT batches, for benchmarks that need a big
// database quickly (make bench seeds 1,000,000 tickets; through the API
// that would take a quarter of an hour per database).
//
// A seeded ticket has what CreateTicket would have written but its audit
// row: the ticket on the published procedure of its category, numbered
// after the tickets already there, its "created" timeline event, for an
// open ticket needing an answer its open response clock and due date, and
// its search document. Closed tickets are in their procedure's final
// state, without a clock nor transition events. The texts come from
// Generator, which make bench also uses to create tickets over HTTP.
package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

// Options say what to seed.
type Options struct {
	N int // tickets to write
	// Batch is the tickets per transaction, written with one INSERT per
	// table (default 2000).
	Batch int
	// Workers build and write batches concurrently (default 2): one builds
	// its rows while another's are being written.
	Workers int
	// The tickets' creation dates are spread evenly, in number order, from
	// Since (default: the start of Now's year, Paris time) to Now (default:
	// time.Now).
	Now, Since time.Time
	// Seed makes the texts and draws repeatable.
	Seed uint64
	// Assignees are the agents tickets are assigned to (most of them) and
	// created by (those not received by email); none leaves both empty.
	Assignees []string
	// Progress, when set, is called after each batch commits with the
	// tickets written so far; never concurrently.
	Progress func(done int)
}

// Result is what Tickets wrote.
type Result struct {
	Tickets     int
	Open        int // open tickets; the others are closed
	Clocks      int // open response clocks (open tickets that need an answer)
	First, Last string
	Took        time.Duration
}

// defaultBatch keeps each INSERT's text around a megabyte.
const defaultBatch = 2000

// Tickets writes opts.N tickets into the store's database; the store's
// settings (mapping, response policies, calendar) and published
// procedures decide their procedure, state and due dates. It should run
// while no server creates tickets in the same database (see reserve). On
// error, the batches already committed stay.
func Tickets(ctx context.Context, s *store.Store, opts Options) (Result, error) {
	start := time.Now()
	if opts.N <= 0 {
		return Result{}, nil
	}
	sd, err := newSeeder(ctx, s, opts)
	if err != nil {
		return Result{}, fmt.Errorf("seed tickets: %w", err)
	}
	if err := sd.run(ctx); err != nil {
		return sd.result(start), fmt.Errorf("seed tickets: %w", err)
	}
	return sd.result(start), nil
}

// seeder writes one run of tickets.
type seeder struct {
	opts     Options
	db       *bun.DB
	postgres bool
	cal      calendar.Calendar
	policies store.ResponsePolicies
	mapping  map[guichet.Category]string
	procs    map[string]procedureVersion // by code
	now      time.Time
	since    time.Time
	year     int
	first    int64 // the first ticket's number in its year
	batches  int
	mu       sync.Mutex // guards the counts and Progress calls
	done     int
	open     int
	clocks   int
}

func newSeeder(ctx context.Context, s *store.Store, opts Options) (*seeder, error) {
	if opts.Batch <= 0 {
		opts.Batch = defaultBatch
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	sd := &seeder{opts: opts, db: s.DB().Writer(), postgres: s.DB().Postgres(),
		now: opts.Now.UTC().Truncate(time.Microsecond)}
	sd.year = sd.now.In(paris).Year()
	sd.since = opts.Since.UTC()
	if opts.Since.IsZero() {
		sd.since = time.Date(sd.year, 1, 1, 0, 0, 0, 0, paris).UTC()
	}
	if !sd.since.Before(sd.now) {
		return nil, errors.New("the start of the creation dates (Since) must be before Now")
	}
	sd.batches = (opts.N + opts.Batch - 1) / opts.Batch
	if err := sd.loadSettings(ctx, s); err != nil {
		return nil, err
	}
	var err error
	sd.first, err = reserve(ctx, sd.db, sd.postgres, sd.year, opts.N)
	return sd, err
}

// loadSettings reads what CreateTicket reads: the calendar, the response
// policies, the category mapping and the published procedures.
func (sd *seeder) loadSettings(ctx context.Context, s *store.Store) error {
	cal, err := s.Calendar(ctx)
	if err != nil {
		return err
	}
	if sd.policies, err = s.ResponsePolicies(ctx); err != nil {
		return err
	}
	mapping, err := s.ProcedureMapping(ctx)
	if err != nil {
		return err
	}
	sd.cal, sd.mapping = cal.Calendar, mapping.Mapping
	sd.procs, err = publishedProcedures(ctx, sd.db)
	if err != nil {
		return err
	}
	for _, c := range Categories {
		if _, ok := sd.procs[sd.mapping[c]]; !ok {
			return fmt.Errorf("category %s: no published procedure %q", c, sd.mapping[c])
		}
	}
	return nil
}

// run writes the batches from opts.Workers goroutines and returns the
// first error.
func (sd *seeder) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	go func() {
		defer close(next)
		for b := range sd.batches {
			select {
			case next <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range sd.opts.Workers {
		wg.Go(func() {
			for b := range next {
				bt, err := sd.build(b)
				if err == nil {
					err = sd.write(ctx, bt)
				}
				if err != nil {
					cancel(fmt.Errorf("batch %d: %w", b, err))
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func (sd *seeder) result(start time.Time) Result {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	r := Result{Tickets: sd.done, Open: sd.open, Clocks: sd.clocks, Took: time.Since(start)}
	if sd.done > 0 {
		r.First, r.Last = sd.number(0), sd.number(sd.opts.N-1)
	}
	return r
}

// number is the number of the run's i-th ticket.
func (sd *seeder) number(i int) string {
	return fmt.Sprintf("T-%d-%06d", sd.year, sd.first+int64(i))
}

// seq is the list position of the run's i-th ticket.
func (sd *seeder) seq(i int) int64 { return int64(sd.year)*seqPerYear + sd.first + int64(i) }

// createdAt spreads the tickets evenly from since to now, in number order.
func (sd *seeder) createdAt(i int) time.Time {
	span := float64(sd.now.Sub(sd.since))
	at := sd.since.Add(time.Duration(span * (float64(i) + 0.5) / float64(sd.opts.N)))
	return at.Truncate(time.Microsecond)
}

// batch is the rows of one transaction.
type batch struct {
	tickets []ticketRow
	events  []eventRow
	clocks  []clockRow
	texts   []textRow
}

// build makes the rows of batch b, deterministically from opts.Seed and b
// (but for the ids, time-ordered UUIDs as the store makes).
func (sd *seeder) build(b int) (*batch, error) {
	lo := b * sd.opts.Batch
	hi := min(lo+sd.opts.Batch, sd.opts.N)
	gen := NewGenerator(sd.opts.Seed<<32 | uint64(b))
	out := &batch{tickets: make([]ticketRow, 0, hi-lo), events: make([]eventRow, 0, hi-lo), texts: make([]textRow, 0, hi-lo)}
	for i := lo; i < hi; i++ {
		if err := sd.ticket(out, gen, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// write inserts a batch in one transaction.
func (sd *seeder) write(ctx context.Context, bt *batch) error {
	err := sd.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		queries := []*bun.InsertQuery{tx.NewInsert().Model(&bt.tickets), tx.NewInsert().Model(&bt.events)}
		if len(bt.clocks) > 0 {
			queries = append(queries, tx.NewInsert().Model(&bt.clocks))
		}
		queries = append(queries, sd.textsQuery(tx, bt.texts))
		for _, q := range queries {
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sd.mu.Lock()
	defer sd.mu.Unlock()
	sd.done += len(bt.tickets)
	for _, t := range bt.tickets {
		if t.Status == string(guichet.StatusOpen) {
			sd.open++
		}
	}
	sd.clocks += len(bt.clocks)
	if sd.opts.Progress != nil {
		sd.opts.Progress(sd.done)
	}
	return nil
}

// textsQuery inserts the search documents: keyed by rowid in SQLite's FTS5
// table, by a seq column on PostgreSQL.
func (sd *seeder) textsQuery(tx bun.Tx, texts []textRow) *bun.InsertQuery {
	if !sd.postgres {
		return tx.NewInsert().Model(&texts)
	}
	pg := make([]pgTextRow, len(texts))
	for i, t := range texts {
		pg[i] = pgTextRow(t)
	}
	return tx.NewInsert().Model(&pg)
}

// newID returns a time-ordered UUID (v7), as the store's ids.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// seqPerYear spaces the years in seq, as in the store: seq = year*1e9 + n.
const seqPerYear = 1_000_000_000

var paris = mustParis()

func mustParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}

// draw returns true with probability percent/100.
func draw(rng *rand.Rand, percent int) bool { return rng.IntN(100) < percent }
