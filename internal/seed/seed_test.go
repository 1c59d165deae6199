package seed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// apiTicket is what the tests read of a ticket.
type apiTicket struct {
	ID       string  `json:"id"`
	Number   string  `json:"number"`
	Subject  string  `json:"subject"`
	Category string  `json:"category"`
	Status   string  `json:"status"`
	State    string  `json:"state"`
	DueAt    *string `json:"due_at"`
	Overdue  bool    `json:"overdue"`
	Version  int     `json:"version"`
}

// TestSeededTicketsAreTicketsOfTheAPI seeds tickets around creates made
// through the API, then reads and moves them through the API.
func TestSeededTicketsAreTicketsOfTheAPI(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		ctx := context.Background()
		agents, err := Agents(ctx, env.Main.Store, 3)
		if err != nil {
			t.Fatal(err)
		}
		year := env.Clock.Now().In(paris).Year()
		number := func(n int) string { return fmt.Sprintf("T-%d-%06d", year, n) }

		first := seedN(t, env, 600, agents)
		wantRange(t, first, number(1), number(600))
		if got := create(t, env, "Avant la seconde passe").Number; got != number(601) {
			t.Errorf("create after seeding: number %s, want %s", got, number(601))
		}
		second := seedN(t, env, 400, agents)
		wantRange(t, second, number(602), number(1001))
		if got := create(t, env, "Après la seconde passe").Number; got != number(1002) {
			t.Errorf("create after seeding again: number %s, want %s", got, number(1002))
		}

		t.Run("ListSeesEveryTicketOnce", func(t *testing.T) {
			all := listAll(t, env, "")
			if len(all) != 1002 {
				t.Fatalf("GET /tickets lists %d tickets, want 1002", len(all))
			}
			seen := map[string]bool{}
			for i, tk := range all {
				if seen[tk.Number] {
					t.Fatalf("number %s twice", tk.Number)
				}
				seen[tk.Number] = true
				if want := number(1002 - i); tk.Number != want {
					t.Fatalf("item %d is %s, want %s (newest first)", i, tk.Number, want)
				}
			}
			if open := len(listAll(t, env, "&status=open")); open != first.Open+second.Open+2 {
				t.Errorf("%d open tickets listed, seeded %d + %d and created 2", open, first.Open, second.Open)
			}
		})
		t.Run("OverdueAndDueOrder", func(t *testing.T) {
			overdue := listAll(t, env, "&overdue=true")
			if len(overdue) == 0 {
				t.Fatal("no overdue ticket among the seeded ones")
			}
			for _, tk := range overdue {
				if tk.Status != "open" || !tk.Overdue {
					t.Fatalf("overdue=true lists %s: status %s, overdue %v", tk.Number, tk.Status, tk.Overdue)
				}
			}
			if due := listAll(t, env, "&sort=due"); len(due) < first.Clocks+second.Clocks {
				t.Errorf("sort=due lists %d tickets, want at least the %d with an open clock", len(due), first.Clocks+second.Clocks)
			}
		})
		t.Run("SeededBugReportTakesATransition", func(t *testing.T) { transition(t, env) })
		t.Run("SearchFindsNumberAndSubject", func(t *testing.T) {
			hits := search(t, env, number(123))
			if len(hits) != 1 || hits[0].Number != number(123) {
				t.Fatalf("q=%s found %v, want that ticket", number(123), hits)
			}
			word := strings.Fields(hits[0].Subject)[0]
			found := false
			for _, tk := range search(t, env, word+" "+number(123)[2:]) {
				found = found || tk.Number == number(123)
			}
			if !found {
				t.Errorf("q=%q does not find %s (%q)", word+" "+number(123)[2:], number(123), hits[0].Subject)
			}
		})
		t.Run("DocumentIsTheStores", func(t *testing.T) { sameDocument(t, env, year) })
	})
}

// seedN seeds n tickets created until the test server's now.
func seedN(t *testing.T, env *apitest.Env, n int, agents []string) Result {
	t.Helper()
	res, err := Tickets(context.Background(), env.Main.Store, Options{N: n, Batch: 128, Workers: 3,
		Now: env.Clock.Now(), Seed: uint64(n), Assignees: agents})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != n || res.Open == 0 || res.Open == n || res.Clocks == 0 || res.Clocks > res.Open {
		t.Fatalf("seeded %+v: want %d tickets, some open with clocks, some closed", res, n)
	}
	return res
}

func wantRange(t *testing.T, res Result, first, last string) {
	t.Helper()
	if res.First != first || res.Last != last {
		t.Errorf("seeded %s to %s, want %s to %s", res.First, res.Last, first, last)
	}
}

func create(t *testing.T, env *apitest.Env, subject string) apiTicket {
	t.Helper()
	var tk apiTicket
	env.Post(env.Admin, "/tickets", map[string]any{"subject": subject, "channel": "email", "category": "routine_request"}).
		Expect(t, http.StatusCreated).JSON(t, &tk)
	return tk
}

// listAll pages through GET /tickets with the extra parameters.
func listAll(t *testing.T, env *apitest.Env, extra string) []apiTicket {
	t.Helper()
	var all []apiTicket
	cursor := ""
	for {
		path := "/tickets?limit=200" + extra
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items      []apiTicket `json:"items"`
			NextCursor *string     `json:"next_cursor"`
		}
		env.Get(env.Admin, path).Expect(t, http.StatusOK).JSON(t, &page)
		all = append(all, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all
		}
		cursor = *page.NextCursor
	}
}

func search(t *testing.T, env *apitest.Env, q string) []apiTicket {
	t.Helper()
	var page struct {
		Items []apiTicket `json:"items"`
	}
	env.Get(env.Admin, "/tickets?q="+url.QueryEscape(q)).Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

// transition declares a bug on an open seeded bug report, as make bench
// does on created ones.
func transition(t *testing.T, env *apitest.Env) {
	var page struct {
		Items []apiTicket `json:"items"`
	}
	env.Get(env.Admin, "/tickets?status=open&category=bug_report&sort=created&limit=1").Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Items) == 0 {
		t.Fatal("no open seeded bug report")
	}
	tk := page.Items[0]
	if tk.State != "new" || tk.Version != 1 {
		t.Fatalf("seeded open bug report %s in state %s, version %d; want new, 1", tk.Number, tk.State, tk.Version)
	}
	var out apiTicket
	env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + tk.ID + "/transitions", Token: env.Admin,
		Body: map[string]any{"transition": "declare_bug"}, Headers: map[string]string{"If-Match": `"1"`}}).
		Expect(t, http.StatusOK).JSON(t, &out)
	if out.State != "bug_declared" || out.Version != 2 {
		t.Errorf("after declare_bug: state %s, version %d; want bug_declared, 2", out.State, out.Version)
	}
	var timeline struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	env.Get(env.Admin, "/tickets/"+tk.ID+"/timeline").Expect(t, http.StatusOK).JSON(t, &timeline)
	if len(timeline.Items) == 0 || timeline.Items[0].Kind != "created" {
		t.Errorf("timeline %+v: want the created event first", timeline.Items)
	}
}

// sameDocument checks that document gives what the store writes for a
// ticket created through the API: accents, case, repeats, a number-like
// word, a word longer than a token, a long description (the 200 KB
// bound is out of reach of a description's 100,000 characters).
func sameDocument(t *testing.T, env *apitest.Env, year int) {
	subject := "Écran BLANC après la mise à jour 2026 : écran blanc, ÉCRAN noir"
	description := "Bonjour,\n\nL'export « FEC » échoue (erreur n°42) ; " + strings.Repeat("é", 40) + "x et Œuvre d'art.\n\nCordialement,\nN'Diaye"
	var log strings.Builder
	for i := 0; log.Len() < 90_000; i++ {
		fmt.Fprintf(&log, " ligne%d", i)
	}
	description += log.String()
	var tk apiTicket
	env.Post(env.Admin, "/tickets", map[string]any{"subject": subject, "description": description, "channel": "phone",
		"category": "bug_report"}).Expect(t, http.StatusCreated).JSON(t, &tk)
	var n int64
	if _, err := fmt.Sscanf(tk.Number, fmt.Sprintf("T-%d-%%d", year), &n); err != nil {
		t.Fatalf("number %s: %v", tk.Number, err)
	}
	key := "rowid"
	if env.Main.DB.Postgres() {
		key = "seq"
	}
	var stored string
	err := env.Main.DB.Reader().NewSelect().Table("ticket_texts").Column("tokens").
		Where("? = ?", bun.Ident(key), int64(year)*seqPerYear+n).Scan(context.Background(), &stored)
	if err != nil {
		t.Fatal(err)
	}
	if got := document(tk.Number, subject, description); got != stored {
		t.Errorf("document:\n got %q\nwant %q (the store's)", got, stored)
	}
}
