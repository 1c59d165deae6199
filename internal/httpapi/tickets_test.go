package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

func TestTickets(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("NumbersArePerParisYearAndUniqueUnderConcurrentCreates", func(t *testing.T) { concurrentNumbers(t, env, p) })
		t.Run("ConcurrentTransitionsExactlyOneWins", func(t *testing.T) { concurrentTransitions(t, env, p) })
		t.Run("RegisteredLetterNeedsRegisteredReply", func(t *testing.T) { registeredLetter(t, env, p) })
		t.Run("CalendarChangeMovesAnOpenTicketsDueDate", func(t *testing.T) { calendarChange(t, env, p) })
		t.Run("NewProcedureVersionWithoutCodeChange", func(t *testing.T) { newProcedureVersion(t, env, p) })
		t.Run("InternalNotesHiddenFromTokensWithoutTheScope", func(t *testing.T) { internalNotes(t, env, p) })
		t.Run("BadInputIsRefusedAndNothingWritten", func(t *testing.T) { badTicketInput(t, env, p) })
	})
}

var numberFormat = regexp.MustCompile(`^T-\d{4}-\d{6}$`)

func concurrentNumbers(t *testing.T, env *apitest.Env, p people) {
	const n = 24
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.Post(p.agent, "/tickets", map[string]any{"subject": fmt.Sprintf("Appel %d", i), "channel": "phone", "category": "routine_request"})
			if r.Status == http.StatusCreated {
				numbers[i] = r.Map(t)["number"].(string)
			}
		}()
	}
	wg.Wait()
	year := fmt.Sprint(env.Clock.Now().In(paris(t)).Year())
	seen := map[string]bool{}
	for _, num := range numbers {
		if !numberFormat.MatchString(num) || num[2:6] != year || seen[num] {
			t.Fatalf("numbers %v: %q is malformed, of another year or repeated", numbers, num)
		}
		seen[num] = true
	}
}

func paris(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func concurrentTransitions(t *testing.T, env *apitest.Env, p people) {
	tk := newBug(t, env, p, "Deux agents en même temps")
	statuses := make([]int, 8)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = transition(env, p.agent, tk, "declare_bug", nil).Status
		}()
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusPreconditionFailed:
		default:
			t.Fatalf("statuses %v", statuses)
		}
	}
	if won != 1 {
		t.Fatalf("%d transitions won, want exactly 1: %v", won, statuses)
	}
	transitions := 0
	for _, e := range timeline(t, env, p.agent, tk.ID) {
		if e.Kind == "transition" {
			transitions++
		}
	}
	if transitions != 1 {
		t.Fatalf("%d transition events", transitions)
	}
}

// "En cas de réception d'une demande en recommandé, la réponse doit être
// envoyée en recommandée également."
func registeredLetter(t *testing.T, env *apitest.Env, p people) {
	tk := createTicket(t, env, p.agent, map[string]any{"subject": "Contestation de charges", "channel": "registered_letter",
		"category": "routine_request", "contact_id": p.contactID, "file_reference": "DOS-2026-0077", "tracking_number": "1A00000000001"})
	if !tk.AwaitingRegisteredReply || tk.DueAt == nil {
		t.Fatalf("registered letter: awaiting %v due %v", tk.AwaitingRegisteredReply, tk.DueAt)
	}
	// An email reply accompanies it but does not answer it.
	env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "email", "body": "Nous avons bien reçu votre courrier."}).Expect(t, http.StatusCreated)
	tk = getTicket(t, env, p.agent, tk.ID)
	if !tk.AwaitingRegisteredReply || tk.DueAt == nil {
		t.Fatalf("after an email: awaiting %v due %v", tk.AwaitingRegisteredReply, tk.DueAt)
	}
	problem := transition(env, p.agent, tk, "answer_and_close", map[string]any{"message": "Réponse"}).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if !slices.Contains(fieldsOf(problem), "registered_reply") {
		t.Fatalf("closing an unanswered registered letter: %v", fieldsOf(problem))
	}
	// A registered reply needs its tracking number and the file reference.
	env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "registered_letter", "body": "Réponse", "file_reference": "DOS-2026-0077"}).Expect(t, http.StatusUnprocessableEntity)
	p2 := env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "registered_letter", "body": "Réponse", "tracking_number": "1A00000000002"}).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if !slices.Contains(fieldsOf(p2), "file_reference") {
		t.Fatalf("a letter without the file reference: %v", fieldsOf(p2))
	}
	var scanned attachment
	uploadMultipart(env, p.agent, tk.ID, "reponse.pdf", scan(1024), "?direction=outgoing").Expect(t, http.StatusCreated).JSON(t, &scanned)
	var reply timelineEvent
	env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "registered_letter", "body": "Réponse point par point.",
		"tracking_number": "1A00000000002", "file_reference": "DOS-2026-0077", "attachment_ids": []string{scanned.ID}}).Expect(t, http.StatusCreated).JSON(t, &reply)
	if reply.Data["tracking_number"] != "1A00000000002" || reply.Data["channel"] != "registered_letter" || reply.Data["sent_at"] == nil {
		t.Fatalf("reply data %v", reply.Data)
	}
	tk = getTicket(t, env, p.agent, tk.ID)
	if tk.AwaitingRegisteredReply || tk.DueAt != nil {
		t.Fatalf("after the registered reply: awaiting %v due %v", tk.AwaitingRegisteredReply, tk.DueAt)
	}
	mustTransition(t, env, p.agent, tk, "answer_and_close", map[string]any{"message": "Réponse envoyée en recommandé."})
}

// A letter received on a Friday evening starts at Monday's opening and is
// due three business days later; closing two of those days moves it.
func calendarChange(t *testing.T, env *apitest.Env, p people) {
	friday := "2026-11-13T18:30:00+01:00"
	tk := createTicket(t, env, p.agent, map[string]any{"subject": "Courrier du vendredi", "channel": "letter",
		"category": "routine_request", "received_at": friday})
	if tk.DueAt == nil || *tk.DueAt != "2026-11-19T08:00:00Z" {
		t.Fatalf("due %v, want Thursday 19 November 09:00 Paris", tk.DueAt)
	}
	cal := env.Get(env.Admin, "/settings/calendar").Expect(t, http.StatusOK)
	var body map[string]any
	cal.JSON(t, &body)
	update := map[string]any{"week": body["week"], "closures": []map[string]any{{"from": "2026-11-17", "to": "2026-11-18", "name": "Inventaire"}}}
	put := func(token, etag string) *apitest.Response {
		return env.Do(apitest.Req{Method: http.MethodPut, Path: "/settings/calendar", Token: token, Body: update, Headers: map[string]string{"If-Match": etag}})
	}
	put(p.agent, cal.Header.Get("ETag")).Expect(t, http.StatusForbidden)
	put(env.Admin, `"999"`).Expect(t, http.StatusPreconditionFailed)
	var out struct {
		RecomputedClocks int `json:"recomputed_clocks"`
	}
	put(p.manager, cal.Header.Get("ETag")).Expect(t, http.StatusOK).JSON(t, &out)
	if out.RecomputedClocks < 1 {
		t.Fatalf("recomputed %d clocks", out.RecomputedClocks)
	}
	tk = getTicket(t, env, p.agent, tk.ID)
	if tk.DueAt == nil || *tk.DueAt != "2026-11-23T08:00:00Z" {
		t.Fatalf("due after the closure %v, want Monday 23 November 09:00 Paris", tk.DueAt)
	}
	bad := map[string]any{"week": map[string]any{"monday": []map[string]any{{"from": "17:00", "to": "09:00"}},
		"tuesday": []any{}, "wednesday": []any{}, "thursday": []any{}, "friday": []any{}, "saturday": []any{}, "sunday": []any{}}}
	env.Do(apitest.Req{Method: http.MethodPut, Path: "/settings/calendar", Token: p.manager, Body: bad,
		Headers: map[string]string{"If-Match": `"2"`}}).Expect(t, http.StatusUnprocessableEntity)
}

func newProcedureVersion(t *testing.T, env *apitest.Env, p people) {
	old := createTicket(t, env, p.agent, map[string]any{"subject": "Avant la nouvelle version", "channel": "phone", "category": "other"})
	var current struct {
		Definition map[string]any `json:"definition"`
	}
	env.Get(p.agent, "/procedures/assistance/versions/09-2025").Expect(t, http.StatusOK).JSON(t, &current)
	def := current.Definition
	def["version"] = "12-2026"
	def["states"] = append(def["states"].([]any), map[string]any{"name": "callback_scheduled", "title": "Rappel programmé"})
	def["transitions"] = append(def["transitions"].([]any),
		map[string]any{"name": "schedule_callback", "title": "Programmer un rappel", "from": []string{"new"}, "to": "callback_scheduled"},
		map[string]any{"name": "callback_done", "title": "Rappel fait", "from": []string{"callback_scheduled"}, "to": "closed"})
	body := map[string]any{"change_note": "Ajout du rappel programmé", "definition": def}
	env.Post(p.agent, "/procedures", body).Expect(t, http.StatusForbidden)
	env.Post(p.supervisor, "/procedures", body).Expect(t, http.StatusCreated)
	env.Post(p.supervisor, "/procedures", body).Expect(t, http.StatusConflict)
	env.Post(p.agent, "/procedures/assistance/versions/12-2026/approvals", map[string]any{"comment": "Lu et approuvé"}).Expect(t, http.StatusCreated)
	env.Post(p.agent, "/procedures/assistance/versions/12-2026/approvals", map[string]any{}).Expect(t, http.StatusConflict)
	env.Post(p.supervisor, "/procedures/assistance/versions/12-2026/publish", nil).Expect(t, http.StatusForbidden)
	env.Post(p.manager, "/procedures/assistance/versions/12-2026/publish", nil).Expect(t, http.StatusOK)

	fresh := createTicket(t, env, p.agent, map[string]any{"subject": "Après la nouvelle version", "channel": "phone", "category": "other"})
	if fresh.Procedure.Version != "12-2026" || old.Procedure.Version != "09-2025" {
		t.Fatalf("versions: old %s fresh %s", old.Procedure.Version, fresh.Procedure.Version)
	}
	if slices.Contains(availableTransitions(t, env, p.agent, old.ID), "schedule_callback") {
		t.Fatal("a ticket on the old version is offered the new transition")
	}
	transition(env, p.agent, old, "schedule_callback", nil).Expect(t, http.StatusUnprocessableEntity)
	fresh = mustTransition(t, env, p.agent, fresh, "schedule_callback", nil)
	fresh = mustTransition(t, env, p.agent, fresh, "callback_done", nil)
	if fresh.Status != "closed" {
		t.Fatalf("new version ticket: %s", fresh.Status)
	}
	var version struct {
		Status    string `json:"status"`
		Approvals []any  `json:"approvals"`
	}
	env.Get(p.agent, "/procedures/assistance/versions/09-2025").Expect(t, http.StatusOK).JSON(t, &version)
	if version.Status != "retired" {
		t.Fatalf("old version %s", version.Status)
	}

	broken := map[string]any{"change_note": "Cassée", "definition": map[string]any{"code": "assistance", "version": "13-2026",
		"title": "Cassée", "initial_state": "new",
		"states": []map[string]any{{"name": "new", "title": "Nouveau"}, {"name": "orphan", "title": "Orpheline"}, {"name": "closed", "title": "Clos", "final": true}},
		"transitions": []map[string]any{
			{"name": "close", "title": "Clore", "from": []string{"new"}, "to": "closed", "guards": []map[string]any{{"kind": "telepathy"}}},
			{"name": "lost", "title": "Perdue", "from": []string{"new"}, "to": "nowhere"}}}}
	problem := env.Post(p.supervisor, "/procedures", broken).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	for _, f := range []string{"definition.transitions[0].guards[0].kind", "definition.transitions[1].to", "definition.states[1]"} {
		if !slices.Contains(fieldsOf(problem), f) {
			t.Fatalf("broken definition: %v lacks %s", fieldsOf(problem), f)
		}
	}
	env.Get(p.agent, "/procedures/assistance/versions/13-2026").Expect(t, http.StatusNotFound)
}

func internalNotes(t *testing.T, env *apitest.Env, p people) {
	tk := newBug(t, env, p, "Note interne")
	env.Post(p.agent, "/tickets/"+tk.ID+"/notes", map[string]any{"body": "Client difficile, rester factuel."}).Expect(t, http.StatusCreated)
	_, plain := env.APIToken(p.agent, "tickets:read")
	_, internal := env.APIToken(p.agent, "tickets:read", "tickets:internal")
	count := func(token string) int {
		n := 0
		for _, e := range timeline(t, env, token, tk.ID) {
			if e.Internal {
				n++
			}
		}
		return n
	}
	if count(p.agent) != 1 || count(internal) != 1 || count(plain) != 0 {
		t.Fatalf("internal notes seen: session %d, scoped token %d, plain token %d", count(p.agent), count(internal), count(plain))
	}
	env.Post(plain, "/tickets/"+tk.ID+"/notes", map[string]any{"body": "x"}).Expect(t, http.StatusForbidden)
}

func badTicketInput(t *testing.T, env *apitest.Env, p people) {
	future := env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"ReceivedInTheFuture", map[string]any{"subject": "x", "channel": "letter", "category": "other", "received_at": future}, 422, "received_at"},
		{"UnknownCategory", map[string]any{"subject": "x", "channel": "letter", "category": "gossip"}, 400, ""},
		{"UnknownContact", map[string]any{"subject": "x", "channel": "letter", "category": "other", "contact_id": "0193b2f0-7c1e-7a00-9000-0000000000d9"}, 422, "contact_id"},
		{"UnknownAssignee", map[string]any{"subject": "x", "channel": "letter", "category": "other", "assignee_id": "0193b2f0-7c1e-7a00-9000-0000000000a9"}, 422, "assignee_id"},
		{"LinkToUnknownTicket", map[string]any{"subject": "x", "channel": "letter", "category": "other", "links": []map[string]any{{"ticket_id": "T-2026-999999"}}}, 422, "links"},
	}
	var before struct {
		Items []any `json:"items"`
	}
	env.Get(p.agent, "/tickets?limit=200").Expect(t, http.StatusOK).JSON(t, &before)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Post(p.agent, "/tickets", c.body).Expect(t, c.status)
			if c.field != "" && !slices.Contains(fieldsOf(r.Problem(t)), c.field) {
				t.Fatalf("fields %v, want %s", fieldsOf(r.Problem(t)), c.field)
			}
		})
	}
	var after struct {
		Items []any `json:"items"`
	}
	env.Get(p.agent, "/tickets?limit=200").Expect(t, http.StatusOK).JSON(t, &after)
	if len(after.Items) != len(before.Items) {
		t.Fatalf("refused creates wrote %d tickets", len(after.Items)-len(before.Items))
	}
	tk := newBug(t, env, p, "ETags")
	r := env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + tk.ID + "/transitions", Token: p.agent, Body: map[string]any{"transition": "declare_bug"}})
	r.Expect(t, http.StatusPreconditionRequired)
	stale := tk
	stale.Version = 99
	transition(env, p.agent, stale, "declare_bug", nil).Expect(t, http.StatusPreconditionFailed)
	unknown := transition(env, p.agent, tk, "teleport", nil).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if !slices.Contains(fieldsOf(unknown), "transition") {
		t.Fatalf("unknown transition: %v", fieldsOf(unknown))
	}
	env.Patch(p.agent, "/tickets/"+tk.ID, tk.etag(), map[string]any{"subject": ""}).Expect(t, http.StatusBadRequest)
	env.Get(p.agent, "/tickets/T-1999-000001").Expect(t, http.StatusNotFound)
	env.Get(p.agent, "/tickets/not-a-ticket").Expect(t, http.StatusNotFound)
	var full ticket
	env.Get(p.agent, "/tickets/"+tk.Number).Expect(t, http.StatusOK).JSON(t, &full)
	if full.ID != tk.ID {
		t.Fatal("read by number")
	}
}
