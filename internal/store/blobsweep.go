package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/blob"
)

// BlobGrace is how old an unused blob must be before the sweep deletes
// it: longer than any upload or fetch between storing a blob and
// committing the row that uses it.
const BlobGrace = 6 * time.Hour

// blobColumns are the columns that hold blob keys: a blob that none of
// them names is unused. TestBlobColumnsCoverTheSchema keeps the list whole.
var blobColumns = []struct{ table, column string }{
	{"attachments", "blob_key"},
	{"interactions", "scan_blob_key"},
	{"mandates", "document_blob_key"},
	{"mail_attachments", "blob_key"},
	{"mail_messages", "raw_blob_key"},
	{"mail_outbox", "blob_key"},
}

// usedBlobs returns those of keys that some row names.
func usedBlobs(ctx context.Context, db bun.IDB, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	parts := make([]string, len(blobColumns))
	args := make([]any, len(blobColumns))
	for i, c := range blobColumns {
		parts[i] = fmt.Sprintf("SELECT %[2]s FROM %[1]s WHERE %[2]s IN (?)", c.table, c.column)
		args[i] = bun.List(keys)
	}
	var used []string
	if err := db.NewRaw(strings.Join(parts, " UNION "), args...).Scan(ctx, &used); err != nil {
		return nil, fmt.Errorf("blobs in use: %w", err)
	}
	return used, nil
}

// unusedBlobs returns those of keys that no row names any more (a letter's
// scan is shared by its tickets' attachments, an ingested mail's parts by
// its tickets').
func unusedBlobs(ctx context.Context, db bun.IDB, keys []string) ([]string, error) {
	used, err := usedBlobs(ctx, db, keys)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(used, k) }), nil
}

// SweepOrphanBlobs deletes the blobs older than BlobGrace that no row
// uses, left by a process killed between storing a blob and committing
// its row, and the file store's abandoned uploads. It walks the keys made
// since the previous sweep only (keys are time-ordered), so its cost
// follows what was stored meanwhile. It returns the blobs deleted.
func (s *Store) SweepOrphanBlobs(ctx context.Context) (int, error) {
	lister, ok := s.opts.Blobs.(blob.Lister)
	if !ok {
		return 0, nil
	}
	if fs, ok := s.opts.Blobs.(interface {
		CleanTemp(time.Duration) (int, error)
	}); ok {
		if _, err := fs.CleanTemp(BlobGrace); err != nil {
			return 0, err
		}
	}
	from, err := s.sweptUntil(ctx)
	if err != nil {
		return 0, err
	}
	until := blob.KeyAt(s.now().Add(-BlobGrace))
	if until <= from {
		return 0, nil
	}
	deleted := 0
	err = lister.Keys(ctx, from, until, 500, func(keys []string) error {
		unused, err := unusedBlobs(ctx, s.db.read, keys)
		for _, k := range unused {
			if err := s.opts.Blobs.Delete(ctx, k); err != nil {
				return fmt.Errorf("delete blob %s: %w", k, err)
			}
			deleted++
		}
		return err
	})
	if err != nil {
		return deleted, wrap("sweep blobs", err)
	}
	return deleted, wrap("sweep blobs", s.inTx(ctx, func(tx *Tx) error {
		_, err := tx.NewRaw(`INSERT INTO blob_sweeps (id, swept_until, updated_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET swept_until = EXCLUDED.swept_until, updated_at = EXCLUDED.updated_at`,
			until, tx.Now).Exec(ctx)
		return err
	}))
}

// sweptUntil is the key below which the previous sweeps looked.
func (s *Store) sweptUntil(ctx context.Context) (string, error) {
	var until string
	err := s.db.read.NewSelect().Table("blob_sweeps").Column("swept_until").Where("id = 1").Scan(ctx, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return until, wrap("sweep blobs", err)
}
