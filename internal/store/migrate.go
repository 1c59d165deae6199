package store

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/guichet/guichet/migrations"
)

// migrationLockID serialises migrations across replicas on PostgreSQL.
const migrationLockID = 7_346_829_101

// Migrate applies River's migrations then Guichet's pending ones, each file
// in its own transaction. It is safe to run from several processes at once.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	if db.postgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockID); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockID) //nolint:errcheck
	}
	if err := db.migrateRiver(ctx); err != nil {
		return err
	}
	return db.migrateGuichet(ctx, log)
}

func (db *DB) migrateRiver(ctx context.Context) error {
	var err error
	if db.postgres {
		var m *rivermigrate.Migrator[pgxTx]
		if m, err = rivermigrate.New(riverpgxv5.New(db.pool), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	} else {
		var m *rivermigrate.Migrator[sqlTx]
		if m, err = rivermigrate.New(riversqlite.New(db.write.DB), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

func (db *DB) migrationDir() string {
	if db.postgres {
		return "postgres"
	}
	return "sqlite"
}

func (db *DB) migrateGuichet(ctx context.Context, log *slog.Logger) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamp NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	if err := db.write.NewSelect().Table("schema_migrations").Column("name").Scan(ctx, &applied); err != nil {
		return fmt.Errorf("migrate: list applied: %w", err)
	}
	done := make(map[string]bool, len(applied))
	for _, n := range applied {
		done[n] = true
	}
	names, err := fs.Glob(migrations.FS, db.migrationDir()+"/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, path := range names {
		name := strings.TrimPrefix(path, db.migrationDir()+"/")
		if done[name] {
			continue
		}
		if err := db.applyMigration(ctx, path, name); err != nil {
			return err
		}
		log.Info("migration applied", "name", name)
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, path, name string) error {
	body, err := fs.ReadFile(migrations.FS, path)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := tx.NewRaw("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
		name, time.Now().UTC()).Exec(ctx); err != nil {
		return fmt.Errorf("migrate %s: record: %w", name, err)
	}
	return tx.Commit()
}
