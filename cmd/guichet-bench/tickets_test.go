package main

import (
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/seed"
	"github.com/guichet/guichet/internal/textsearch"
)

// A word search must find the ticket whose subject it was taken from:
// each of its words starts a word of that subject, accents and case
// aside, as GET /tickets?q= matches.
func TestTicketQueriesMatchTheirSubjects(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{searchPrefix, searchTwoWords} {
		for i := range 300 {
			// The query is drawn from the generator's next subject: a twin
			// generator tells which subject that was.
			g, twin := seed.NewGenerator(uint64(i)), seed.NewGenerator(uint64(i))
			q := ticketQuery(g, kind, numbers{})
			subject := twin.Next().Subject
			for len(subjectWords(subject)) < 2 {
				subject = twin.Next().Subject
			}
			tokens := textsearch.Words(subject)
			terms := textsearch.Words(q)
			if len(terms) == 0 || (kind == searchTwoWords && len(terms) != 2) {
				t.Fatalf("%s query %q has terms %q", kind, q, terms)
			}
			for _, term := range terms {
				if !hasPrefixed(tokens, term) {
					t.Errorf("%s query %q: %q starts no word of %q", kind, q, term, subject)
				}
			}
		}
	}
}

func TestNumberQueriesStayInTheRange(t *testing.T) {
	t.Parallel()
	g := seed.NewGenerator(1)
	full := regexp.MustCompile(`^(T-)?2026-(\d{6,})$`)
	for range 500 {
		q := ticketQuery(g, searchNumber, numbers{year: 2026, low: 5, top: 1_000_000})
		m := full.FindStringSubmatch(q)
		if m == nil {
			t.Fatalf("number query %q", q)
		}
		if n := strings.TrimLeft(m[2], "0"); len(n) > 7 || n == "" || (len(n) == 7 && n != "1000000") {
			t.Fatalf("number query %q out of 5…1000000", q)
		}
	}
}

func TestSubjectWordsLeaveOutShortAndStopWords(t *testing.T) {
	t.Parallel()
	got := subjectWords("Demande de duplicata pour le lot 12 : Écran blanc sur l'export FEC")
	want := "duplicata|lot|écran|blanc|export|fec"
	if strings.Join(got, "|") != want {
		t.Errorf("subjectWords = %q, want %q", got, want)
	}
}

func TestListQueriesCoverEveryKind(t *testing.T) {
	t.Parallel()
	tr := &ticketRunner{agents: []string{"0193b2f0-7c1e-7a00-9000-000000000001"}}
	rng := rand.New(rand.NewPCG(1, 1))
	second := []string{"status=open&limit=50&cursor=abc"}
	seen := map[string]bool{}
	for range 500 {
		kind, q := tr.listQuery(rng, second)
		seen[kind] = true
		v, err := url.ParseQuery(q)
		if err != nil || v.Get("limit") != "50" {
			t.Fatalf("%s: query %q", kind, q)
		}
		want := map[string]string{listOpen: "status", listOpenCategory: "category", listAssignee: "assignee_id",
			listOverdue: "overdue", listByDue: "sort", listPage2: "cursor"}[kind]
		if v.Get(want) == "" {
			t.Errorf("%s query %q has no %s", kind, q, want)
		}
	}
	for _, kind := range listKinds {
		if !seen[kind] {
			t.Errorf("no %s list in 500", kind)
		}
	}
	// Without agents nor second pages, those kinds fall back to open.
	bare := &ticketRunner{}
	for range 200 {
		if kind, _ := bare.listQuery(rng, nil); kind == listAssignee || kind == listPage2 {
			t.Fatalf("kind %s without agents nor cursors", kind)
		}
	}
}

func TestRoutePatternHidesIDs(t *testing.T) {
	t.Parallel()
	got := routePattern("/tickets/0193b2f0-7c1e-7a00-9000-0000000000e1/transitions")
	if got != "/tickets/{id}/transitions" {
		t.Errorf("routePattern = %q", got)
	}
}

func TestLineWriterEmitsWholeLines(t *testing.T) {
	t.Parallel()
	var lines []string
	w := &lineWriter{emit: func(l string) { lines = append(lines, l) }}
	for _, chunk := range []string{"seed-tickets: 1", "00/1000\n\nseeded 1000", " tickets\n"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(lines, "|") != "seed-tickets: 100/1000|seeded 1000 tickets" || w.last != "seeded 1000 tickets" {
		t.Errorf("lines %q, last %q", lines, w.last)
	}
}

func TestParseFlagsPhasesAndTickets(t *testing.T) {
	t.Parallel()
	env := func(string) string { return "" }
	opts, err := parseFlags([]string{"-phases", "tickets", "-tickets", "5000", "-backends", "sqlite"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.phases["tickets"] || opts.phases["contacts"] || opts.tickets != 5000 {
		t.Errorf("phases %v, tickets %d", opts.phases, opts.tickets)
	}
	if opts, _ := parseFlags(nil, env); !opts.phases["contacts"] || !opts.phases["tickets"] || opts.tickets != 1_000_000 {
		t.Errorf("defaults: phases %v, tickets %d; want both groups and 1,000,000", opts.phases, opts.tickets)
	}
	for _, bad := range [][]string{{"-phases", "contact"}, {"-tickets", "-1"}} {
		if _, err := parseFlags(bad, env); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
