package store

import (
	"context"

	"github.com/uptrace/bun"
)

// Hooks into the package for the tests of package store_test, which need
// internal/testdb (and testdb imports store).

// InTxForTest runs fn as one unit of work, as the public methods do.
func (s *Store) InTxForTest(ctx context.Context, fn func(tx *Tx) error) error { return s.inTx(ctx, fn) }

// AuditForTest records an audit event in tx.
func AuditForTest(ctx context.Context, tx *Tx, action, entityType, entityID string, after any) error {
	return audit(ctx, tx, action, entityType, entityID, nil, after)
}

// NewIDForTest returns a fresh time-ordered UUID.
func NewIDForTest() string { return newID() }

// ReadDB returns the handle queries outside transactions go through (the
// read-only pool on SQLite).
func (db *DB) ReadDB() *bun.DB { return db.read }

// QueuedUnitsForTest returns how many units of work wait for the SQLite
// group committer (0 on PostgreSQL, which has none).
func (s *Store) QueuedUnitsForTest() int {
	if s.group == nil {
		return 0
	}
	return len(s.group.queue)
}

// SetSearchLimitsForTest sets the token counts below which a search term
// drives the query and above which a search walks the list order, and how
// many rows a walk probes before it falls back.
func (s *Store) SetSearchLimitsForTest(drive, walk, window int) {
	s.search = searchLimits{drive: drive, walk: walk, window: window, ticketWalk: s.search.ticketWalk}
}

// SetTicketWalkForTest sets the most rows a ticket search walks before it
// asks the index: 1 sends every search past its first row to the index.
func (s *Store) SetTicketWalkForTest(rows int) {
	s.search.ticketWalk = rows
}

// BlobColumnsForTest lists the "table.column" pairs the blob sweep looks
// blob keys up in.
func BlobColumnsForTest() []string {
	out := make([]string, len(blobColumns))
	for i, c := range blobColumns {
		out[i] = c.table + "." + c.column
	}
	return out
}
