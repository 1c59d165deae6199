package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/loadgen"
	"github.com/guichet/guichet/internal/seed"
)

// benchCategories are the categories of the tickets created over HTTP.
var benchCategories = []guichet.Category{guichet.CategoryBugReport, guichet.CategoryAccountingQuestion,
	guichet.CategoryFeatureQuestion, guichet.CategoryRoutineRequest}

// Transition kinds: a fresh bug report is declared a bug, then its
// elements are complete.
const (
	transitionDeclare  = "declare_bug"
	transitionComplete = "elements_complete"
)

var transitionKinds = []string{transitionDeclare, transitionComplete}

// Ticket list kinds, in report order.
const (
	listOpen         = "open"
	listOpenCategory = "open+category"
	listAssignee     = "assignee"
	listOverdue      = "overdue"
	listByDue        = "by due"
	listPage2        = "page 2"
)

var listKinds = []string{listOpen, listOpenCategory, listAssignee, listOverdue, listByDue, listPage2}

// Ticket search kinds, in report order.
const (
	searchPrefix   = "word prefix"
	searchTwoWords = "two words"
	searchNumber   = "number"
)

var ticketSearchKinds = []string{searchPrefix, searchTwoWords, searchNumber}

// ticketPageSize is the page size of the lists and searches (the API's
// default).
const ticketPageSize = 50

// errNoTicket is a transition op that found no ticket to move: the
// phase ran out of the bug reports created for it.
var errNoTicket = errors.New("no fresh bug_report ticket left for a transition")

// ticketRef is a ticket and its version, for If-Match.
type ticketRef struct {
	ID      string
	Version int
}

// ticketRunner runs the ticket phases against one server.
type ticketRunner struct {
	r       *phaseRunner
	agents  []string // ids tickets are assigned to and listed by
	log     func(format string, args ...any)
	created atomic.Int64 // tickets created over HTTP, warm-ups included

	mu       sync.Mutex
	fresh    []ticketRef // bug reports in their initial state "new"
	declared []ticketRef // bug reports after declare_bug
	turn     int
}

// newTicketRunner lists the agents to assign tickets to: the seeded
// ones when there are, else every active agent.
func newTicketRunner(ctx context.Context, r *phaseRunner, log func(string, ...any)) (*ticketRunner, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	all, err := r.api.listAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	tr := &ticketRunner{r: r, log: log}
	for _, a := range all {
		if strings.HasPrefix(a.Username, "seed-agent-") {
			tr.agents = append(tr.agents, a.ID)
		}
	}
	if len(tr.agents) == 0 {
		for _, a := range all {
			tr.agents = append(tr.agents, a.ID)
		}
	}
	return tr, nil
}

// createOp creates one ticket per call, of the categories (benchCategories
// when none): half assigned, two in five with a contact created before.
// Bug reports are kept for the transitions.
func (tr *ticketRunner) createOp(workers int, salt uint64, cats ...guichet.Category) loadgen.Op {
	if len(cats) == 0 {
		cats = benchCategories
	}
	gens := make([]*seed.Generator, workers)
	for i := range gens {
		gens[i] = seed.NewGenerator(salt<<16+uint64(i), cats...)
	}
	return func(ctx context.Context, worker int) (string, error) {
		g := gens[worker]
		t, rng := g.Next(), g.Rand()
		body := ticketCreate{Subject: t.Subject, Description: t.Description, Channel: string(t.Channel),
			Category: string(t.Category), Urgency: string(t.Urgency), FileReference: t.FileReference}
		if len(tr.agents) > 0 && rng.IntN(2) == 0 {
			body.AssigneeID = tr.agents[rng.IntN(len(tr.agents))]
		}
		if rng.IntN(5) < 2 {
			body.ContactID = tr.r.someContact(rng)
		}
		out, err := tr.r.api.createTicket(ctx, body)
		if err != nil {
			return "", err
		}
		tr.created.Add(1)
		if out.Category == string(guichet.CategoryBugReport) && out.State == "new" {
			tr.mu.Lock()
			tr.fresh = append(tr.fresh, ticketRef{out.ID, out.Version})
			tr.mu.Unlock()
		}
		return "", nil
	}
}

// create measures ticket creation at n concurrent clients.
func (tr *ticketRunner) create(ctx context.Context, n int) *phase {
	return newPhase(n, loadgen.Run(ctx, tr.r.window(n), tr.createOp(n, 100+uint64(n))))
}

// transition measures transitions at loadClients clients, each on a bug
// report created before and never moved: declare_bug on a fresh one, or
// elements_complete on one declared in this phase. Only the transition
// request is timed; bug reports are first created (untimed) so that
// about twice as many as the phase can use are waiting.
func (tr *ticketRunner) transition(ctx context.Context, createRate float64) (all *phase, byKind map[string]*phase) {
	if createRate <= 0 {
		createRate = 2000
	}
	want := int(createRate*(tr.r.opts.warmup+tr.r.opts.duration).Seconds()) + 1000
	tr.mu.Lock()
	missing := want - len(tr.fresh)
	tr.mu.Unlock()
	if missing > 0 {
		start := time.Now()
		res := loadgen.RunCount(ctx, loadgen.Count{Workers: loadClients, N: missing, Timeout: tr.r.opts.seedTimeout,
			MaxErrors: max(100, missing/10)}, tr.createOp(loadClients, 999, guichet.CategoryBugReport))
		tr.log("%-11s created %d more bug reports to move in %.1f s (%d errors)", "", res.All.OK,
			time.Since(start).Seconds(), res.All.Failed)
	}
	res := loadgen.Run(ctx, tr.r.window(loadClients), func(ctx context.Context, worker int) (string, error) {
		ref, kind := tr.nextTransition()
		if ref.ID == "" {
			time.Sleep(10 * time.Millisecond) // no busy loop when the tickets run out
			return kind, errNoTicket
		}
		t, err := tr.r.api.applyTransition(ctx, ref.ID, ref.Version, kind)
		if err == nil && kind == transitionDeclare {
			tr.mu.Lock()
			tr.declared = append(tr.declared, ticketRef{t.ID, t.Version})
			tr.mu.Unlock()
		}
		return kind, err
	})
	return kindPhases(res, transitionKinds, nil)
}

// nextTransition takes a ticket to move and the transition to apply:
// every other call completes a declared bug when there is one.
func (tr *ticketRunner) nextTransition() (ticketRef, string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.turn++
	if len(tr.declared) > 0 && (tr.turn%2 == 0 || len(tr.fresh) == 0) {
		ref := tr.declared[0]
		tr.declared = tr.declared[1:]
		return ref, transitionComplete
	}
	if len(tr.fresh) == 0 {
		return ticketRef{}, transitionDeclare
	}
	ref := tr.fresh[0]
	tr.fresh = tr.fresh[1:]
	return ref, transitionDeclare
}

// list measures a mix of filtered lists at loadClients clients.
func (tr *ticketRunner) list(ctx context.Context) (all *phase, byKind map[string]*phase) {
	second := tr.secondPages(ctx)
	rngs := workerRands(loadClients, 4000)
	var hits hitCounter
	res := loadgen.Run(ctx, tr.r.window(loadClients), func(ctx context.Context, worker int) (string, error) {
		kind, q := tr.listQuery(rngs[worker], second)
		page, err := tr.r.api.listTickets(ctx, q)
		if err == nil {
			hits.add(kind, len(page.Items))
		}
		return kind, err
	})
	return kindPhases(res, listKinds, &hits)
}

// listQuery returns the query of a list of a random kind; second holds
// the queries of second pages.
func (tr *ticketRunner) listQuery(rng *rand.Rand, second []string) (kind, query string) {
	kind = listKinds[rng.IntN(len(listKinds))]
	if kind == listPage2 && len(second) > 0 {
		return kind, second[rng.IntN(len(second))]
	}
	if kind == listPage2 || (kind == listAssignee && len(tr.agents) == 0) {
		kind = listOpen
	}
	return kind, tr.firstPage(kind, rng)
}

// firstPage is the query of the first page of a list of kind.
func (tr *ticketRunner) firstPage(kind string, rng *rand.Rand) string {
	v := url.Values{"limit": {strconv.Itoa(ticketPageSize)}}
	switch kind {
	case listOpen:
		v.Set("status", "open")
	case listOpenCategory:
		v.Set("status", "open")
		v.Set("category", string(benchCategories[rng.IntN(len(benchCategories))]))
	case listAssignee:
		v.Set("assignee_id", tr.agents[rng.IntN(len(tr.agents))])
	case listOverdue:
		v.Set("overdue", "true")
	case listByDue:
		v.Set("sort", "due")
	}
	return v.Encode()
}

// secondPages fetches first pages of the other kinds and returns queries
// of their second pages (untimed).
func (tr *ticketRunner) secondPages(ctx context.Context) []string {
	rng := rand.New(rand.NewPCG(5000, 1))
	var out []string
	for i := 0; i < 40 && ctx.Err() == nil; i++ {
		kind := listKinds[i%(len(listKinds)-1)]
		if kind == listAssignee && len(tr.agents) == 0 {
			continue
		}
		q := tr.firstPage(kind, rng)
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		page, err := tr.r.api.listTickets(rctx, q)
		cancel()
		if err == nil && page.NextCursor != nil {
			out = append(out, q+"&cursor="+url.QueryEscape(*page.NextCursor))
		}
	}
	return out
}

// search measures a mix of full-text searches at loadClients clients. A
// server that refuses q (4xx) fails the requests, not the benchmark.
func (tr *ticketRunner) search(ctx context.Context) (all *phase, byKind map[string]*phase) {
	numbers, err := tr.numberRange(ctx)
	if err != nil {
		tr.log("%-11s ticket numbers unknown (%v): number searches make them up", "", err)
	}
	gens := make([]*seed.Generator, loadClients)
	for i := range gens {
		gens[i] = seed.NewGenerator(6000+uint64(i), benchCategories...)
	}
	var hits hitCounter
	res := loadgen.Run(ctx, tr.r.window(loadClients), func(ctx context.Context, worker int) (string, error) {
		g := gens[worker]
		kind := ticketSearchKinds[g.Rand().IntN(len(ticketSearchKinds))]
		q := ticketQuery(g, kind, numbers)
		page, err := tr.r.api.listTickets(ctx, url.Values{"q": {q}, "limit": {strconv.Itoa(ticketPageSize)}}.Encode())
		if err == nil {
			hits.add(kind, len(page.Items))
		}
		return kind, err
	})
	return kindPhases(res, ticketSearchKinds, &hits)
}

// numbers is the range of ticket numbers of one year.
type numbers struct {
	year     int
	low, top int64
}

var numberPattern = regexp.MustCompile(`^T-(\d{4})-(\d+)$`)

// numberRange reads the oldest and the newest ticket's numbers; when the
// years differ, the range is the newest's year from 1.
func (tr *ticketRunner) numberRange(ctx context.Context) (numbers, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*requestTimeout)
	defer cancel()
	var ends [2]numbers
	for i, q := range []string{"sort=created&limit=1", "limit=1"} {
		page, err := tr.r.api.listTickets(ctx, q)
		if err != nil {
			return numbers{}, err
		}
		if len(page.Items) == 0 {
			return numbers{}, errors.New("no tickets")
		}
		m := numberPattern.FindStringSubmatch(page.Items[0].Number)
		if m == nil {
			return numbers{}, fmt.Errorf("unexpected ticket number %q", page.Items[0].Number)
		}
		ends[i].year, _ = strconv.Atoi(m[1])
		ends[i].low, _ = strconv.ParseInt(m[2], 10, 64)
	}
	n := numbers{year: ends[1].year, low: ends[0].low, top: ends[1].low}
	if ends[0].year != ends[1].year {
		n.low = 1
	}
	return n, nil
}

// ticketQuery returns a search of kind a user could type: the start of a
// word of a subject ("quitt", "regul"), two words of one ("export
// fec"), or a ticket number ("T-2026-000123", "2026-000123").
func ticketQuery(g *seed.Generator, kind string, n numbers) string {
	rng := g.Rand()
	if kind == searchNumber {
		if n.top == 0 {
			n = numbers{year: time.Now().Year(), low: 1, top: 1000}
		}
		q := fmt.Sprintf("T-%d-%06d", n.year, n.low+rng.Int64N(n.top-n.low+1))
		if rng.IntN(2) == 0 {
			q = q[2:]
		}
		return q
	}
	words := subjectWords(g.Next().Subject)
	for len(words) < 2 {
		words = subjectWords(g.Next().Subject)
	}
	if kind == searchPrefix {
		w := words[rng.IntN(len(words))]
		if rng.IntN(2) == 0 {
			w = mailWord(w) // typed without accents
		}
		return prefix(w, 3+rng.IntN(3))
	}
	i := rng.IntN(len(words) - 1)
	j := i + 1 + rng.IntN(len(words)-i-1)
	return words[i] + " " + words[j]
}

// stopWords are left out of queries: nobody searches for them.
var stopWords = map[string]bool{"les": true, "des": true, "sur": true, "pour": true, "dans": true, "avec": true,
	"une": true, "est": true, "aux": true, "par": true, "comment": true, "demande": true, "question": true}

// subjectWords returns the lower-cased words of three letters or more
// of a subject, stop words left out.
func subjectWords(subject string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(subject), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if utf8.RuneCountInString(w) >= 3 && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// kindPhases reports a mixed run: the whole and one phase per kind.
// hits, when not nil, counts results per query.
func kindPhases(res loadgen.Result, kinds []string, hits *hitCounter) (*phase, map[string]*phase) {
	all := newPhase(loadClients, res)
	byKind := map[string]*phase{}
	for _, kind := range kinds {
		byKind[kind] = newKindPhase(loadClients, res, kind)
	}
	if hits != nil {
		all.HitsPerQuery = hits.mean("")
		for _, kind := range kinds {
			byKind[kind].HitsPerQuery = hits.mean(kind)
		}
	}
	return all, byKind
}

// workerRands returns one random source per worker.
func workerRands(n int, salt uint64) []*rand.Rand {
	out := make([]*rand.Rand, n)
	for i := range out {
		out[i] = rand.New(rand.NewPCG(salt, uint64(i)))
	}
	return out
}

// rateOf is a phase's throughput, 0 when it did not run.
func rateOf(p *phase) float64 {
	if p == nil {
		return 0
	}
	return p.PerSecond
}
