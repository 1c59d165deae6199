package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testclock"
	"github.com/guichet/guichet/internal/testdb"
)

// start is the clock's first reading in every test: fixed, so that expiry
// arithmetic reads plainly.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one store on a fresh, migrated database.
type env struct {
	Store  *store.Store
	DB     *store.DB
	Config config.Config
	Clock  *testclock.Clock
}

// setup opens a fresh database of backend b and builds an insert-only
// store over it; workers may be nil.
func setup(t *testing.T, b testdb.Backend, workers *river.Workers) *env {
	t.Helper()
	db, cfg := b.Open(t)
	e := &env{DB: db, Config: cfg, Clock: testclock.New(start)}
	e.Store = newStore(t, db, cfg, e.Clock, workers)
	return e
}

// newStore builds an insert-only store over db, as app.Main does, with
// cheap password hashing and short lifetimes that tests can step over.
func newStore(t *testing.T, db *store.DB, cfg config.Config, c *testclock.Clock, workers *river.Workers) *store.Store {
	t.Helper()
	key, err := auth.ParseKey(cfg.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := auth.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	if workers == nil {
		workers = river.NewWorkers()
	}
	log := slog.New(slog.DiscardHandler)
	s, err := store.New(context.Background(), db, store.JobsConfig{Workers: workers, InsertOnly: true, Logger: log},
		store.Options{Now: c.Now, Logger: log, Hasher: auth.NewHasherWithParams(2, 64, 1), Box: box,
			Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour,
			LoginFreeFailures: 5, IdempotencyTTL: time.Hour})
	if err != nil {
		t.Fatalf("new store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// count returns the rows of table matching where (no filter when empty).
func count(t *testing.T, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	q := db.ReadDB().NewSelect().TableExpr(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
