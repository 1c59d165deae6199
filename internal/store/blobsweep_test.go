package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// A blob column the sweep does not know would have its blobs deleted as
// orphans: every column named like a blob key must be in its list.
func TestBlobColumnsCoverTheSchema(t *testing.T) {
	t.Parallel()
	db, _ := testdb.Backend{Name: "sqlite"}.Open(t)
	known := store.BlobColumnsForTest()
	for table, cols := range readSchema(t, db) {
		for _, c := range cols {
			if strings.HasSuffix(c, "blob_key") && table != "blob_chunks" && !slices.Contains(known, table+"."+c) {
				t.Errorf("%s.%s holds blob keys but the orphan sweep does not look there", table, c)
			}
		}
	}
}
