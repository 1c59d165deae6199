package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// searchPage returns one page of base's rows that match plan, in the
// order of sort. A walk in name order is tried within the next
// searchLimits.window rows first; when they hold less than a page, the rarest term
// drives instead.
func searchPage[T any](ctx context.Context, s *Store, plan searchPlan, base func() *bun.SelectQuery,
	list, table, sort string, p guichet.PageRequest, key func(*T) (string, string)) ([]T, string, error) {
	if !plan.walk || (sort != "" && sort != guichet.SortByName) {
		return scanPage(ctx, s, plan.apply(base()), list, sort, p, plan.few, key)
	}
	var cur cursor
	if err := decodeCursor(p.Cursor, list+":"+guichet.SortByName, &cur); err != nil {
		return nil, "", err
	}
	bound, err := s.windowEnd(ctx, table, cur)
	if err != nil {
		return nil, "", err
	}
	if bound == nil { // the rest of the table is within the window
		return scanPage(ctx, s, plan.apply(base()), list, sort, p, false, key)
	}
	sn := s.byteOrder("sort_name")
	// The first condition is implied by the second; it lets the index
	// range-scan the window.
	q := plan.apply(base()).Where(sn+" <= ?", bound.Key).
		Where("("+sn+" < ?) OR ("+sn+" = ? AND id <= ?)", bound.Key, bound.Key, bound.ID)
	rows, next, err := scanPage(ctx, s, q, list, sort, p, false, key)
	if err != nil || next != "" {
		return rows, next, err
	}
	return scanPage(ctx, s, plan.drive(base()), list, sort, p, true, key)
}

// windowEnd returns the position searchLimits.window rows after cur in name order,
// or nil when fewer rows remain.
func (s *Store) windowEnd(ctx context.Context, table string, cur cursor) (*cursor, error) {
	q := s.db.read.NewSelect().Table(table).Column("sort_name", "id")
	if cur.ID != "" {
		sn := s.byteOrder("sort_name")
		q = q.Where(sn+" >= ?", cur.Key).Where("("+sn+" > ?) OR ("+sn+" = ? AND id > ?)", cur.Key, cur.Key, cur.ID)
	}
	var end struct {
		SortName string `bun:"sort_name"`
		ID       string `bun:"id"`
	}
	err := q.OrderExpr(s.byteOrder("sort_name")+", id").Offset(s.search.window).Limit(1).Scan(ctx, &end.SortName, &end.ID)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, wrap("search", err)
	}
	return &cursor{Key: end.SortName, ID: end.ID}, nil
}

// scanPage orders q by sort ("name": the folded sort name then id;
// "created_at": id, which is time-ordered), applies the cursor and returns
// one page with the cursor of the next ("" on the last page). key returns
// a row's sort name and id.
//
// few says the query's candidate rows are few (a search driven by a rare
// term): PostgreSQL is then kept from walking the list index in order
// (its estimate of a prefix's rows can be far off, and a walk for a rare
// term reads the whole index) by ordering on an expression.
func scanPage[T any](ctx context.Context, s *Store, q *bun.SelectQuery, list, sort string, p guichet.PageRequest,
	few bool, key func(*T) (string, string)) ([]T, string, error) {
	if sort == "" {
		sort = guichet.SortByName
	}
	order := list + ":" + sort
	var cur cursor
	if err := decodeCursor(p.Cursor, order, &cur); err != nil {
		return nil, "", err
	}
	if sort == guichet.SortByName {
		if cur.ID != "" {
			sn := s.byteOrder("sort_name")
			q = q.Where(sn+" >= ?", cur.Key).Where("("+sn+" > ?) OR ("+sn+" = ? AND id > ?)", cur.Key, cur.Key, cur.ID)
		}
		if few && s.db.postgres {
			q = q.OrderExpr(`(sort_name || '') COLLATE "C", id::text`)
		} else {
			q = q.OrderExpr(s.byteOrder("sort_name") + ", id")
		}
	} else {
		if cur.ID != "" {
			q = q.Where("id > ?", cur.ID)
		}
		if few && s.db.postgres {
			q = q.OrderExpr("id::text")
		} else {
			q = q.Order("id")
		}
	}
	n := p.Size()
	var rows []T
	if err := q.Limit(n+1).Scan(ctx, &rows); err != nil {
		return nil, "", wrap("list "+list, err)
	}
	if len(rows) <= n {
		return rows, "", nil
	}
	k, id := key(&rows[n-1])
	if sort != guichet.SortByName {
		k = ""
	}
	return rows[:n], encodeCursor(order, k, id), nil
}
