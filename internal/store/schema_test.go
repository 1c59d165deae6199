package store_test

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// dialectOnlyColumns lists "table.column" that legitimately exist on one
// database only, each with the reason; add an entry only with one.
var dialectOnlyColumns = map[string]string{
	"ticket_texts.seq": "the ticket's seq keys its search document: a column on PostgreSQL, the rowid of the FTS5 table on SQLite",
}

// schema maps each table to its sorted column names.
type schema map[string][]string

func readSchema(t *testing.T, db *store.DB) schema {
	t.Helper()
	ctx := context.Background()
	// Virtual tables (FTS5) count as tables; their shadow tables, which
	// hold an index's data, do not.
	q := `SELECT t.name, p.name FROM pragma_table_list t, pragma_table_info(t.name) p
		WHERE t.schema = 'main' AND t.type IN ('table', 'virtual') AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if db.Postgres() {
		q = `SELECT c.table_name, c.column_name FROM information_schema.columns c
			JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`
	}
	rows, err := db.ReadDB().QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	defer rows.Close()
	s := schema{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		if _, ok := dialectOnlyColumns[table+"."+column]; !ok {
			s[table] = append(s[table], column)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cols := range s {
		slices.Sort(cols)
	}
	return s
}

func TestSchemaParity(t *testing.T) {
	if os.Getenv(testdb.EnvURL) == "" {
		t.Skipf("schema parity compares SQLite with PostgreSQL: set %s to run it", testdb.EnvURL)
	}
	t.Parallel()
	lite, _ := testdb.Backend{Name: "sqlite"}.Open(t)
	pg, _ := testdb.Backend{Name: "postgres"}.Open(t)
	ls, ps := readSchema(t, lite), readSchema(t, pg)

	for _, must := range []string{"schema_migrations", "agents", "contacts", "audit_events", "ticket_texts", "river_job", "river_queue", "river_leader"} {
		if ls[must] == nil || ps[must] == nil {
			t.Errorf("table %s: sqlite has it %t, postgres has it %t; want both", must, ls[must] != nil, ps[must] != nil)
		}
	}
	tables := slices.Sorted(maps.Keys(ls))
	if pt := slices.Sorted(maps.Keys(ps)); !slices.Equal(tables, pt) {
		t.Fatalf("tables differ:\nsqlite   %v\npostgres %v", tables, pt)
	}
	t.Logf("%d tables on both: %v", len(tables), tables)
	for _, table := range tables {
		if !slices.Equal(ls[table], ps[table]) {
			t.Errorf("columns of %s differ:\nsqlite   %v\npostgres %v", table, ls[table], ps[table])
		}
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		db, _ := b.Open(t)
		before := readSchema(t, db)
		guichet := count(t, db, "schema_migrations", "")
		river := count(t, db, "river_migration", "")
		if guichet == 0 || river == 0 {
			t.Fatalf("after the first Migrate: %d Guichet and %d River migrations recorded, want some of each", guichet, river)
		}
		if err := db.Migrate(context.Background(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if n := count(t, db, "schema_migrations", ""); n != guichet {
			t.Errorf("schema_migrations: %d rows after the second Migrate, want %d", n, guichet)
		}
		if n := count(t, db, "river_migration", ""); n != river {
			t.Errorf("river_migration: %d rows after the second Migrate, want %d", n, river)
		}
		if after := readSchema(t, db); !maps.EqualFunc(before, after, slices.Equal) {
			t.Errorf("the second Migrate changed the schema:\nbefore %v\nafter  %v", before, after)
		}
	})
}
