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
	if q := tokensQuery(tx, entityType, id, tokens); q != nil {
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("store search tokens: %w", err)
		}
	}
	return nil
}

// tokensQuery is the insert of an entity's tokens, nil when there are none.
func tokensQuery(tx *Tx, entityType, id string, tokens []string) *bun.InsertQuery {
	if len(tokens) == 0 {
		return nil
	}
	rows := make([]searchTokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = searchTokenRow{EntityType: entityType, Token: t, EntityID: id}
	}
	return tx.NewInsert().Model(&rows)
}

// driveLimit is how many tokens a search term may match and still drive
// the query: below it, the matching rows are few and cheap to sort; above
// it, walking the table in list order and probing each row finds a page
// sooner.
const driveLimit = 2000

// whereMatches keeps the rows of table that have, for each term of query,
// a token starting with that term. Terms are byte-wise prefix ranges, so
// both databases answer alike from the token index. The most selective
// term, if selective enough, picks the candidate rows; every other term is
// a probe of the (entity_id, token) index.
func (s *Store) whereMatches(ctx context.Context, q *bun.SelectQuery, entityType, table, query string) (*bun.SelectQuery, error) {
	terms := textsearch.QueryTerms(query)
	drive, least := -1, driveLimit
	for i, t := range terms {
		n, err := s.countTokens(ctx, entityType, t, driveLimit)
		if err != nil {
			return nil, err
		}
		if n < least {
			drive, least = i, n
		}
	}
	for i, t := range terms {
		cond, args := tokenRange(t)
		if i == drive {
			q = q.Where(table+".id IN (SELECT entity_id FROM search_tokens WHERE entity_type = ? AND "+cond+")",
				append([]any{entityType}, args...)...)
			continue
		}
		q = q.Where("EXISTS (SELECT 1 FROM search_tokens st"+s.probeIndex()+" WHERE st.entity_id = "+table+".id AND st.entity_type = ? AND st."+cond+")",
			append([]any{entityType}, args...)...)
	}
	return q, nil
}

// probeIndex pins SQLite's probe to the (entity_id, token) index: without
// statistics its planner would range-scan every token of the prefix for
// each row. PostgreSQL's planner has statistics and needs no hint.
func (s *Store) probeIndex() string {
	if s.db.postgres {
		return ""
	}
	return " INDEXED BY search_tokens_entity_token_idx"
}

// tokenRange is the condition "token starts with term".
func tokenRange(term string) (string, []any) {
	if end := textsearch.PrefixEnd(term); end != "" {
		return "token >= ? AND token < ?", []any{term, end}
	}
	return "token >= ?", []any{term}
}

// countTokens counts the tokens starting with term, stopping at limit.
func (s *Store) countTokens(ctx context.Context, entityType, term string, limit int) (int, error) {
	cond, args := tokenRange(term)
	var n int
	err := s.db.read.NewRaw("SELECT count(*) FROM (SELECT 1 FROM search_tokens WHERE entity_type = ? AND "+cond+" LIMIT ?) AS m",
		append(append([]any{entityType}, args...), limit)...).Scan(ctx, &n)
	if err != nil {
		return 0, wrap("search", err)
	}
	return n, nil
}

// byteOrder makes a text column sort byte-wise on PostgreSQL, as SQLite's
// BINARY collation does, so that pages cut at the same places.
func (s *Store) byteOrder(col string) string {
	if s.db.postgres {
		return col + ` COLLATE "C"`
	}
	return col
}
