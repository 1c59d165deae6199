package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// Outgoing mail (issue 5): agents' replies by SMTP, sent once, copied to
// the Sent folder and recognised there; failures recorded.
func TestOutgoingReplies(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ot := newOutTest(t, b)
		t.Run("ReplySentOnceAcrossA4xxAndASecondRunThreadedWithNumberAndReference", func(t *testing.T) { replySentOnce(t, ot) })
		t.Run("PermanentFailureRecordedOnTimelineAndToTheAuthor", func(t *testing.T) { replyPermanentFailure(t, ot) })
		t.Run("BadRepliesRefusedWithNothingWritten", func(t *testing.T) { badReplies(t, ot) })
		t.Run("ForwardNeverIntoAPersonalMailbox", func(t *testing.T) { forwards(t, ot) })
	})
}

func replySentOnce(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	tk := ot.clientTicket(t, "Export FEC en erreur", "fec-out-1@example.fr")
	tk = getTicket(t, env, p.agent, tk.ID)
	env.Patch(p.agent, "/tickets/"+tk.ID, tk.etag(), map[string]any{"file_reference": "DOS-2026-0042"}).Expect(t, http.StatusOK)
	if tk.DueAt == nil {
		t.Fatal("the client's mail started no response clock")
	}
	ot.smtp.FailNext(1, 451)
	req := func() *apitest.Response {
		return postWithKey(env, p.agent, "/tickets/"+tk.ID+"/email-replies", "reply-fec-1",
			map[string]any{"text": "Bonjour,\n\nL'export FEC est corrigé.\n\nCordialement", "cc": []string{"comptable@example.fr"}})
	}
	var queued outgoingMail
	req().Expect(t, http.StatusAccepted).JSON(t, &queued)
	if queued.Kind != "reply" || queued.Status != "queued" || len(queued.Recipients) != 2 {
		t.Fatalf("the queued reply: %+v", queued)
	}
	// The first attempt meets the 451 and goes back to the queue; run the
	// job's work again at once rather than wait for River's backoff.
	deadline := time.Now().Add(20 * time.Second)
	for m := ot.outgoingByID(t, tk.ID, queued.ID); m.Attempts == 0 || m.Status == "sending"; m = ot.outgoingByID(t, tk.ID, queued.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("the first attempt never ran: %+v", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := env.Main.Sender.Send(context.Background(), queued.ID, false); err != nil {
		t.Fatal(err)
	}
	sent := ot.waitStatus(t, tk.ID, queued.ID, "sent")
	// The job running again (River's retry, a duplicate job) sends nothing.
	for range 2 {
		if err := env.Main.Sender.Send(context.Background(), queued.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	var again outgoingMail
	req().Expect(t, http.StatusAccepted).JSON(t, &again)
	if again.ID != queued.ID {
		t.Fatal("a retried POST with the same Idempotency-Key queued a second mail")
	}
	msgs := sentTo(ot.smtp, "m.loubet@example.fr")
	if len(msgs) != 1 || sent.Attempts != 2 || sent.LastError != nil {
		t.Fatalf("%d messages on the server, outgoing %+v; want one, after two attempts", len(msgs), sent)
	}
	m := parseMail(t, msgs[0].Data)
	h := m.Header
	wantSubject := "Re: Export FEC en erreur [" + tk.Number + "] réf. DOS-2026-0042"
	if subj, _ := h.Subject(); subj != wantSubject || sent.Subject != wantSubject {
		t.Errorf("subject %q (listed %q), want %q", subj, sent.Subject, wantSubject)
	}
	if id, _ := h.MessageID(); id != queued.MessageID {
		t.Errorf("Message-ID %q, queued as %q", id, queued.MessageID)
	}
	if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != "fec-out-1@example.fr" {
		t.Errorf("In-Reply-To %v", irt)
	}
	if refs, _ := h.MsgIDList("References"); len(refs) == 0 || refs[len(refs)-1] != "fec-out-1@example.fr" {
		t.Errorf("References %v", refs)
	}
	if h.Has("Auto-Submitted") || !h.Has("X-Guichet-Loop") {
		t.Errorf("an agent's reply carries no Auto-Submitted but the loop header: %v", h.Header.Map())
	}
	if !strings.Contains(m.Text, "L'export FEC est corrigé.") || msgs[0].From != "contact@guichet.example" {
		t.Errorf("from %s, text %q", msgs[0].From, m.Text)
	}
	// The reply is on the timeline and answered the client: no clock runs.
	if tk = getTicket(t, env, p.agent, tk.ID); tk.DueAt != nil || !strings.Contains(timelineKinds(timeline(t, env, p.agent, tk.ID)), "reply") {
		t.Errorf("after the reply: due %v, timeline %s", tk.DueAt, timelineKinds(timeline(t, env, p.agent, tk.ID)))
	}
	sentFolderCopy(t, ot, tk, queued)
}

// sentFolderCopy: the same bytes land in Sent; ingesting Sent neither
// duplicates the message nor makes it a request.
func sentFolderCopy(t *testing.T, ot *outTest, tk ticket, queued outgoingMail) {
	env := ot.env
	ot.waitStatus(t, tk.ID, queued.ID, "sent")
	deadline := time.Now().Add(20 * time.Second)
	for ot.outgoingByID(t, tk.ID, queued.ID).SentFolderState != "appended" {
		if time.Now().After(deadline) {
			t.Fatalf("never copied to Sent: %+v", ot.outgoingByID(t, tk.ID, queued.ID))
		}
		time.Sleep(50 * time.Millisecond)
	}
	copies, err := ot.srv.Messages("contact", "Sent")
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != 1 || !copies[0].Seen() {
		t.Fatalf("Sent holds %d copies, want one, seen", len(copies))
	}
	if cp := parseMail(t, copies[0].Raw); cp.messageID() != queued.MessageID {
		t.Fatalf("the copy in Sent has Message-ID %q, want %q", cp.messageID(), queued.MessageID)
	}
	tickets, items := ticketCount(t, env), len(ot.items(t, ot.p.agent, ot.contact, ""))
	ot.mustFetch(t, ot.contact)
	if n := countRows(t, env, "mail_messages", "message_id = ? AND direction = 'out' AND ticket_id = ?", queued.MessageID, tk.ID); n != 1 {
		t.Fatalf("%d messages with the reply's Message-ID, want 1 (out, on the ticket)", n)
	}
	if ticketCount(t, env) != tickets || len(ot.items(t, ot.p.agent, ot.contact, "")) != items {
		t.Fatal("ingesting the Sent folder's copy opened a ticket or filled the queue")
	}
	if n := countRows(t, env, "mail_locations", "folder = 'Sent'"); n != 1 {
		t.Fatalf("the copy in Sent is known at %d locations, want 1", n)
	}
}

func replyPermanentFailure(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	tk := ot.clientTicket(t, "Relevé introuvable", "releve-1@example.fr")
	delivered := len(ot.smtp.Messages())
	ot.smtp.FailNext(1, 550)
	var queued outgoingMail
	env.Post(p.agent, "/tickets/"+tk.ID+"/email-replies", map[string]any{"text": "Le relevé est en pièce jointe."}).
		Expect(t, http.StatusAccepted).JSON(t, &queued)
	failed := ot.waitStatus(t, tk.ID, queued.ID, "failed")
	if failed.LastError == nil || !strings.Contains(*failed.LastError, "550") || len(ot.smtp.Messages()) != delivered {
		t.Fatalf("failed mail: %+v", failed)
	}
	events := timeline(t, env, p.agent, tk.ID)
	if !strings.Contains(timelineKinds(events), "mail_failed") {
		t.Fatalf("no mail_failed event: %s", timelineKinds(events))
	}
	waitFor(t, "the author's notification", func() bool {
		for _, n := range myNotifications(t, env, p.agent) {
			if n.Kind == "mail_failed" && strings.Contains(n.Message, tk.Number) {
				return true
			}
		}
		return false
	})
	// Running the job again never resends a failed mail.
	if err := env.Main.Sender.Send(context.Background(), queued.ID, false); err != nil || len(ot.smtp.Messages()) != delivered {
		t.Fatalf("a failed mail was sent again (%v)", err)
	}
}

func badReplies(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	tk := ot.clientTicket(t, "Question sans suite", "sans-suite-1@example.fr")
	other := createTicket(t, env, p.agent, map[string]any{"subject": "Autre", "channel": "phone", "category": "other"})
	att := uploadRaw(env, p.agent, other.ID, scan(2000), "?filename=scan.pdf").Expect(t, http.StatusCreated).Map(t)["id"].(string)
	noSMTP := createMailbox(t, env, p.manager, map[string]any{"kind": "shared", "purpose": "compta", "name": "compta",
		"address": "compta@guichet.example", "responsible_id": p.agentID}).ID
	cases := map[string]map[string]any{
		"attachment_ids": {"text": "Voir pièce jointe", "attachment_ids": []string{att}},
		"mailbox_id":     {"text": "Bonjour", "mailbox_id": noSMTP},
	}
	for field, body := range cases {
		pb := expectProblem(t, env.Post(p.agent, "/tickets/"+tk.ID+"/email-replies", body), http.StatusUnprocessableEntity, "invalid")
		if !fieldErrorMentions(pb, field) {
			t.Errorf("%s: %+v", field, pb)
		}
	}
	noEmail := env.Post(p.agent, "/contacts", map[string]any{"first_name": "Jean", "last_name": "SANSMAIL", "phone": "06 11 22 33 44"}).
		Expect(t, http.StatusCreated).Map(t)["id"].(string)
	phone := createTicket(t, env, p.agent, map[string]any{"subject": "Appel", "channel": "phone", "category": "other", "contact_id": noEmail})
	expectProblem(t, env.Post(p.agent, "/tickets/"+phone.ID+"/email-replies", map[string]any{"text": "Bonjour"}), http.StatusUnprocessableEntity, "invalid")
	env.Post(p.agent, "/tickets/"+tk.ID+"/email-replies", map[string]any{}).Expect(t, http.StatusBadRequest)
	_, readOnly := env.APIToken(p.agent, "tickets:read")
	env.Post(readOnly, "/tickets/"+tk.ID+"/email-replies", map[string]any{"text": "x"}).Expect(t, http.StatusForbidden)
	if n := len(ot.outgoing(t, tk.ID)) + len(ot.outgoing(t, phone.ID)); n != 0 {
		t.Fatalf("refused replies queued %d mails", n)
	}
	if strings.Contains(timelineKinds(timeline(t, env, p.agent, tk.ID)), "reply") {
		t.Fatal("a refused reply is on the timeline")
	}
}

func forwards(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	ot.clientTicket(t, "À transférer", "transfert-1@example.fr")
	item := itemBySubject(t, ot.items(t, p.agent, ot.contact, ""), "À transférer")
	perso := ot.box(t, p.supervisor, "perso-enc", map[string]any{"kind": "personal", "address": "encadrante@guichet.example"})
	pb := expectProblem(t, env.Post(p.agent, "/mail-items/"+item.ID+"/forward", map[string]any{"to": "Encadrante@Guichet.example"}),
		http.StatusUnprocessableEntity, "invalid")
	if !strings.Contains(pb.Detail+fieldMessages(pb), "boîtes perso") {
		t.Errorf("refusal: %+v", pb)
	}
	var fwd outgoingMail
	env.Post(p.agent, "/mail-items/"+item.ID+"/forward", map[string]any{"to": "cabinet.durand@example.fr", "note": "Pour information."}).
		Expect(t, http.StatusAccepted).JSON(t, &fwd)
	if fwd.Kind != "forward" || fwd.TicketID == nil || !strings.HasPrefix(fwd.Subject, "Tr: ") {
		t.Fatalf("forward: %+v", fwd)
	}
	ot.waitStatus(t, *fwd.TicketID, fwd.ID, "sent")
	msgs := sentTo(ot.smtp, "cabinet.durand@example.fr")
	if len(msgs) != 1 {
		t.Fatalf("%d forwards delivered", len(msgs))
	}
	m := parseMail(t, msgs[0].Data)
	if !strings.Contains(m.Text, "Pour information.") || len(m.Parts) != 1 || m.Parts[0] != "message/rfc822" {
		t.Fatalf("forward body %q parts %v", m.Text, m.Parts)
	}
	// A personal mailbox's mail is its owner's alone: 404 for others.
	ot.deliver(t, "perso-enc", "INBOX", eml("m.loubet@example.fr", "encadrante@guichet.example", "Perso", "perso-fwd-1@example.fr", "Entre nous."))
	env.Patch(p.supervisor, "/mailboxes/"+perso, `"1"`, map[string]any{"ingestion_enabled": true}).Expect(t, http.StatusOK)
	ot.mustFetch(t, perso)
	ot.deliver(t, "perso-enc", "INBOX", eml("m.loubet@example.fr", "encadrante@guichet.example", "Perso", "perso-fwd-2@example.fr", "Entre nous."))
	ot.mustFetch(t, perso)
	pi := itemBySubject(t, ot.items(t, p.supervisor, perso, ""), "Perso")
	for _, token := range []string{env.Admin, p.manager, p.agent} {
		env.Post(token, "/mail-items/"+pi.ID+"/forward", map[string]any{"to": "x@example.fr"}).Expect(t, http.StatusNotFound)
	}
}

func fieldMessages(p apitest.Problem) string {
	var b strings.Builder
	for _, e := range p.Errors {
		b.WriteString(e.Field + ": " + e.Message + "\n")
	}
	return b.String()
}
