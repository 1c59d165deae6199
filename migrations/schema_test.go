package migrations

import (
	"io/fs"
	"slices"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := fs.ReadDir(FS, dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Both databases apply the same migrations by name: a file added to one
// folder only would let the schemas drift.
func TestSameFileNamesForBothDatabases(t *testing.T) {
	t.Parallel()
	lite, pg := names(t, "sqlite"), names(t, "postgres")
	if len(lite) == 0 {
		t.Fatal("no migrations embedded")
	}
	if !slices.Equal(lite, pg) {
		t.Fatalf("migration files differ:\nsqlite   %v\npostgres %v", lite, pg)
	}
}
