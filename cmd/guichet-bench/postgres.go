package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// scratchDB is a database created for one run on the server of EnvURL.
type scratchDB struct {
	admin *sql.DB
	Name  string
	URL   string // the server's URL pointing at the new database
}

// createDatabase creates an empty database guichet_bench_<random> on the
// PostgreSQL server of baseURL.
func createDatabase(ctx context.Context, baseURL string) (*scratchDB, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", envPostgres, err)
	}
	admin, err := sql.Open("pgx", baseURL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", envPostgres, err)
	}
	name := "guichet_bench_" + randomHex(6)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The name is ours, made of [a-z0-9_]: no quoting needed.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return &scratchDB{admin: admin, Name: name, URL: u.String()}, nil
}

// Release closes the connection to the server, first dropping the database
// (disconnecting whoever still uses it) when drop is true.
func (d *scratchDB) Release(drop bool) error {
	defer d.admin.Close()
	if !drop {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := d.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d.Name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.Name, err)
	}
	return nil
}

// newSecretKey returns a random 32-byte key in base64, as GUICHET_SECRET_KEY
// wants.
func newSecretKey() string {
	return base64.StdEncoding.EncodeToString(randomBytes(32))
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand panics if it cannot read)
	return b
}

// Analyze refreshes the planner's statistics of the scratch database.
func (d *scratchDB) Analyze(ctx context.Context) error {
	db, err := sql.Open("pgx", d.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}

// VacuumAnalyze vacuums the scratch database and refreshes its
// statistics, as autovacuum would some minutes after a bulk load (it also
// flushes the pending lists of GIN indexes and sets the visibility map,
// so that index-only scans skip the heap).
func (d *scratchDB) VacuumAnalyze(ctx context.Context) error {
	db, err := sql.Open("pgx", d.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	_, err = db.ExecContext(ctx, "VACUUM (ANALYZE)")
	return err
}
