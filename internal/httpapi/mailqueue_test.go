package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/testdb"
)

// queueTest is a mail test with the queue's cast: the responsible of the
// support@ queue (p.agent), its backup, a colleague, and their mailboxes.
type queueTest struct {
	*mailTest
	backupID, backup       string
	colleagueID, colleague string
	support, compta        string // shared mailboxes
}

func startQueueTest(t *testing.T, b testdb.Backend) *queueTest {
	t.Helper()
	env := apitest.Start(t, b)
	q := &queueTest{mailTest: &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}}
	q.backupID, q.backup = env.Agent("secours", "agent")
	q.colleagueID, q.colleague = env.Agent("collegue", "agent")
	q.support = q.box(t, q.p.manager, "support", map[string]any{"kind": "shared", "purpose": "support",
		"responsible_id": q.p.agentID, "backup_id": q.backupID, "auto_tickets": false})
	q.compta = q.box(t, q.p.manager, "compta", map[string]any{"kind": "shared", "purpose": "compta", "responsible_id": q.p.agentID})
	q.mustFetch(t, q.support)
	q.mustFetch(t, q.compta)
	return q
}

// « Un mail n'est enlevé de la file que quand il est complètement traité ;
// c'est la personne qui traite qui est en charge d'enlever le mail » and
// « on ne transfère pas les mails dans les boîtes perso ».
func TestMailQueue(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		q := startQueueTest(t, b)
		t.Run("LeavesTheQueueOnlyWhenProcessedByItsHolder", func(t *testing.T) { onlyHolderProcesses(t, q) })
		t.Run("NewTicketsOnePerSubjectReceivedWhenTheMailWas", func(t *testing.T) { newTickets(t, q) })
		t.Run("AttachmentsFollowTheMailIntoItsTickets", func(t *testing.T) { attachmentsFollow(t, q) })
		t.Run("JoiningAnotherClientsTicketIsRefused", func(t *testing.T) { joinTickets(t, q) })
		t.Run("KeepTheAutomaticTicketOrCloseWithAReason", func(t *testing.T) { keepOrClose(t, q) })
		t.Run("MoveToSharedQueueNeverToAPersonalMailbox", func(t *testing.T) { moveItem(t, q) })
		t.Run("PersonalItemsAreTheOwnersAloneDelegateCannotConvert", func(t *testing.T) { personalItems(t, q) })
		t.Run("ReassignedByTheResponsibleOrTheBackupDuringAbsence", func(t *testing.T) { reassign(t, q) })
	})
}

func onlyHolderProcesses(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	it := q.queueMail(t, p.agent, "support", q.support, "m.loubet@example.fr", "Relevé de charges faux")
	path := "/mail-items/" + it.ID
	got, etag := getItem(t, env, p.agent, it.ID)
	if got.Status != "new" || etag != `"1"` || got.Archive != nil || len(got.Tickets) != 0 {
		t.Fatalf("a fresh item: %+v, ETag %s", got, etag)
	}
	// If-Match is required, and must be current.
	env.Post(p.agent, path+"/claim", nil).Expect(t, http.StatusPreconditionRequired)
	ifMatchDo(env, http.MethodPost, p.agent, path+"/claim", `"7"`, nil).Expect(t, http.StatusPreconditionFailed)
	// Processing needs the claim first.
	pb := itemAction(t, env, p.agent, it.ID, "process", map[string]any{"close_reason": "Information"}).
		Expect(t, http.StatusConflict).Problem(t)
	if !strings.Contains(pb.Detail, "claim it first") {
		t.Fatalf("process without claim: %+v", pb)
	}
	itemAction(t, env, q.colleague, it.ID, "claim", nil).Expect(t, http.StatusOK)
	// Someone else holds it: claim names the holder; neither process nor release.
	pb = itemAction(t, env, q.backup, it.ID, "claim", nil).Expect(t, http.StatusConflict).Problem(t)
	if !strings.Contains(pb.Detail, "collegue") {
		t.Fatalf("the conflict does not name the holder: %+v", pb)
	}
	itemAction(t, env, q.backup, it.ID, "process", map[string]any{"close_reason": "Spam"}).Expect(t, http.StatusConflict)
	itemAction(t, env, q.backup, it.ID, "release", nil).Expect(t, http.StatusForbidden)
	if got, _ := getItem(t, env, p.agent, it.ID); got.Status != "claimed" || *got.ClaimedBy != q.colleagueID {
		t.Fatalf("refused actions changed the item: %+v", got)
	}
	// Exactly one way of processing.
	itemAction(t, env, q.colleague, it.ID, "process", map[string]any{"close_reason": "Spam", "keep_ticket": true}).
		Expect(t, http.StatusUnprocessableEntity)
	itemAction(t, env, q.colleague, it.ID, "process", map[string]any{}).Expect(t, http.StatusUnprocessableEntity)
	// The holder processes: the item is processed, still listed.
	done := itemAction(t, env, q.colleague, it.ID, "process", map[string]any{"close_reason": "Information seulement"}).
		Expect(t, http.StatusOK)
	var out queueItem
	done.JSON(t, &out)
	if out.Status != "processed" || out.ProcessedBy == nil || *out.ProcessedBy != q.colleagueID ||
		out.ProcessedReason == nil || *out.ProcessedReason != "Information seulement" || out.TicketID != nil {
		t.Fatalf("processed item: %+v", out)
	}
	if itemBySubject(t, q.items(t, p.agent, q.support, ""), "Relevé de charges faux").Status != "processed" {
		t.Fatal("a processed item stays listed with status processed")
	}
	for _, i := range q.items(t, p.agent, q.support, "&status=new") {
		if i.ID == it.ID {
			t.Fatal("status=new lists a processed item")
		}
	}
	itemAction(t, env, q.colleague, it.ID, "process", map[string]any{"close_reason": "Encore"}).Expect(t, http.StatusConflict)
	itemAction(t, env, q.colleague, it.ID, "release", nil).Expect(t, http.StatusConflict)
	itemAction(t, env, p.agent, it.ID, "claim", nil).Expect(t, http.StatusConflict)
	if n := countRows(t, env, "audit_events", "entity_type = 'mail_item' AND entity_id = ? AND action = 'process'", it.ID); n != 1 {
		t.Fatalf("%d audit entries for the processing", n)
	}
}

func newTickets(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	it := q.queueMail(t, p.agent, "support", q.support, "Paul Nouveau <paul@nouveau.example>", "Deux sujets")
	itemAction(t, env, p.agent, it.ID, "claim", nil).Expect(t, http.StatusOK)
	var out queueItem
	itemAction(t, env, p.agent, it.ID, "process", map[string]any{"new_tickets": []map[string]any{
		{"subject": "Charges de l'immeuble", "category": "accounting_question"},
		{"subject": "Fuite d'eau", "category": "routine_request", "description": "Au 3e étage."}}}).Expect(t, http.StatusOK).JSON(t, &out)
	if out.Status != "processed" || len(out.Tickets) != 2 || out.TicketID == nil || *out.TicketID != out.Tickets[0].TicketID {
		t.Fatalf("one ticket per subject: %+v", out)
	}
	var contact string
	for i, want := range []string{"Charges de l'immeuble", "Fuite d'eau"} {
		l := out.Tickets[i]
		if l.How != "opened" {
			t.Fatalf("link %d: %+v", i, l)
		}
		tk := env.Get(p.agent, "/tickets/"+l.TicketID).Expect(t, http.StatusOK).Map(t)
		if tk["subject"] != want || tk["channel"] != "email" || tk["contact_id"] == nil || tk["due_at"] == nil {
			t.Fatalf("ticket %d: %v", i, tk)
		}
		// The response clock starts when the mail was received.
		if at, _ := time.Parse(time.RFC3339Nano, tk["received_at"].(string)); !at.Equal(mustTime(t, it.ReceivedAt)) {
			t.Fatalf("ticket received at %v, the mail at %s", tk["received_at"], it.ReceivedAt)
		}
		if contact != "" && tk["contact_id"] != contact {
			t.Fatal("both tickets are the sender's")
		}
		contact = tk["contact_id"].(string)
	}
	var c struct {
		Email string `json:"email"`
	}
	env.Get(p.agent, "/contacts/"+contact).Expect(t, http.StatusOK).JSON(t, &c)
	if c.Email != "paul@nouveau.example" {
		t.Fatalf("the unknown sender became the tickets' contact: %+v", c)
	}
	// A reply to the mail now threads into the first ticket.
	if m := q.message(t, p.agent, it.MessageID); m.TicketID == nil || *m.TicketID != out.Tickets[0].TicketID {
		t.Fatalf("the mail points at its first ticket: %+v", m)
	}
}

func attachmentsFollow(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	q.deliver(t, "support", "INBOX", fixture(t, "thunderbird.eml"))
	q.mustFetch(t, q.support)
	it := itemBySubject(t, q.items(t, p.agent, q.support, "&status=new"), "Re: [T-2026-000124] Attestation de réception")
	itemAction(t, env, p.agent, it.ID, "claim", nil).Expect(t, http.StatusOK)
	var out queueItem
	itemAction(t, env, p.agent, it.ID, "process", map[string]any{"new_tickets": []map[string]any{
		{"subject": "Attestation de réception"}, {"subject": "Relevé de décembre"}}}).Expect(t, http.StatusOK).JSON(t, &out)
	for _, l := range out.Tickets {
		var list struct {
			Items []struct {
				Filename string `json:"filename"`
				SHA256   string `json:"sha256"`
			} `json:"items"`
		}
		env.Get(p.agent, "/tickets/"+l.TicketID+"/attachments").Expect(t, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 1 || !strings.HasSuffix(list.Items[0].Filename, ".pdf") || list.Items[0].SHA256 == "" {
			t.Fatalf("ticket %s attachments: %+v", l.Number, list.Items)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func joinTickets(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	other := env.Post(p.agent, "/contacts", map[string]any{"first_name": "Autre", "last_name": "CLIENT", "email": "autre@client.example"}).
		Expect(t, http.StatusCreated).Map(t)["id"].(string)
	theirs := createTicket(t, env, p.agent, map[string]any{"subject": "Dossier d'un autre", "channel": "phone",
		"category": "routine_request", "contact_id": other})
	mine := createTicket(t, env, p.agent, map[string]any{"subject": "Export FEC", "channel": "phone",
		"category": "routine_request", "contact_id": p.contactID})
	it := q.queueMail(t, p.agent, "support", q.support, "m.loubet@example.fr", "Précision sur mon export")
	itemAction(t, env, p.agent, it.ID, "claim", nil).Expect(t, http.StatusOK)
	pb := itemAction(t, env, p.agent, it.ID, "process", map[string]any{"ticket_ids": []string{mine.ID, theirs.ID}}).
		Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if !strings.Contains(pb.Detail, theirs.Number) {
		t.Fatalf("the refusal names the other client's ticket: %+v", pb)
	}
	if n := countRows(t, env, "ticket_events", "ticket_id = ? AND kind = 'client_message'", mine.ID); n != 0 {
		t.Fatal("a refused processing left a client message behind")
	}
	var out queueItem
	itemAction(t, env, p.agent, it.ID, "process", map[string]any{"ticket_ids": []string{mine.ID}, "note": "Même sujet"}).
		Expect(t, http.StatusOK).JSON(t, &out)
	if len(out.Tickets) != 1 || out.Tickets[0].How != "joined" || out.Tickets[0].Note != "Même sujet" || out.Tickets[0].Number != mine.Number {
		t.Fatalf("the link records how and why: %+v", out.Tickets)
	}
	var tl struct {
		Items []timelineEvent `json:"items"`
	}
	env.Get(p.agent, "/tickets/"+mine.ID+"/timeline").Expect(t, http.StatusOK).JSON(t, &tl)
	last := tl.Items[len(tl.Items)-1]
	if !strings.Contains(timelineKinds(tl.Items), "client_message") || last.Data["mail_item_id"] != it.ID {
		t.Fatalf("the mail joins the ticket as the client's message: %s %+v", timelineKinds(tl.Items), last)
	}
}

func keepOrClose(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	env.Patch(p.manager, "/mailboxes/"+q.support, `"`+mailboxVersion(t, env, p.manager, q.support)+`"`,
		map[string]any{"auto_tickets": true}).Expect(t, http.StatusOK)
	auto := q.queueMail(t, p.agent, "support", q.support, "m.loubet@example.fr", "Ouverture automatique")
	plain := q.queueMail(t, p.agent, "compta", q.compta, "m.loubet@example.fr", "Sans ticket")
	if auto.TicketID == nil || plain.TicketID != nil {
		t.Fatalf("auto %+v plain %+v", auto, plain)
	}
	for _, id := range []string{auto.ID, plain.ID} {
		itemAction(t, env, p.agent, id, "claim", nil).Expect(t, http.StatusOK)
	}
	itemAction(t, env, p.agent, plain.ID, "process", map[string]any{"keep_ticket": true}).Expect(t, http.StatusUnprocessableEntity)
	var out queueItem
	itemAction(t, env, p.agent, auto.ID, "process", map[string]any{"keep_ticket": true}).Expect(t, http.StatusOK).JSON(t, &out)
	if out.Status != "processed" || len(out.Tickets) != 1 || out.Tickets[0].How != "kept" || out.Tickets[0].TicketID != *auto.TicketID {
		t.Fatalf("kept ticket: %+v", out)
	}
	env.Patch(p.manager, "/mailboxes/"+q.support, `"`+mailboxVersion(t, env, p.manager, q.support)+`"`,
		map[string]any{"auto_tickets": false}).Expect(t, http.StatusOK)
}

func mailboxVersion(t *testing.T, env *apitest.Env, token, id string) string {
	t.Helper()
	return strings.Trim(env.Get(token, "/mailboxes/"+id).Expect(t, http.StatusOK).Header.Get("ETag"), `"`)
}

func moveItem(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	perso := createMailbox(t, env, p.agent, map[string]any{"kind": "personal", "name": "Perso", "address": "accueil@guichet.example"})
	it := q.queueMail(t, p.agent, "support", q.support, "m.loubet@example.fr", "Question de facture")
	itemAction(t, env, p.agent, it.ID, "claim", nil).Expect(t, http.StatusOK)
	itemAction(t, env, p.agent, it.ID, "move", map[string]any{"mailbox_id": perso.ID}).Expect(t, http.StatusUnprocessableEntity)
	itemAction(t, env, p.agent, it.ID, "move", map[string]any{"mailbox_id": q.support}).Expect(t, http.StatusConflict)
	var out queueItem
	itemAction(t, env, p.agent, it.ID, "move", map[string]any{"mailbox_id": q.compta}).Expect(t, http.StatusOK).JSON(t, &out)
	if out.MailboxID != q.compta || out.Status != "new" || out.ClaimedBy != nil {
		t.Fatalf("moved item: %+v", out)
	}
	if itemBySubject(t, q.items(t, p.agent, q.compta, ""), "Question de facture").ID != it.ID {
		t.Fatal("the item is not in compta@'s queue")
	}
	if n := len(q.items(t, p.agent, perso.ID, "")); n != 0 {
		t.Fatalf("%d items went to the personal mailbox", n)
	}
	// One mail in both queues: moving one item onto the other is a conflict.
	raw := eml("m.loubet@example.fr", "support@guichet.example", "Aux deux files", "both-q@client.example", "Bonjour.",
		"Cc: compta@guichet.example")
	q.deliver(t, "support", "INBOX", raw)
	q.deliver(t, "compta", "INBOX", raw)
	q.mustFetch(t, q.support)
	q.mustFetch(t, q.compta)
	both := itemBySubject(t, q.items(t, p.agent, q.support, ""), "Aux deux files")
	itemAction(t, env, p.agent, both.ID, "move", map[string]any{"mailbox_id": q.compta}).Expect(t, http.StatusConflict)
	itemAction(t, env, p.agent, both.ID, "move", map[string]any{"mailbox_id": "0193b2f0-7c1e-7a00-9000-0000000000ff"}).
		Expect(t, http.StatusUnprocessableEntity)
}

func personalItems(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	delegateID, delegate := env.Agent("delegue-file", "agent")
	id := q.box(t, p.supervisor, "perso-file", map[string]any{"kind": "personal", "delegate_id": delegateID, "ingestion_enabled": true})
	q.mustFetch(t, id)
	it := q.queueMail(t, p.supervisor, "perso-file", id, "m.loubet@example.fr", "Confidentiel")
	for _, token := range []string{env.Admin, p.manager, p.agent, delegate} {
		env.Get(token, "/mail-items/"+it.ID).Expect(t, http.StatusNotFound)
		ifMatchDo(env, http.MethodPost, token, "/mail-items/"+it.ID+"/claim", `"1"`, nil).Expect(t, http.StatusNotFound)
	}
	now := env.Clock.Now()
	env.Post(p.supervisor, "/agents/"+p.supervisorID+"/absences", map[string]any{"starts_at": now.Add(-time.Hour),
		"ends_at": now.Add(2 * time.Hour), "reason": "Congés"}).Expect(t, http.StatusCreated)
	// During the absence the delegate reads and may take it, not convert it.
	getItem(t, env, delegate, it.ID)
	itemAction(t, env, delegate, it.ID, "claim", nil).Expect(t, http.StatusOK)
	itemAction(t, env, delegate, it.ID, "process", map[string]any{"new_tickets": []map[string]any{{"subject": "Sujet"}}}).
		Expect(t, http.StatusForbidden)
	itemAction(t, env, delegate, it.ID, "move", map[string]any{"mailbox_id": q.support}).Expect(t, http.StatusForbidden)
	// The owner takes it back and converts it; nobody else may be given it.
	itemAction(t, env, p.supervisor, it.ID, "reassign", map[string]any{"agent_id": p.agentID}).Expect(t, http.StatusUnprocessableEntity)
	itemAction(t, env, p.supervisor, it.ID, "process", map[string]any{"close_reason": "Lu"}).Expect(t, http.StatusConflict)
	itemAction(t, env, p.supervisor, it.ID, "release", nil).Expect(t, http.StatusOK)
	itemAction(t, env, p.supervisor, it.ID, "claim", nil).Expect(t, http.StatusOK)
	var out queueItem
	itemAction(t, env, p.supervisor, it.ID, "process", map[string]any{"new_tickets": []map[string]any{{"subject": "Sujet confidentiel"}}}).
		Expect(t, http.StatusOK).JSON(t, &out)
	if out.Status != "processed" || len(out.Tickets) != 1 {
		t.Fatalf("the owner converts: %+v", out)
	}
	var trail struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	all := env.Get(env.Admin, "/audit-events?limit=200").Expect(t, http.StatusOK)
	if strings.Contains(string(all.Body), it.ID) {
		t.Fatal("a personal mailbox's queue shows in the general audit trail")
	}
	if n := countRows(t, env, "audit_events", "entity_id = ? AND visible_to = ?", it.ID, p.supervisorID); n < 4 {
		t.Fatalf("the item's %d audit entries are not the owner's", n)
	}
	env.Get(p.supervisor, "/mailboxes/"+id+"/audit-events?limit=200").Expect(t, http.StatusOK).JSON(t, &trail)
	read := false
	for _, e := range trail.Items {
		read = read || e.Action == "read_mail_item"
	}
	if !read {
		t.Fatalf("the delegate's read is not in the owner's trail: %+v", trail.Items)
	}
}

func reassign(t *testing.T, q *queueTest) {
	env, p := q.env, q.p
	it := q.queueMail(t, p.agent, "support", q.support, "m.loubet@example.fr", "À confier")
	body := map[string]any{"agent_id": q.colleagueID}
	// A plain agent, or the backup while the responsible is there: no.
	itemAction(t, env, q.colleague, it.ID, "reassign", body).Expect(t, http.StatusForbidden)
	itemAction(t, env, q.backup, it.ID, "reassign", body).Expect(t, http.StatusForbidden)
	before := len(queueNotifications(t, env, q.colleague, "assignment"))
	var out queueItem
	itemAction(t, env, p.agent, it.ID, "reassign", body).Expect(t, http.StatusOK).JSON(t, &out)
	if out.Status != "claimed" || *out.ClaimedBy != q.colleagueID {
		t.Fatalf("reassigned: %+v", out)
	}
	notes := queueNotifications(t, env, q.colleague, "assignment")
	if len(notes) != before+1 || !strings.Contains(notes[0].Message, "À confier") {
		t.Fatalf("the agent is told: %+v", notes)
	}
	// Unknown or inactive agents are refused.
	goneID, _ := env.Agent("parti", "agent")
	env.Patch(env.Admin, "/agents/"+goneID, `"1"`, map[string]any{"active": false}).Expect(t, http.StatusOK)
	itemAction(t, env, p.agent, it.ID, "reassign", map[string]any{"agent_id": goneID}).Expect(t, http.StatusUnprocessableEntity)
	itemAction(t, env, p.agent, it.ID, "reassign", map[string]any{"agent_id": "0193b2f0-7c1e-7a00-9000-0000000000ee"}).
		Expect(t, http.StatusUnprocessableEntity)
	// During the responsible's declared absence, the backup is in charge.
	now := env.Clock.Now()
	var abs struct {
		ID string `json:"id"`
	}
	env.Post(p.agent, "/agents/"+p.agentID+"/absences", map[string]any{"starts_at": now.Add(-time.Hour),
		"ends_at": now.Add(time.Hour), "reason": "Formation"}).Expect(t, http.StatusCreated).JSON(t, &abs)
	itemAction(t, env, q.backup, it.ID, "reassign", map[string]any{"agent_id": q.backupID}).Expect(t, http.StatusOK)
	itemAction(t, env, q.backup, it.ID, "release", nil).Expect(t, http.StatusOK)
	// A manager may reassign too.
	itemAction(t, env, p.manager, it.ID, "reassign", body).Expect(t, http.StatusOK)
	env.Delete(p.agent, "/agents/"+p.agentID+"/absences/"+abs.ID, "").Expect(t, http.StatusNoContent)
}
