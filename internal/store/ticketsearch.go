package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/textsearch"
)

// Ticket search (GET /tickets?q=).
//
// ticket_texts holds one document per ticket, keyed by its seq: the folded
// words of its number, subject, description and public timeline text
// (ticketTokens). A term matches a ticket when one of the document's
// tokens starts with it; a ticket must match every term. Both databases
// hold the same documents and apply that rule, so they find the same
// tickets.
//
// Neither index returns its matches in list order: to give the newest
// page, FTS5 merges a prefix's doclists and PostgreSQL's GIN index builds
// a bitmap of every match, so a common term ("bonjour", "2026") costs as
// much as it has matches (0.3 s for a word on 90% of a million tickets).
// A common term is found sooner by walking the list order and checking
// each row's document: a page is about size/density rows away. So a
// search walks first, one window of rows at a time, and stops when it has
// a page or the list ends; when the density it has seen makes the rest of
// the walk cost more than the index would, the index answers instead,
// for the term that matched fewest rows of the walk, each match's
// document being checked for the other terms. (The AND of a common term,
// such as "t" or "2026" in "T-2026-000123", would otherwise cost as much
// as the common term.)
//
// On PostgreSQL, a search with no filter walks the documents alone, and
// when the rows walked hold few matches (the newest tickets may all be
// about something else), the planner's statistics on the index say how
// common the terms are overall: the walk goes on for a common term
// rather than handing the index a hundred thousand matches. The index's
// answer intersects every term on a tenth of the tickets or fewer, and
// the page is sorted from its matches alone (topMatches).

const (
	// ticketWalkFirst is the smallest first window of a walk: a search
	// whose terms are together on fewer than 1 row in ticketWalkFirst
	// goes to the index.
	ticketWalkFirst = 200
	// ticketWalkMax bounds the rows a walk reads.
	ticketWalkMax = 20000
)

// maxTicketDocument bounds a ticket's document, in bytes, well below
// PostgreSQL's 1 MB limit on a tsvector: the words of a pasted log or of
// a long thread past it are not indexed.
const maxTicketDocument = 200_000

// ticketTokens returns the search document of a ticket: numberTokens, then
// the words of the subject, description and bodies, each cut to
// textsearch.MaxTokenBytes, without repeats, joined by single spaces, up
// to maxTicketDocument bytes. A token holds only letters and digits
// (textsearch.Words).
func ticketTokens(row *ticketRow, bodies ...string) string {
	return TicketDocument(row.Number, append([]string{row.Subject, row.Description}, bodies...)...)
}

// TicketDocument returns the search document of a ticket numbered number
// whose texts are the subject, the description and the public bodies of
// its timeline (the bulk seeder writes the same).
func TicketDocument(number string, texts ...string) string {
	seen := make(map[string]bool)
	var b strings.Builder
	add := func(words []string) {
		for _, w := range words {
			if w = cutToken(w); seen[w] || b.Len()+1+len(w) > maxTicketDocument {
				continue
			}
			seen[w] = true
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
	}
	add(numberTokens(number))
	for _, text := range texts {
		add(textsearch.Words(text))
	}
	return b.String()
}

// numberTokens returns the tokens of a ticket number: its words ("t",
// "2026", "000123" for T-2026-000123) and the number without its leading
// zeros ("123"), so that "T-2026-000123", "2026-000123", "000123" and
// "123" all find the ticket.
func numberTokens(number string) []string {
	words := textsearch.Words(number)
	if len(words) == 0 {
		return nil
	}
	n := words[len(words)-1]
	if short := strings.TrimLeft(n, "0"); short != "" && short != n {
		words = append(words, short)
	}
	return words
}

// cutToken cuts s to textsearch.MaxTokenBytes without splitting a rune, as
// textsearch cuts contact tokens and query terms.
func cutToken(s string) string {
	if len(s) <= textsearch.MaxTokenBytes {
		return s
	}
	i := textsearch.MaxTokenBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// ticketTerms returns the terms of a ticket search: the words of q, as
// ticketTokens cuts them, without repeats nor terms that prefix another
// (every term must match, and a token that starts with the longer term
// starts with the shorter), at most textsearch.MaxQueryTerms. Unlike
// textsearch.QueryTerms, it never reads q as a phone number or an e-mail
// address: "2026-000123" is two words, as in the documents.
func ticketTerms(q string) []string {
	var terms []string
	for _, w := range textsearch.Words(q) {
		terms = append(terms, cutToken(w))
	}
	var out []string
	for i, t := range terms {
		if !prefixesAnother(t, i, terms) {
			out = append(out, t)
		}
	}
	if len(out) > textsearch.MaxQueryTerms {
		out = out[:textsearch.MaxQueryTerms]
	}
	return out
}

// prefixesAnother reports whether terms[i] = t is a prefix of another
// term, or repeats an earlier one.
func prefixesAnother(t string, i int, terms []string) bool {
	for j, o := range terms {
		if j != i && strings.HasPrefix(o, t) && (o != t || j < i) {
			return true
		}
	}
	return false
}

// ticketTextQuery is the insert of a new ticket's document, made to join
// insertTicket's batch.
func ticketTextQuery(tx *Tx, row *ticketRow) *bun.InsertQuery {
	key := "rowid"
	if onPostgres(tx) {
		key = "seq"
	}
	doc := map[string]any{key: row.Seq, "tokens": ticketTokens(row)}
	return tx.NewInsert().Model(&doc).TableExpr("ticket_texts")
}

// indexTicket rewrites a ticket's document from its number, subject,
// description and the bodies of its public timeline events (internal
// notes are left out).
func indexTicket(ctx context.Context, tx *Tx, ticketID string) error {
	row := new(ticketRow)
	err := tx.NewSelect().Model(row).Column("seq", "number", "subject", "description").Where("id = ?", ticketID).Scan(ctx)
	if err != nil {
		return fmt.Errorf("index ticket: %w", notFoundOr(err, "ticket"))
	}
	var bodies []string
	err = tx.NewSelect().Model((*eventRow)(nil)).Column("body").
		Where("ticket_id = ? AND internal = ? AND body <> ''", ticketID, false).Order("id").Scan(ctx, &bodies)
	if err != nil {
		return fmt.Errorf("index ticket: %w", err)
	}
	upsert := "INSERT OR REPLACE INTO ticket_texts (rowid, tokens) VALUES (?, ?)"
	if onPostgres(tx) {
		upsert = "INSERT INTO ticket_texts (seq, tokens) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET tokens = excluded.tokens"
	}
	if _, err := tx.NewRaw(upsert, row.Seq, ticketTokens(row, bodies...)).Exec(ctx); err != nil {
		return fmt.Errorf("index ticket: %w", err)
	}
	return nil
}

// searchTickets restricts q, the filtered list query, to the tickets that
// match f.Query, from the position cur of f.Sort onwards: to the rows a
// walk found, or to the index's matches (see the top of this file). A
// query without a letter or digit is EINVALID.
func (s *Store) searchTickets(ctx context.Context, q *bun.SelectQuery, f guichet.TicketFilter, cur cursor) (*bun.SelectQuery, error) {
	terms := ticketTerms(f.Query)
	if len(terms) == 0 {
		return nil, guichet.Invalid("q", "give at least one letter or digit")
	}
	w, err := s.walkTickets(ctx, f, cur, terms)
	if err != nil {
		return nil, wrap("search tickets", err)
	}
	driver := w.rarest(terms)
	switch {
	case w.done:
	case !s.db.postgres && f.Sort != ticketsByDue:
		if w.hits, err = s.streamTickets(ctx, f, cur, terms, driver); err != nil {
			return nil, wrap("search tickets", err)
		}
		w.done = true
	case s.walksDocuments(f):
		if w.hits, err = s.topMatches(ctx, f, cur, terms, driver, w.est); err != nil {
			return nil, wrap("search tickets", err)
		}
		w.done = true
	}
	switch {
	case w.done && len(w.hits) == 0:
		return q.Where("1 = 0"), nil
	case w.done:
		return q.Where("ticket.seq IN (?)", bun.List(w.hits)), nil
	}
	return s.matchTickets(q, terms, driver, w.est), nil
}

// ticketWalk is what a walk of the list order saw.
type ticketWalk struct {
	hits   []int64 // seq of the rows matching every term, in list order
	done   bool    // hits is the answer: a page and one more, or the end of the list
	seen   int     // rows read
	counts []int   // rows matching each term
	// est is PostgreSQL's estimate of the matches, once the walk asked.
	est *searchEstimate
}

// rarest returns the index of the term fewest rows matched, the longest
// among equals.
func (w *ticketWalk) rarest(terms []string) int {
	least := 0
	for i := range terms {
		if w.counts[i] < w.counts[least] || w.counts[i] == w.counts[least] && len(terms[i]) > len(terms[least]) {
			least = i
		}
	}
	return least
}

// walkRow is a row of a walk: its list position and which terms its
// document matches (bit i for terms[i]).
type walkRow struct {
	Seq   int64      `bun:"seq"`
	DueAt *time.Time `bun:"due_at"`
	Hits  int64      `bun:"hits"`
}

// walkTickets reads the filtered list in order from cur, a window at a
// time, until it has a page and one more or the list ends (done), or
// until the index looks cheaper: reading the rows that the density of
// matches seen so far puts before the page costs more than handling every
// index match of the rarest term, whose number that term's density
// predicts.
func (s *Store) walkTickets(ctx context.Context, f guichet.TicketFilter, cur cursor, terms []string) (ticketWalk, error) {
	need := f.Page.Size() + 1
	w := ticketWalk{counts: make([]int, len(terms))}
	all := int64(1)<<len(terms) - 1
	total := -1
	for size := min(max(2*need, ticketWalkFirst), max(s.search.ticketWalk/2, 1)); ; {
		rows, err := s.walkWindow(ctx, f, cur, terms, size)
		if err != nil {
			return w, err
		}
		for _, r := range rows {
			w.seen++
			for i := range terms {
				if r.Hits&(1<<i) != 0 {
					w.counts[i]++
				}
			}
			if r.Hits == all {
				if w.hits = append(w.hits, r.Seq); len(w.hits) == need {
					w.done = true
					return w, nil
				}
			}
		}
		if len(rows) < size {
			w.done = true
			return w, nil
		}
		found := len(w.hits)
		if w.seen >= s.search.ticketWalk || found == 0 && !s.db.postgres {
			return w, nil
		}
		if total < 0 {
			if total, err = s.ticketCount(ctx); err != nil {
				return w, err
			}
		}
		n := max(total, w.seen)
		density := float64(found) / float64(w.seen)
		matches := (w.counts[w.rarest(terms)] + 1) * n / w.seen
		grow := 0
		if s.db.postgres {
			// The rows walked may be a run of tickets about something
			// else (few or no matches, however common the terms are
			// further on): PostgreSQL's statistics say how common they
			// are overall. The walk takes the likelier of the two
			// densities, a wrong guess costing at most ticketWalkMax
			// rows, where a wrong turn to the index costs every match.
			if w.est == nil {
				if w.est, err = s.estimateSearch(ctx, terms, n); err != nil {
					return w, err
				}
			}
			density = max(density, float64(w.est.all)/float64(n))
			matches = max(matches, w.est.terms[w.rarest(terms)])
			if found == 0 {
				grow = 2 * size
			}
		}
		more := int(float64(need-found) / max(density, 1/float64(n)))
		walk, index := s.ticketSearchCosts(f)
		if float64(more)*walk > float64(matches)*index {
			return w, nil
		}
		size = min(max(more+more/4, ticketWalkFirst/4, grow), s.search.ticketWalk-w.seen)
		cur = cursor{Key: listKey(rows[len(rows)-1], f.Sort)}
	}
}

// searchEstimate is the PostgreSQL planner's estimate of the number of
// documents matching every term of a search, and each term alone.
type searchEstimate struct {
	all   int
	terms []int
	total int // the tickets
}

// estimateSearch asks the planner, whose statistics on the documents'
// index (gathered by ANALYZE) estimate a term's matches closely (171,884
// for 173,403 on a million tickets), without reading them; total is the
// number of tickets.
func (s *Store) estimateSearch(ctx context.Context, terms []string, total int) (*searchEstimate, error) {
	all := make([]string, len(terms))
	for i, t := range terms {
		all[i] = tsPrefix(t)
	}
	est := &searchEstimate{terms: make([]int, len(terms)), total: total}
	var err error
	if est.all, err = s.estimateMatches(ctx, strings.Join(all, " & ")); err != nil {
		return nil, err
	}
	if len(terms) == 1 {
		est.terms[0] = est.all
		return est, nil
	}
	for i := range all {
		if est.terms[i], err = s.estimateMatches(ctx, all[i]); err != nil {
			return nil, err
		}
	}
	return est, nil
}

// indexed reports whether the index should find term i along with the
// driving term: GIN intersects the terms' entries before reading any
// document, which costs little for a term on a tenth of the tickets or
// less, and much for "t" or "2026" of a ticket number, on all of them
// (those are checked in each match's document instead).
func (e *searchEstimate) indexed(i, driver int) bool {
	return i == driver || e != nil && e.terms[i] <= e.total/10
}

func (s *Store) estimateMatches(ctx context.Context, tsquery string) (int, error) {
	var plan string
	err := s.db.read.NewRaw("EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket_texts AS tt WHERE "+pgDocumentMatches, tsquery).Scan(ctx, &plan)
	if err != nil {
		return 0, fmt.Errorf("estimate matches: %w", err)
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &out); err != nil || len(out) == 0 {
		return 0, fmt.Errorf("estimate matches: unexpected plan %.200q", plan)
	}
	return int(out[0].Plan.Rows), nil
}

// ticketSearchCosts returns, in µs, the cost of a row read by a walk (a
// step in a list index, a document lookup, a search in it per term) and
// of an index match, as measured on a million tickets. On SQLite FTS5
// merges a doclist entry per match and the join stops at the page; on
// PostgreSQL every match is a bitmap entry, a heap tuple and a sort
// entry. A filter makes a walk's rows scattered, each a random read, and
// the index read more matches before the page.
func (s *Store) ticketSearchCosts(f guichet.TicketFilter) (walk, index float64) {
	switch {
	case s.db.postgres && filtered(f):
		return 9, 3
	case s.walksDocuments(f):
		// A match costs a bitmap entry and a document read (202 ms for
		// 50,398 matches); a row of the walk was 4 when it was a ticket
		// and its document.
		return 1.5, 4
	case s.db.postgres:
		return 4, 3
	case filtered(f):
		return 15, 1
	}
	return 6, 0.5
}

// filtered reports whether f has a filter besides its query.
func filtered(f guichet.TicketFilter) bool {
	f.Query, f.Sort, f.Page = "", "", guichet.PageRequest{}
	return f != guichet.TicketFilter{}
}

// ticketCount estimates the number of tickets cheaply: SQLite's largest
// rowid (tickets are never deleted), PostgreSQL's statistics (0 before
// the first ANALYZE).
func (s *Store) ticketCount(ctx context.Context) (int, error) {
	q := "SELECT coalesce(max(rowid), 0) FROM tickets"
	if s.db.postgres {
		q = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'tickets'::regclass"
	}
	var n int
	if err := s.db.read.NewRaw(q).Scan(ctx, &n); err != nil {
		return 0, err
	}
	return n, nil
}

// walkWindow returns the next size rows of the filtered list from cur,
// each with the terms its document matches.
func (s *Store) walkWindow(ctx context.Context, f guichet.TicketFilter, cur cursor, terms []string, size int) ([]walkRow, error) {
	// Bit i of hits says that the document has a token starting with
	// terms[i].
	bits := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		bits[i] = "CASE WHEN " + s.hasToken("tt.tokens") + " THEN " + strconv.Itoa(1<<i) + " ELSE 0 END"
		args[i] = " " + t
	}
	hits := strings.Join(bits, " + ")
	if s.walksDocuments(f) {
		return s.walkDocuments(ctx, f, cur, hits, args, size)
	}
	f.Query = ""
	q := s.db.read.NewSelect().Model((*ticketRow)(nil)).Column("seq", "due_at")
	q, err := s.filterTickets(q, f)
	if err != nil {
		return nil, err
	}
	if q, err = pageTickets(q, f.Sort, cur); err != nil {
		return nil, err
	}
	// One lookup of the document per row.
	expr := "COALESCE((SELECT " + hits + " FROM ticket_texts AS tt WHERE " + s.textKey("tt") + " = ticket.seq), 0) AS hits"
	var rows []walkRow
	if err := q.ColumnExpr(expr, args...).Limit(size).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// walksDocuments reports whether a walk reads the documents alone, in
// their own key order, rather than the list with a document lookup per
// row: on PostgreSQL, for a search with no filter in creation order.
// Every ticket has its document under its seq, so both walks see the
// same tickets in the same order (a ticket without a document could not
// match anyway); one index and one table instead of two of each made a
// walk of 20,000 rows on a million tickets 2.7 times faster (56 → 21 ms,
// warm).
func (s *Store) walksDocuments(f guichet.TicketFilter) bool {
	return s.db.postgres && !filtered(f) && f.Sort != ticketsByDue
}

// walkDocuments is walkWindow over the documents alone (walksDocuments).
func (s *Store) walkDocuments(ctx context.Context, f guichet.TicketFilter, cur cursor, hits string, args []any, size int) ([]walkRow, error) {
	q := s.db.read.NewSelect().TableExpr("ticket_texts AS tt").ColumnExpr("tt.seq").ColumnExpr(hits+" AS hits", args...)
	after, order, err := seqOrder(f, cur, "tt.seq")
	if err != nil {
		return nil, err
	}
	q = after.where(q)
	var rows []walkRow
	if err := q.OrderExpr(order).Limit(size).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// listKey is the cursor key of a row in the list order sort, as
// ticketPage writes it.
func listKey(r walkRow, sort string) string {
	key := strconv.FormatInt(r.Seq, 10)
	if sort == ticketsByDue && r.DueAt != nil {
		key = r.DueAt.UTC().Format(time.RFC3339Nano) + "|" + key
	}
	return key
}

// streamTickets returns, on SQLite, the seq of the next page and one more
// of matching tickets in creation order from cur: FTS5 returns the
// matches of terms[driver] in rowid (seq) order, so the join stops at the
// page, and only the documents of the rows it reads are checked for the
// other terms. (Reading a document costs some 8 µs: checking every match
// of a term on 1% of a million tickets would take 80 ms.)
func (s *Store) streamTickets(ctx context.Context, f guichet.TicketFilter, cur cursor, terms []string, driver int) ([]int64, error) {
	f.Query = ""
	// CROSS JOIN keeps the FTS5 table as the outer loop.
	q := s.db.read.NewSelect().Model((*ticketRow)(nil)).ModelTableExpr("ticket_texts AS tt CROSS JOIN tickets AS ticket").
		Column("seq").Where("tt.ticket_texts MATCH ?", ftsPrefix(terms[driver])).Where("ticket.seq = tt.rowid")
	q, err := s.filterTickets(q, f)
	if err != nil {
		return nil, err
	}
	for i, t := range terms {
		if i != driver {
			q = q.Where(s.hasToken("tt.tokens"), " "+t)
		}
	}
	after, order, err := seqOrder(f, cur, "tt.rowid")
	if err != nil {
		return nil, err
	}
	q = after.where(q)
	var seqs []int64
	err = q.OrderExpr(order).Limit(f.Page.Size()+1).Scan(ctx, &seqs)
	return seqs, err
}

// topMatches returns, on PostgreSQL, the seq of the next page and one
// more of matching tickets in creation order from cur, for a search with
// no filter: the index's matches of terms[driver] whose documents hold
// the other terms, sorted on their own. (Restricting the list to every
// match instead, as matchTickets does, looks each of them up in the
// tickets' index: 230 ms rather than 80 for a term on 5% of a million
// tickets.) OFFSET 0 keeps the order and the limit out of the subquery,
// so that the index gives every match, whatever the planner guesses of
// their number: walking the documents in order while testing each is
// what the walk already did, and gave up on.
func (s *Store) topMatches(ctx context.Context, f guichet.TicketFilter, cur cursor, terms []string, driver int, est *searchEstimate) ([]int64, error) {
	conds, args := s.pgMatch(terms, driver, est)
	after, order, err := seqOrder(f, cur, "seq")
	if err != nil {
		return nil, err
	}
	if after != nil {
		conds, args = append(conds, "tt."+after.cond), append(args, after.seq)
	}
	var seqs []int64
	err = s.db.read.NewRaw("SELECT seq FROM (SELECT tt.seq FROM ticket_texts AS tt WHERE "+strings.Join(conds, " AND ")+
		" OFFSET 0) AS m ORDER BY "+order+" LIMIT ?", append(args, f.Page.Size()+1)...).Scan(ctx, &seqs)
	return seqs, err
}

// seqAfter is the condition "after the cursor" on a seq column.
type seqAfter struct {
	cond string // "col < ?" or "col > ?"
	seq  int64
}

// where adds the condition to q; a nil seqAfter (first page) adds none.
func (a *seqAfter) where(q *bun.SelectQuery) *bun.SelectQuery {
	if a == nil {
		return q
	}
	return q.Where(a.cond, a.seq)
}

// seqOrder returns the ORDER BY of col for f's creation order, and the
// condition of the rows after cur (nil on the first page).
func seqOrder(f guichet.TicketFilter, cur cursor, col string) (*seqAfter, string, error) {
	op, order := "<", col+" DESC"
	if f.Sort == ticketsOldest {
		op, order = ">", col
	}
	if cur.Key == "" {
		return nil, order, nil
	}
	seq, err := strconv.ParseInt(cur.Key, 10, 64)
	if err != nil {
		return nil, "", badCursor()
	}
	return &seqAfter{cond: col + " " + op + " ?", seq: seq}, order, nil
}

// matchTickets restricts q to the tickets the index finds for
// terms[driver], whose documents hold the other terms too.
//
// On SQLite the IN list is built once and each of its rows is looked up
// by seq. On PostgreSQL ARRAY() is computed once, before the list is read
// (an IN subquery may be planned as a walk of the seq index that checks
// each row against it: the whole index, for a rare term).
func (s *Store) matchTickets(q *bun.SelectQuery, terms []string, driver int, est *searchEstimate) *bun.SelectQuery {
	if s.db.postgres {
		conds, args := s.pgMatch(terms, driver, est)
		return q.Where("ticket.seq = ANY (ARRAY(SELECT tt.seq FROM ticket_texts AS tt WHERE "+strings.Join(conds, " AND ")+"))", args...)
	}
	conds := []string{"tt.ticket_texts MATCH ?"}
	args := []any{ftsPrefix(terms[driver])}
	for i, t := range terms {
		if i != driver {
			conds = append(conds, s.hasToken("tt.tokens"))
			args = append(args, " "+t)
		}
	}
	return q.Where("ticket.seq IN (SELECT tt.rowid FROM ticket_texts AS tt WHERE "+strings.Join(conds, " AND ")+")", args...)
}

// pgDocumentMatches is "the document tt matches the tsquery argument",
// through the expression of the GIN index ticket_texts_tokens_idx
// (migration 0004), which it must repeat exactly for the index to serve.
const pgDocumentMatches = "array_to_tsvector(string_to_array(tt.tokens, ' ')) @@ CAST(? AS tsquery)"

// pgMatch is the condition on a document (tt) of PostgreSQL's index path:
// the index finds the driving term and those est.indexed admits; each
// match's document is checked for the others.
func (s *Store) pgMatch(terms []string, driver int, est *searchEstimate) ([]string, []any) {
	var query []string
	var conds []string
	var args []any
	for i, t := range terms {
		if est.indexed(i, driver) {
			query = append(query, tsPrefix(t))
		} else {
			conds = append(conds, s.hasToken("tt.tokens"))
			args = append(args, " "+t)
		}
	}
	conds = append([]string{pgDocumentMatches}, conds...)
	return conds, append([]any{strings.Join(query, " & ")}, args...)
}

// onPostgres reports whether db is a PostgreSQL handle.
func onPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// hasToken is the condition "the document col has a token starting with
// the argument", whose argument is the term after a space: tokens are
// separated by single spaces.
func (s *Store) hasToken(col string) string {
	if s.db.postgres {
		return "strpos(' ' || " + col + ", ?) > 0"
	}
	return "instr(' ' || " + col + ", ?) > 0"
}

// textKey is the column of ticket_texts that holds the ticket's seq.
func (s *Store) textKey(alias string) string {
	if s.db.postgres {
		return alias + ".seq"
	}
	return alias + ".rowid"
}

// ftsPrefix is the FTS5 query "a token starts with term": a string, so
// that no character of term is read as syntax, then '*'.
func ftsPrefix(term string) string {
	return `"` + strings.ReplaceAll(term, `"`, `""`) + `"*`
}

// tsPrefix is the tsquery "a lexeme starts with term", term quoted so that
// it is taken as it is.
func tsPrefix(term string) string {
	r := strings.NewReplacer(`'`, `''`, `\`, `\\`)
	return "'" + r.Replace(term) + "':*"
}
