package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/textsearch"
)

type searchTokenRow struct {
	bun.BaseModel `bun:"table:search_tokens"`

	EntityType string `bun:"entity_type,pk"`
	Token      string `bun:"token,pk"`
	EntityID   string `bun:"entity_id,pk"`
}

// replaceTokens sets the search tokens of one entity.
func replaceTokens(ctx context.Context, tx *Tx, entityType, id string, tokens []string) error {
	if _, err := tx.NewDelete().Model((*searchTokenRow)(nil)).Where("entity_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("clear search tokens: %w", err)
	}
	return insertTokens(ctx, tx, entityType, id, tokens)
}

// insertTokens adds the search tokens of a new entity.
func insertTokens(ctx context.Context, tx *Tx, entityType, id string, tokens []string) error {
	if len(tokens) == 0 {
		return nil
	}
	rows := make([]searchTokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = searchTokenRow{EntityType: entityType, Token: t, EntityID: id}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("store search tokens: %w", err)
	}
	return nil
}

// whereMatches keeps the rows (whose id is idCol) that have, for each term
// of query, a token starting with that term. Terms are byte-wise prefix
// ranges, so both databases answer alike from the token index.
func whereMatches(q *bun.SelectQuery, entityType, idCol, query string) *bun.SelectQuery {
	for _, term := range textsearch.QueryTerms(query) {
		sub := "SELECT entity_id FROM search_tokens WHERE entity_type = ? AND token >= ?"
		args := []any{entityType, term}
		if end := textsearch.PrefixEnd(term); end != "" {
			sub += " AND token < ?"
			args = append(args, end)
		}
		q = q.Where(idCol+" IN ("+sub+")", args...)
	}
	return q
}

// byteOrder makes a text column sort byte-wise on PostgreSQL, as SQLite's
// BINARY collation does, so that pages cut at the same places.
func (s *Store) byteOrder(col string) string {
	if s.db.postgres {
		return col + ` COLLATE "C"`
	}
	return col
}
