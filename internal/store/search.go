package store

import (
	"context"
	"fmt"
	"strings"

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

// How a search picks its rows. A term matching few tokens (under
// searchLimits.drive) names few rows: they are fetched and sorted. When every term
// is broad (over searchLimits.walk), matches are dense: walking the table in list
// order and probing each row fills a page soon. In between, the terms'
// matches are intersected in the token index first, so that "prénom nom"
// (two common words, a rare pair) never walks the whole table.
//
// window is how many rows, in list order, a walking search probes before
// it falls back to sorting the rarest term's rows: matches on a last name
// are contiguous in name order, so a common prefix ("rou") can have none
// in the first thousands of rows.
type searchLimits struct {
	drive, walk, window int
	ticketWalk          int // the most rows a ticket search walks
}

var defaultSearchLimits = searchLimits{drive: 2000, walk: 20000, window: 3000, ticketWalk: ticketWalkMax}

// searchPlan is how a search picks its rows: apply adds the chosen
// conditions to a query. A walk may find its page late in list order;
// drive is then the fallback that sorts the rarest term's rows instead.
type searchPlan struct {
	apply func(*bun.SelectQuery) *bun.SelectQuery
	walk  bool // apply walks the list order, probing each row
	few   bool // apply's candidate rows are few: sort them
	drive func(*bun.SelectQuery) *bun.SelectQuery
}

// planSearch chooses how to find the rows of table that have, for each
// term of query, a token starting with that term. Terms are byte-wise
// prefix ranges, so both databases answer alike from the token index.
func (s *Store) planSearch(ctx context.Context, entityType, table, query string) (searchPlan, error) {
	terms := textsearch.QueryTerms(query)
	if len(terms) == 0 {
		return searchPlan{apply: func(q *bun.SelectQuery) *bun.SelectQuery { return q }}, nil
	}
	lim := s.search
	counts, least, err := s.countAll(ctx, entityType, terms, lim.drive)
	if err != nil {
		return searchPlan{}, err
	}
	if counts[least] >= lim.drive && len(terms) > 1 {
		// Every term is broad: is their combination?
		if counts, least, err = s.countAll(ctx, entityType, terms, lim.walk); err != nil {
			return searchPlan{}, err
		}
	}
	// The rarest term's ids are filtered by the other terms inside the
	// token index, so that only matching rows are read from the table.
	drive := func(q *bun.SelectQuery) *bun.SelectQuery {
		cond, args := tokenRange("a.token", terms[least])
		set := "SELECT a.entity_id FROM search_tokens a WHERE a.entity_type = ? AND " + cond
		args = append([]any{entityType}, args...)
		for i, t := range terms {
			if i != least {
				probe, pargs := s.probeSQL("a.entity_id", t)
				set += " AND " + probe
				args = append(args, pargs...)
			}
		}
		return q.Where(table+".id IN ("+set+")", args...)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	switch {
	// Driving costs about two lookups per row of the rarest term;
	// intersecting reads every term's tokens, about three to a lookup.
	case counts[least] < lim.drive || len(terms) > 1 && counts[least] < lim.walk && total >= 6*counts[least]:
		return searchPlan{apply: drive, few: true}, nil
	case len(terms) == 1 || counts[least] >= lim.walk:
		walk := func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, t := range terms {
				q = s.probe(q, table, t)
			}
			return q
		}
		return searchPlan{apply: walk, walk: true, drive: drive}, nil
	}
	sets := make([]string, len(terms))
	var args []any
	for i, t := range terms {
		sets[i] = tokenSet(t)
		args = append(args, tokenArgs(entityType, t)...)
	}
	intersect := func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where(table+".id IN ("+strings.Join(sets, " INTERSECT ")+")", args...)
	}
	return searchPlan{apply: intersect, few: true}, nil
}

// countAll counts each term's tokens up to limit and returns the counts
// and the index of the rarest term.
func (s *Store) countAll(ctx context.Context, entityType string, terms []string, limit int) ([]int, int, error) {
	counts := make([]int, len(terms))
	least := 0
	for i, t := range terms {
		n, err := s.countTokens(ctx, entityType, t, limit)
		if err != nil {
			return nil, 0, err
		}
		counts[i] = n
		if n < counts[least] {
			least = i
		}
	}
	return counts, least, nil
}

// tokenSet selects the ids with a token starting with term; its arguments
// are tokenArgs.
func tokenSet(term string) string {
	cond, _ := tokenRange("token", term)
	return "SELECT entity_id FROM search_tokens WHERE entity_type = ? AND " + cond
}

func tokenArgs(entityType, term string) []any {
	_, args := tokenRange("token", term)
	return append([]any{entityType}, args...)
}

// probe keeps the rows of table that have a token starting with term,
// checked row by row through the (entity_id, token) index.
func (s *Store) probe(q *bun.SelectQuery, table, term string) *bun.SelectQuery {
	probe, args := s.probeSQL(table+".id", term)
	return q.Where(probe, args...)
}

// probeSQL is the condition "the entity idExpr has a token starting with
// term", answered by the (entity_id, token) index. It leaves entity_type
// out on purpose (ids are unique across types): with it, PostgreSQL,
// which estimates a narrow prefix range at one row, may range-scan the
// (entity_type, token) key for every probe instead.
func (s *Store) probeSQL(idExpr, term string) (string, []any) {
	cond, args := tokenRange("st.token", term)
	return "EXISTS (SELECT 1 FROM search_tokens st" + s.probeIndex() + " WHERE st.entity_id = " + idExpr +
		" AND " + cond + s.probeFence() + ")", args
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

// probeFence keeps PostgreSQL from turning a probe into a join: it
// estimates a narrow prefix range at one row and would then drive the
// query from the tokens, reading them all, where a probe per row stops at
// the page. (An EXISTS with an OFFSET is never pulled up into a join.)
func (s *Store) probeFence() string {
	if s.db.postgres {
		return " OFFSET 0"
	}
	return ""
}

// tokenRange is the condition "col starts with term".
func tokenRange(col, term string) (string, []any) {
	if end := textsearch.PrefixEnd(term); end != "" {
		return col + " >= ? AND " + col + " < ?", []any{term, end}
	}
	return col + " >= ?", []any{term}
}

// countTokens counts the tokens starting with term, stopping at limit.
func (s *Store) countTokens(ctx context.Context, entityType, term string, limit int) (int, error) {
	cond, args := tokenRange("token", term)
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
