// Package testdb gives each test a fresh database: a new SQLite file, and
// a new PostgreSQL database cloned from a migrated template when
// GUICHET_TEST_DATABASE_URL is set. Every suite runs on both.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/migrations"
)

// EnvURL names the PostgreSQL server tests use; empty means SQLite only.
const EnvURL = "GUICHET_TEST_DATABASE_URL"

// Backend is one database kind a test runs on.
type Backend struct {
	Name string // "sqlite" or "postgres"
}

// Backends returns SQLite, and PostgreSQL when EnvURL is set.
func Backends() []Backend {
	b := []Backend{{Name: "sqlite"}}
	if os.Getenv(EnvURL) != "" {
		b = append(b, Backend{Name: "postgres"})
	}
	return b
}

// Run runs f as a parallel subtest on every backend.
func Run(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

// Config returns a configuration pointing at a fresh, migrated database of
// the backend; it is dropped when the test ends.
func (b Backend) Config(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.SecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY" // 32 bytes, base64
	cfg.LogLevel = "warn"
	if b.Name == "postgres" {
		cfg.DatabaseURL = freshPostgres(t)
		cfg.DBMaxConns = 8
	} else {
		cfg.DBMaxConns = 4
	}
	return cfg
}

// Open returns migrated database handles for the backend.
func (b Backend) Open(t testing.TB) (*store.DB, config.Config) {
	t.Helper()
	cfg := b.Config(t)
	db, err := store.OpenDB(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db, cfg
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// freshPostgres clones the migrated template into a new database.
func freshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(base) })
	if templateErr != nil {
		t.Fatalf("postgres template: %v", templateErr)
	}
	name := "guichet_t_" + strings.ReplaceAll(uuid.NewString()[:18], "-", "")
	admin := adminDB(t, base)
	if _, err := admin.Exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("drop test database: %v", err)
		}
		admin.Close()
	})
	return withDatabase(base, name)
}

func adminDB(t testing.TB, base string) *sql.DB {
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

// ensureTemplate creates, once per schema version and across concurrent
// test processes, a migrated template database.
func ensureTemplate(base string) (string, error) {
	name := "guichet_tpl_" + schemaHash()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, base)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", EnvURL, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(424242)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(424242)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	if err := migrateTemplate(ctx, withDatabase(base, building)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", err
	}
	return name, nil
}

func migrateTemplate(ctx context.Context, dsn string) error {
	cfg := config.Default()
	cfg.DatabaseURL = dsn
	db, err := store.OpenDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx, slog.New(slog.DiscardHandler))
}

// schemaHash changes whenever a migration file changes.
func schemaHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(migrations.FS, path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	h.Write([]byte("river-v0.49.0"))
	return hex.EncodeToString(h.Sum(nil))[:12]
}
