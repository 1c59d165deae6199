package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// TestBooksFiltersAndPages checks each filter of the books against what
// was logged, and that pages walk newest first without gaps or repeats.
func TestBooksFiltersAndPages(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := receptionTeam(t, env)
		colleagueID, colleague := env.Agent("accueil2", "agent")
		other := postContact(t, env, p.agent, map[string]any{"last_name": "GRONDIN", "individual": true})
		intervenant := postIntervenant(t, env, p.agent, map[string]any{"name": "Étude Maître PAYET", "kind": "notaire"}).ID
		// One instant for every entry and filter: bounds computed at another
		// second would let an entry slip across them.
		now := time.Now().UTC().Truncate(time.Second)
		day := func(d int) time.Time { return now.Add(time.Duration(-d) * 24 * time.Hour) }
		type entry struct {
			book, token string
			body        map[string]any
		}
		entries := []entry{
			{"calls", p.agent, map[string]any{"occurred_at": day(5), "outcome": "answered", "contact_id": p.contactID}},
			{"calls", p.agent, map[string]any{"occurred_at": day(4), "outcome": "message_taken", "contact_id": other.ID}},
			{"calls", colleague, map[string]any{"occurred_at": day(3), "outcome": "oriented_elsewhere", "oriented_to": "CAF", "intervenant_id": intervenant}},
			{"calls", colleague, map[string]any{"occurred_at": day(2), "outcome": "transferred_to_supervisor", "transferred_to": p.supervisorID}},
			{"calls", p.agent, map[string]any{"occurred_at": day(1), "outcome": "answered", "contact_id": other.ID}},
			{"visits", p.agent, map[string]any{"occurred_at": day(3), "outcome": "answered", "contact_id": p.contactID, "intervenant_id": intervenant}},
			{"voicemails", colleague, map[string]any{"occurred_at": day(2), "contact_id": p.contactID}},
			{"letters", p.agent, map[string]any{"occurred_at": day(1), "contact_id": p.contactID}},
		}
		var logged []interaction
		for _, e := range entries {
			logged = append(logged, logEntry(t, env, e.token, e.book, e.body))
		}
		// want lists the logged entries that match, newest first.
		want := func(match func(i int, it interaction) bool) []string {
			var out []interaction
			for i, it := range logged {
				if match(i, it) {
					out = append(out, it)
				}
			}
			slices.SortStableFunc(out, func(a, b interaction) int {
				if c := strings.Compare(b.OccurredAt, a.OccurredAt); c != 0 {
					return c
				}
				return strings.Compare(b.ID, a.ID)
			})
			return ids(out)
		}
		isKind := func(k string) func(int, interaction) bool {
			return func(_ int, it interaction) bool { return it.Kind == k }
		}
		tests := []struct {
			name, book string
			q          url.Values
			match      func(int, interaction) bool
		}{
			{"EveryBookNewestFirst", "interactions", nil, func(int, interaction) bool { return true }},
			{"Calls", "calls", nil, isKind("call")},
			{"Period", "calls", url.Values{"from": {day(4).Format(time.RFC3339)}, "to": {day(2).Format(time.RFC3339)}},
				func(i int, it interaction) bool { return it.Kind == "call" && (i == 1 || i == 2) }},
			{"Agent", "interactions", url.Values{"agent_id": {colleagueID}}, func(i int, _ interaction) bool { return entries[i].token == colleague }},
			{"Outcome", "calls", url.Values{"outcome": {"answered"}}, func(i int, it interaction) bool { return it.Kind == "call" && it.Outcome == "answered" }},
			{"OutcomeEveryBook", "interactions", url.Values{"outcome": {"answered"}}, func(i int, it interaction) bool { return it.Outcome == "answered" }},
			{"Contact", "interactions", url.Values{"contact_id": {p.contactID}},
				func(_ int, it interaction) bool { return it.ContactID != nil && *it.ContactID == p.contactID }},
			{"Intervenant", "interactions", url.Values{"intervenant_id": {intervenant}}, func(i int, _ interaction) bool { return i == 2 || i == 5 }},
			{"Kind", "interactions", url.Values{"kind": {"visit"}}, isKind("visit")},
			{"UnconfirmedCallsOfAnAgent", "calls", url.Values{"unconfirmed": {"true"}, "agent_id": {p.agentID}},
				func(i int, it interaction) bool { return it.Kind == "call" && entries[i].token == p.agent }},
			{"LetterStatus", "letters", url.Values{"status": {"received"}}, isKind("letter")},
			{"NoLetterScanned", "letters", url.Values{"status": {"scanned"}}, func(int, interaction) bool { return false }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				expected := want(tt.match)
				for _, limit := range []string{"2", "200"} {
					q := url.Values{}
					for k, v := range tt.q {
						q[k] = v
					}
					q.Set("limit", limit)
					got := ids(walkBookPaged(t, env, p.agent, tt.book, q))
					if !slices.Equal(got, expected) {
						t.Fatalf("limit %s: got %v, want %v", limit, got, expected)
					}
				}
			})
		}
		t.Run("RefusedFilters", func(t *testing.T) {
			expectProblem(t, env.Get(p.agent, "/calls?cursor=abc"), http.StatusBadRequest, "validation")
			expectProblem(t, env.Get(p.agent, "/calls?outcome=perdu"), http.StatusBadRequest, "validation")
			expectProblem(t, env.Get(p.agent, "/calls?agent_id=accueil"), http.StatusBadRequest, "validation")
			q := url.Values{"from": {day(1).Format(time.RFC3339)}, "to": {day(2).Format(time.RFC3339)}}
			expectProblem(t, env.Get(p.agent, "/interactions?"+q.Encode()), http.StatusUnprocessableEntity, "invalid")
			// The books need reception:read.
			_, token := env.APIToken(p.agent, "tickets:read")
			expectProblem(t, env.Get(token, "/calls"), http.StatusForbidden, "forbidden")
		})
	})
}

// walkBookPaged walks a book with the query's own limit.
func walkBookPaged(t *testing.T, env *apitest.Env, token, book string, q url.Values) []interaction {
	t.Helper()
	var all []interaction
	for range 1000 {
		var p interactionPage
		env.Get(token, "/"+book+"?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		q.Set("cursor", *p.NextCursor)
	}
	t.Fatalf("walk %s: no last page", book)
	return nil
}

// TestReceptionBadInput: each refused entry gets a clear problem and
// writes nothing, neither the entry nor its contact nor its tickets.
func TestReceptionBadInput(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := receptionTeam(t, env)
		_, plainAgent := env.Agent("stagiaire", "agent")
		_ = plainAgent
		stagiaire := mustAgentID(t, env, "stagiaire")
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		caller := map[string]any{"name": "Inconnu", "phone": "0692 11 22 33"}
		newTicket := []map[string]any{{"subject": "Sujet", "category": "routine_request"}}
		tests := []struct {
			name, path string
			body       map[string]any
			status     int
			field      string
		}{
			{"FutureOccurredAt", "/calls", map[string]any{"occurred_at": future, "outcome": "answered", "identity": caller, "tickets": newTicket}, 422, "occurred_at"},
			{"UnknownOutcome", "/calls", map[string]any{"outcome": "perdu", "identity": caller}, 400, "outcome"},
			{"AVisitOutcomeForACall", "/calls", map[string]any{"outcome": "referred_to_supervisor", "transferred_to": p.supervisorID, "identity": caller}, 422, "outcome"},
			{"TransferredToNobody", "/calls", map[string]any{"outcome": "transferred_to_supervisor", "transferred_to": zeroUUID, "identity": caller, "tickets": newTicket}, 422, "transferred_to"},
			{"TransferredToAnAgent", "/calls", map[string]any{"outcome": "transferred_to_supervisor", "transferred_to": stagiaire, "identity": caller}, 422, "transferred_to"},
			{"TransferWithoutSupervisor", "/calls", map[string]any{"outcome": "transferred_to_supervisor", "identity": caller}, 422, "transferred_to"},
			{"OrientedNowhere", "/calls", map[string]any{"outcome": "oriented_elsewhere", "identity": caller}, 422, "oriented_to"},
			{"RegisteredLetterWithoutTrackingNumber", "/letters", map[string]any{"registered": true, "identity": caller}, 422, "tracking_number"},
			{"TicketThatDoesNotExist", "/calls", map[string]any{"outcome": "answered", "identity": caller, "tickets": newTicket, "ticket_ids": []string{zeroUUID}}, 422, "ticket_ids"},
			{"ContactThatDoesNotExist", "/visits", map[string]any{"outcome": "answered", "contact_id": zeroUUID}, 422, "contact_id"},
			{"AssigneeThatDoesNotExist", "/calls", map[string]any{"outcome": "answered", "identity": caller,
				"tickets": []map[string]any{{"subject": "Sujet", "category": "other"}, {"subject": "Autre", "category": "other", "assignee_id": zeroUUID}}}, 422, "tickets[1].assignee_id"},
			{"UnknownCategory", "/calls", map[string]any{"outcome": "answered", "tickets": []map[string]any{{"subject": "Sujet", "category": "divers"}}}, 400, "category"},
			{"AgentThatDoesNotExist", "/voicemails", map[string]any{"agent_id": zeroUUID, "identity": caller}, 422, "agent_id"},
			{"ConsultedBeforeLeft", "/voicemails", map[string]any{"occurred_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
				"consulted_at": time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339), "identity": caller}, 422, "consulted_at"},
			{"BadIdentityEmail", "/calls", map[string]any{"outcome": "answered", "identity": map[string]any{"name": "X", "email": "pas-un-email"}}, 400, "email"},
			{"UnknownField", "/visits", map[string]any{"outcome": "answered", "direction": "inbound"}, 400, "direction"},
			{"BailiffActWithoutType", "/bailiff-acts", map[string]any{"bailiff_name": "Me Hoarau"}, 400, "act_type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				token := p.agent
				if strings.HasPrefix(tt.path, "/bailiff-acts") {
					token = p.legal
				}
				before := countAll(t, env)
				r := env.Post(token, tt.path, tt.body)
				slug := map[int]string{400: "validation", 422: "invalid"}[tt.status]
				pr := expectProblem(t, r, tt.status, slug)
				if pr.Detail == "" || !fieldErrorMentions(pr, tt.field) {
					t.Fatalf("problem %+v, want a field error naming %q", pr, tt.field)
				}
				if after := countAll(t, env); after != before {
					t.Fatalf("a refused entry wrote: %+v then %+v", before, after)
				}
			})
		}
	})
}

func mustAgentID(t *testing.T, env *apitest.Env, username string) string {
	t.Helper()
	var page struct {
		Items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	env.Get(env.Admin, "/agents?limit=200").Expect(t, http.StatusOK).JSON(t, &page)
	for _, a := range page.Items {
		if a.Username == username {
			return a.ID
		}
	}
	t.Fatalf("no agent %s", username)
	return ""
}

// getCSV exports a book as CSV.
func getCSV(t *testing.T, env *apitest.Env, token, path string) *apitest.Response {
	t.Helper()
	return env.Do(apitest.Req{Method: http.MethodGet, Path: path, Token: token, Headers: map[string]string{"Accept": "text/csv"}}).
		Expect(t, http.StatusOK)
}

// readCSV parses an export, checking its BOM.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", body[:min(8, len(body))])
	}
	r := csv.NewReader(bytes.NewReader(body[3:]))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	return rows
}

// TestBookCSV checks the bytes of an export: spreadsheets must open the
// accents and must not run a cell as a formula.
func TestBookCSV(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := receptionTeam(t, env)
		logEntry(t, env, p.agent, "calls", map[string]any{"outcome": "answered", "reason": "-12.5", "notes": "+ cher",
			"identity": map[string]any{"name": "=SUM(A1)", "structure": "@x", "phone": "+33612345678"}})
		logEntry(t, env, p.agent, "calls", map[string]any{"outcome": "message_taken", "identity": map[string]any{"name": "Réception é"}})
		// The API trims what it stores; a tab or CR first can still come
		// from rows written otherwise (imports).
		at := time.Now().UTC().Add(-time.Hour)
		seed := seedCall{ID: uuid.Must(uuid.NewV7()).String(), Kind: "call", OccurredAt: at, AgentID: p.agentID, Reason: "\tx",
			Notes: "\rx", Direction: "inbound", Outcome: "answered", Version: 1, CreatedAt: at, UpdatedAt: at}
		if _, err := env.Main.DB.Writer().NewInsert().Model(&seed).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}

		r := getCSV(t, env, p.agent, "/calls")
		body := r.Body
		today := time.Now().In(mustParis(t)).Format("2006-01-02")
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("content type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename=calls-`+today+`.csv` {
			t.Fatalf("content disposition %q", cd)
		}
		checks := []struct {
			name string
			ok   bool
		}{
			{"BOM first", bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF})},
			{"é as C3 A9", bytes.Contains(body, []byte("R\xc3\xa9ception \xc3\xa9")) && bytes.Contains(body, []byte("T\xc3\xa9l\xc3\xa9phone"))},
			{"=SUM(A1) neutralised", bytes.Contains(body, []byte(";'=SUM(A1);")) &&
				bytes.Count(body, []byte("=SUM(A1)")) == bytes.Count(body, []byte("'=SUM(A1)"))},
			{"-12.5 untouched", bytes.Contains(body, []byte(";-12.5;"))},
			{"+33612345678 untouched", bytes.Contains(body, []byte(";+33612345678;"))},
			{"+ cher neutralised", bytes.Contains(body, []byte(";'+ cher;"))},
			{"@x neutralised", bytes.Contains(body, []byte(";'@x;"))},
			{"tab neutralised", bytes.Contains(body, []byte(";'\tx;"))},
			{"CR neutralised", bytes.Contains(body, []byte(";\"'\rx\";"))},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s:\n%q", c.name, body)
			}
		}
		rows := readCSV(t, body)
		if len(rows) != 4 || rows[0][0] != "Date" || rows[3][slices.Index(rows[0], "Motif")] != "'\tx" {
			t.Fatalf("rows %q", rows)
		}
		// Every book exports; a refused filter still answers a problem.
		for _, book := range []string{"voicemails", "visits", "letters", "bailiff-acts", "interactions"} {
			if rows := readCSV(t, getCSV(t, env, p.agent, "/"+book).Body); len(rows) < 1 || rows[0][0] != "Date" {
				t.Fatalf("%s: %q", book, rows)
			}
		}
		inverted := url.Values{"from": {time.Now().UTC().Format(time.RFC3339)}, "to": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}}
		r2 := env.Do(apitest.Req{Method: http.MethodGet, Path: "/calls?" + inverted.Encode(), Token: p.agent, Headers: map[string]string{"Accept": "text/csv"}})
		expectProblem(t, r2, http.StatusUnprocessableEntity, "invalid")
		// No page in an export: a cursor is ignored, the whole book comes.
		if rows := readCSV(t, getCSV(t, env, p.agent, "/calls?limit=1&cursor=nope").Body); len(rows) != 4 {
			t.Fatalf("an export with limit and cursor has %d rows", len(rows))
		}
		// JSON stays the default, and wins when preferred.
		for _, accept := range []string{"", "application/json", "application/json, text/csv;q=0.5", "*/*"} {
			r := env.Do(apitest.Req{Method: http.MethodGet, Path: "/calls", Token: p.agent, Headers: map[string]string{"Accept": accept}})
			if ct := r.Expect(t, http.StatusOK).Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Accept %q answered %q", accept, ct)
			}
		}
	})
}

func mustParis(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// seedCall is a call written straight to the table, for big books.
type seedCall struct {
	bun.BaseModel `bun:"table:interactions"`

	ID                string    `bun:"id,pk"`
	Kind              string    `bun:"kind"`
	OccurredAt        time.Time `bun:"occurred_at"`
	AgentID           string    `bun:"agent_id"`
	Reason            string    `bun:"reason"`
	Notes             string    `bun:"notes"`
	Direction         string    `bun:"direction"`
	Outcome           string    `bun:"outcome"`
	NeedsConfirmation bool      `bun:"needs_confirmation"`
	Unconfirmed       bool      `bun:"unconfirmed"`
	Version           int       `bun:"version"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
}

// TestBookCSVStreamsTheWholeBook exports more entries than one batch
// (500): every row, once, newest first, ties broken by id.
func TestBookCSVStreamsTheWholeBook(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		const n = 1200
		base := time.Now().UTC().Truncate(time.Second).Add(-48 * time.Hour)
		rows := make([]seedCall, n)
		for i := range rows {
			// Two calls a minute: same occurred_at in pairs.
			rows[i] = seedCall{ID: uuid.Must(uuid.NewV7()).String(), Kind: "call", OccurredAt: base.Add(time.Duration(i/2) * time.Minute),
				AgentID: p.agentID, Reason: "Appel " + strings.Repeat("é", i%3), Direction: "inbound", Outcome: "answered",
				NeedsConfirmation: true, Unconfirmed: true, Version: 1, CreatedAt: base, UpdatedAt: base}
		}
		if _, err := env.Main.DB.Writer().NewInsert().Model(&rows).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(rows, func(a, b seedCall) int {
			if c := b.OccurredAt.Compare(a.OccurredAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		want := make([]string, n)
		for i, r := range rows {
			want[i] = r.ID
		}
		got := readCSV(t, getCSV(t, env, p.agent, "/calls").Body)
		if len(got) != n+1 {
			t.Fatalf("%d rows, want %d and the header", len(got)-1, n)
		}
		idCol := slices.Index(got[0], "Identifiant")
		agentCol := slices.Index(got[0], "Agent")
		exported := make([]string, n)
		for i, row := range got[1:] {
			exported[i] = row[idCol]
			if row[agentCol] != "Accueil" {
				t.Fatalf("row %d agent %q", i, row[agentCol])
			}
		}
		if !slices.Equal(exported, want) {
			t.Fatal("the export is not every call, newest first")
		}
		// The JSON pages agree, across ties.
		if paged := ids(walkBookPaged(t, env, p.agent, "calls", url.Values{"limit": {"200"}})); !slices.Equal(paged, want) {
			t.Fatal("the pages are not every call, newest first")
		}
	})
}
