// Package store implements Guichet's domain services with bun, on SQLite
// (embedded default) and PostgreSQL (scale-out), and owns the River client
// so that a write and the jobs it causes commit in one transaction.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/guichet/guichet/internal/config"
)

// DB holds the database handles. On SQLite, writes go through one writer
// connection and reads through a separate read-only pool, so that a long
// read never stalls writes and concurrent writes never meet SQLITE_BUSY. On
// PostgreSQL both are the same pool.
type DB struct {
	// write runs transactions; read serves queries outside them.
	write, read *bun.DB
	// pool is PostgreSQL's pgx pool (nil on SQLite); River uses it.
	pool     *pgxpool.Pool
	postgres bool
}

// OpenDB connects to the database the configuration names. It does not
// migrate: call Migrate.
func OpenDB(ctx context.Context, cfg *config.Config) (*DB, error) {
	if cfg.IsPostgres() {
		return openPostgres(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	return openSQLite(cfg.SQLitePath(), cfg.SQLiteSynchronous, cfg.DBMaxConns)
}

// sqliteDSN puts every pragma in the DSN so that each connection the pool
// opens gets them; busy_timeout first so that the others can wait.
func sqliteDSN(path, synchronous string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	// Savepoints (one per unit of work in a shared commit) keep their
	// sub-journal in memory rather than in a temporary file. (Readers with
	// file temp stores measured a higher peak RSS under the search bench.)
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// The writer keeps a larger page cache (16 MB) than each reader
		// (SQLite's default, 2 MB): it touches the indexes of every write.
		q.Add("_pragma", "cache_size(-16000)")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(path, synchronous string, readers int) (*DB, error) {
	w, err := sql.Open("sqlite", sqliteDSN(path, synchronous, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Touch the writer first so that WAL mode is set before readers open.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, synchronous, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	return &DB{
		write: bun.NewDB(w, sqlitedialect.New()),
		read:  bun.NewDB(r, sqlitedialect.New()),
	}, nil
}

func openPostgres(ctx context.Context, dsn string, maxConns int) (*DB, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pc.MaxConns = int32(maxConns)
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	// bun runs over database/sql on the same pool that River's pgx driver
	// uses, so both can share one transaction on one pinned connection.
	sqldb := openBunDB(pool)
	bdb := bun.NewDB(sqldb, pgdialect.New())
	return &DB{write: bdb, read: bdb, pool: pool, postgres: true}, nil
}

// Postgres reports whether the database is PostgreSQL.
func (db *DB) Postgres() bool { return db.postgres }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return err
	}
	if db.postgres {
		return nil
	}
	return db.write.PingContext(ctx)
}

// Close closes every handle.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return err
}
