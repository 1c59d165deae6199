package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// reception is the team of the reception books: the procedure #46 team and
// a lawyer of the legal department.
type reception struct {
	people
	legal, legalID string
}

func receptionTeam(t *testing.T, env *apitest.Env) reception {
	t.Helper()
	r := reception{people: team(t, env)}
	r.legalID, r.legal = env.Agent("juriste", "legal")
	return r
}

// TestReceptionBooks plays the "procédure d'accueil" through HTTP: each
// book, tickets opened from a call, unknown callers, bailiff acts, and
// the written confirmation of oral exchanges.
func TestReceptionBooks(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := receptionTeam(t, env)
		t.Run("EachKindLoggedAndReadBack", func(t *testing.T) { eachKind(t, env, p) })
		t.Run("CallWithTwoSubjectsOpensTwoTickets", func(t *testing.T) { callWithTwoSubjects(t, env, p) })
		t.Run("UnknownCallerBecomesUnidentifiedContact", func(t *testing.T) { unknownCaller(t, env, p) })
		t.Run("BailiffActOnlyByTheLegalRole", func(t *testing.T) { bailiffAct(t, env, p) })
		t.Run("OralExchangeConfirmedInWriting", func(t *testing.T) { confirmation(t, env, p) })
	})
}

func eachKind(t *testing.T, env *apitest.Env, p reception) {
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	call := logEntry(t, env, p.agent, "calls", map[string]any{"occurred_at": at, "contact_id": p.contactID, "direction": "outbound",
		"reason": "Rappel au sujet du bail", "outcome": "oriented_elsewhere", "oriented_to": "ADIL de La Réunion"})
	if call.Kind != "call" || call.Direction != "outbound" || call.AgentID != p.agentID || call.NeedsConfirmation ||
		call.OrientedTo != "ADIL de La Réunion" || *call.ContactID != p.contactID {
		t.Fatalf("call %+v", call)
	}
	if got, _ := time.Parse(time.RFC3339, call.OccurredAt); !got.Equal(at) {
		t.Fatalf("occurred_at %s, want %s", call.OccurredAt, at)
	}
	vm := logEntry(t, env, p.agent, "voicemails", map[string]any{"occurred_at": at,
		"identity": map[string]any{"name": "M. GRONDIN", "phone": "0262 12 34 56"}, "reason": "Demande de rappel"})
	if vm.Kind != "voicemail" || vm.ConsultedBy != p.agentID || vm.Identity.Phone != "+262262123456" || vm.NeedsConfirmation {
		t.Fatalf("voicemail %+v", vm)
	}
	visit := logEntry(t, env, p.agent, "visits", map[string]any{"contact_id": p.contactID, "reason": "Remise de clefs",
		"outcome": "referred_to_supervisor", "referred_to": p.supervisorID})
	if !visit.WalkIn || visit.ReferredTo == nil || *visit.ReferredTo != p.supervisorID || !visit.NeedsConfirmation {
		t.Fatalf("visit %+v", visit)
	}
	start := env.Clock.Now().Add(time.Hour).Truncate(time.Minute)
	appointment := postAppointment(env, p.agent, map[string]any{"contact_id": p.contactID, "starts_at": start,
		"ends_at": start.Add(30 * time.Minute), "reason": "Remise des clefs"}).Expect(t, http.StatusCreated).Map(t)["id"].(string)
	byAppointment := logEntry(t, env, p.agent, "visits", map[string]any{"contact_id": p.contactID, "outcome": "answered", "appointment_id": appointment})
	if byAppointment.WalkIn || *byAppointment.AppointmentID != appointment {
		t.Fatalf("visit on appointment %+v", byAppointment)
	}
	letter := logEntry(t, env, p.agent, "letters", map[string]any{"identity": map[string]any{"name": "Syndic Les Flamboyants"}, "reason": "Appel de fonds"})
	if letter.Status != "received" || letter.Registered || letter.Scan != nil {
		t.Fatalf("letter %+v", letter)
	}
	act := logEntry(t, env, p.legal, "bailiff-acts", map[string]any{"act_type": "signification", "bailiff_name": "Me Hoarau", "contact_id": p.contactID})
	if act.Kind != "bailiff_act" || act.ActType != "signification" || act.Status != "received" {
		t.Fatalf("bailiff act %+v", act)
	}
	for book, it := range map[string]interaction{"calls": call, "voicemails": vm, "visits": visit, "letters": letter, "bailiff-acts": act} {
		var got interaction
		r := env.Get(p.agent, "/"+book+"/"+it.ID).Expect(t, http.StatusOK)
		r.JSON(t, &got)
		if got.ID != it.ID || got.Kind != it.Kind || r.Header.Get("ETag") != `"1"` {
			t.Fatalf("%s read back %+v", book, got)
		}
		var generic interaction
		env.Get(p.agent, "/interactions/"+it.ID).Expect(t, http.StatusOK).JSON(t, &generic)
		if generic.Kind != it.Kind {
			t.Fatalf("GET /interactions/%s kind %q", it.ID, generic.Kind)
		}
	}
	var generic interaction
	env.Get(p.agent, "/interactions/"+call.ID).Expect(t, http.StatusOK).JSON(t, &generic)
	if generic.Call["outcome"] != "oriented_elsewhere" || generic.Letter != nil {
		t.Fatalf("the generic view nests the kind's fields: %+v", generic)
	}
	// An entry of another book is not found in this one.
	expectProblem(t, env.Get(p.agent, "/calls/"+visit.ID), http.StatusNotFound, "not-found")
	expectProblem(t, env.Get(p.agent, "/letters/"+zeroUUID), http.StatusNotFound, "not-found")
}

func callWithTwoSubjects(t *testing.T, env *apitest.Env, p reception) {
	call := logEntry(t, env, p.agent, "calls", map[string]any{"contact_id": p.contactID, "reason": "Fuite d'eau et relevé de charges",
		"outcome": "answered", "tickets": []map[string]any{
			{"subject": "Fuite d'eau au 3e étage", "category": "routine_request", "urgency": "high"},
			{"subject": "Question sur le relevé de charges", "category": "accounting_question", "file_reference": "DOS-2026-0042"}}})
	if len(call.Tickets) != 2 || !call.Tickets[0].Opened || !call.Tickets[1].Opened {
		t.Fatalf("tickets %+v", call.Tickets)
	}
	for i, ref := range call.Tickets {
		tk := getTicket(t, env, p.agent, ref.TicketID)
		if tk.Number != ref.Number || tk.Channel != "phone" || tk.ContactID == nil || *tk.ContactID != p.contactID {
			t.Fatalf("ticket %d: %+v", i, tk)
		}
		events := timeline(t, env, p.agent, tk.ID)
		k := slices.IndexFunc(events, func(e timelineEvent) bool { return e.Kind == "interaction" })
		if k < 0 || events[k].Data["interaction_id"] != call.ID || events[k].Internal ||
			events[k].Body != "Appel : Fuite d'eau et relevé de charges" || events[k].Data["opened"] != true {
			t.Fatalf("ticket %s timeline %+v", tk.Number, events)
		}
	}
	// A later call about the first subject links its ticket.
	again := logEntry(t, env, p.agent, "calls", map[string]any{"contact_id": p.contactID, "outcome": "message_taken",
		"ticket_ids": []string{call.Tickets[0].TicketID}})
	if len(again.Tickets) != 1 || again.Tickets[0].Opened || again.Tickets[0].Number != call.Tickets[0].Number {
		t.Fatalf("linked %+v", again.Tickets)
	}
	events := timeline(t, env, p.agent, call.Tickets[0].TicketID)
	if n := countKind(events, "interaction"); n != 2 {
		t.Fatalf("%d interaction events, want 2", n)
	}
	// Opening tickets needs tickets:write.
	_, token := env.APIToken(p.agent, "reception:write")
	before := countAll(t, env)
	expectProblem(t, env.Post(token, "/calls", map[string]any{"outcome": "answered",
		"tickets": []map[string]any{{"subject": "x", "category": "other"}}}), http.StatusForbidden, "forbidden")
	logEntry(t, env, token, "calls", map[string]any{"outcome": "answered", "reason": "sans ticket"})
	if after := countAll(t, env); after.tickets != before.tickets || after.interactions != before.interactions+1 {
		t.Fatalf("counts %+v then %+v", before, after)
	}
}

func countKind(events []timelineEvent, kind string) int {
	n := 0
	for _, e := range events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func unknownCaller(t *testing.T, env *apitest.Env, p reception) {
	before := countContacts(t, env)
	call := logEntry(t, env, p.agent, "calls", map[string]any{"outcome": "message_taken", "reason": "Problème de badge",
		"identity": map[string]any{"name": "Jean-Paul Técher", "structure": "SARL Técher Bâtiment", "phone": "06 92 12 34 56", "email": "JP@Techer.re"},
		"tickets":  []map[string]any{{"subject": "Badge d'accès défectueux", "category": "routine_request"}}})
	if call.ContactID == nil {
		t.Fatal("no contact for the unknown caller")
	}
	var c contact
	env.Get(p.agent, "/contacts/"+*call.ContactID).Expect(t, http.StatusOK).JSON(t, &c)
	if !c.Unidentified || c.LastName != "Jean-Paul Técher" || c.Phone != "+262692123456" || c.Email != "jp@techer.re" ||
		c.Notes == nil || *c.Notes != "Structure : SARL Técher Bâtiment" {
		t.Fatalf("contact %+v", c)
	}
	if n := countContacts(t, env); n != before+1 {
		t.Fatalf("%d contacts, want %d", n, before+1)
	}
	tk := getTicket(t, env, p.agent, call.Tickets[0].TicketID)
	if tk.ContactID == nil || *tk.ContactID != c.ID {
		t.Fatalf("the ticket's contact %v, want the new one", tk.ContactID)
	}
	var unidentified contactPage
	env.Get(p.agent, "/contacts?unidentified=true").Expect(t, http.StatusOK).JSON(t, &unidentified)
	if !slices.Contains(contactIDs(unidentified.Items), c.ID) {
		t.Fatal("the caller is not listed among unidentified contacts")
	}
	var audit auditPage
	env.Get(env.Admin, "/audit-events?entity_type=contact&entity_id="+c.ID).Expect(t, http.StatusOK).JSON(t, &audit)
	if len(audit.Items) != 1 || audit.Items[0].Action != "create" {
		t.Fatalf("contact audit %+v", audit.Items)
	}
	// A structure alone identifies nobody: no contact.
	anon := logEntry(t, env, p.agent, "calls", map[string]any{"outcome": "oriented_elsewhere", "oriented_to": "CAF",
		"identity": map[string]any{"structure": "Agence immobilière"}})
	if anon.ContactID != nil || countContacts(t, env) != before+1 {
		t.Fatalf("a structure alone made a contact: %+v", anon)
	}
}

func bailiffAct(t *testing.T, env *apitest.Env, p reception) {
	body := map[string]any{"act_type": "assignation", "bailiff_name": "Me Hoarau", "bailiff_office": "SCP Hoarau & Payet",
		"contact_id": p.contactID, "deadline": time.Now().Add(21 * 24 * time.Hour).UTC().Format(time.RFC3339)}
	for _, who := range []string{p.agent, p.supervisor, p.manager, env.Admin} {
		before := countAll(t, env)
		expectProblem(t, env.Post(who, "/bailiff-acts", body), http.StatusForbidden, "forbidden")
		if after := countAll(t, env); after != before {
			t.Fatalf("a refused bailiff act wrote: %+v then %+v", before, after)
		}
	}
	act := logEntry(t, env, p.legal, "bailiff-acts", body)
	if act.AgentID != p.legalID || act.ActType != "assignation" {
		t.Fatalf("act %+v", act)
	}
	// Logged on behalf of an agent who is not a lawyer: refused too.
	body["agent_id"] = p.agentID
	expectProblem(t, env.Post(p.legal, "/bailiff-acts", body), http.StatusUnprocessableEntity, "invalid")
	// Its scan and processing are the legal role's too.
	expectProblem(t, putScan(env, p.agent, "/bailiff-acts/"+act.ID, act.etag(), scan(1024)), http.StatusForbidden, "forbidden")
	var scanned interaction
	putScan(env, p.legal, "/bailiff-acts/"+act.ID, act.etag(), scan(1024)).Expect(t, http.StatusOK).JSON(t, &scanned)
	var processed interaction
	ifMatchDo(env, http.MethodPost, p.legal, "/bailiff-acts/"+act.ID+"/processing", scanned.etag(), map[string]any{
		"tickets": []map[string]any{{"subject": "Assignation devant le tribunal judiciaire", "category": "bailiff_act"}}}).
		Expect(t, http.StatusOK).JSON(t, &processed)
	tk := getTicket(t, env, p.legal, processed.Tickets[0].TicketID)
	if processed.Status != "processed" || tk.Channel != "letter" || tk.Category != "bailiff_act" || tk.DueAt == nil {
		t.Fatalf("processed act %+v, ticket %+v", processed, tk)
	}
	// Anyone reads the book.
	acts := walkBook(t, env, p.agent, "bailiff-acts", nil)
	if !slices.Contains(ids(acts), act.ID) {
		t.Fatal("the act is not in its book")
	}
}

func confirmation(t *testing.T, env *apitest.Env, p reception) {
	colleagueID, colleague := env.Agent("accueil2", "agent")
	tk := createTicket(t, env, p.agent, map[string]any{"subject": "Travaux de plomberie", "channel": "phone", "category": "routine_request"})
	keys := logEntry(t, env, p.agent, "visits", map[string]any{"contact_id": p.contactID, "reason": "Remise d'une clef à l'artisan",
		"outcome": "answered", "ticket_ids": []string{tk.ID}})
	insurance := logEntry(t, env, colleague, "calls", map[string]any{"reason": "Réception assurance", "outcome": "answered"})
	oriented := logEntry(t, env, colleague, "calls", map[string]any{"outcome": "oriented_elsewhere", "oriented_to": "Mairie"})

	unconfirmed := func(q url.Values) []string {
		q.Set("unconfirmed", "true")
		return ids(walkBook(t, env, p.agent, "interactions", q))
	}
	mine := unconfirmed(url.Values{"agent_id": {p.agentID}})
	theirs := unconfirmed(url.Values{"agent_id": {colleagueID}})
	all := unconfirmed(url.Values{})
	if !slices.Contains(mine, keys.ID) || slices.Contains(mine, insurance.ID) || !slices.Equal(theirs, []string{insurance.ID}) ||
		!slices.Contains(all, keys.ID) || !slices.Contains(all, insurance.ID) || slices.Contains(all, oriented.ID) {
		t.Fatalf("unconfirmed: mine %v, theirs %v, all %v", mine, theirs, all)
	}
	if calls := ids(walkBook(t, env, p.agent, "calls", url.Values{"unconfirmed": {"true"}})); !slices.Contains(calls, insurance.ID) || slices.Contains(calls, keys.ID) {
		t.Fatalf("unconfirmed calls %v", calls)
	}

	// "sur le ticket existant correspondant (remise d'une clef à un artisan)"
	text := "Clef remise à l'artisan ce jour, contre signature."
	var done interaction
	env.Post(p.agent, "/interactions/"+keys.ID+"/confirmation", map[string]any{"ticket_id": tk.ID, "text": text}).
		Expect(t, http.StatusOK).JSON(t, &done)
	if done.Confirmation == nil || done.Confirmation.Text != text || *done.Confirmation.TicketID != tk.ID || done.Version != 2 {
		t.Fatalf("confirmation %+v", done.Confirmation)
	}
	events := timeline(t, env, p.agent, tk.ID)
	k := slices.IndexFunc(events, func(e timelineEvent) bool { return e.Kind == "oral_confirmation" })
	if k < 0 || events[k].Body != text || events[k].Internal || events[k].Data["interaction_id"] != keys.ID {
		t.Fatalf("timeline %+v", events)
	}
	// "sur les évènementiels du logiciel de gestion (réception assurance)"
	env.Post(colleague, "/interactions/"+insurance.ID+"/confirmation", map[string]any{"text": "Déclaration reçue de l'assurance."}).
		Expect(t, http.StatusOK).JSON(t, &done)
	if done.Confirmation == nil || done.Confirmation.TicketID != nil {
		t.Fatalf("event confirmation %+v", done.Confirmation)
	}
	if left := unconfirmed(url.Values{}); slices.Contains(left, keys.ID) || slices.Contains(left, insurance.ID) {
		t.Fatalf("confirmed ones still listed: %v", left)
	}
	if confirmed := ids(walkBook(t, env, p.agent, "visits", url.Values{"unconfirmed": {"false"}})); !slices.Contains(confirmed, keys.ID) {
		t.Fatal("a confirmed visit is not listed with unconfirmed=false")
	}

	expectProblem(t, env.Post(p.agent, "/interactions/"+keys.ID+"/confirmation", map[string]any{"text": "encore"}), http.StatusConflict, "conflict")
	expectProblem(t, env.Post(p.agent, "/interactions/"+oriented.ID+"/confirmation", map[string]any{"text": "x"}), http.StatusUnprocessableEntity, "invalid")
	expectProblem(t, env.Post(p.agent, "/interactions/"+zeroUUID+"/confirmation", map[string]any{"text": "x"}), http.StatusNotFound, "not-found")
	// A ticket that does not exist: 422, the call stays unconfirmed, no event anywhere.
	pending := logEntry(t, env, p.agent, "calls", map[string]any{"outcome": "answered"})
	p422 := expectProblem(t, env.Post(p.agent, "/interactions/"+pending.ID+"/confirmation", map[string]any{"ticket_id": zeroUUID, "text": "x"}),
		http.StatusUnprocessableEntity, "invalid")
	if !fieldErrorMentions(p422, "ticket_id") || !slices.Contains(unconfirmed(url.Values{}), pending.ID) {
		t.Fatalf("problem %+v", p422)
	}
}
