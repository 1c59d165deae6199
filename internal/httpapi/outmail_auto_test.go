package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/testdb"
)

// Guichet's automatic mail (issue 5): client notifications by email with
// French templates, absence replies, and the hourly cap per address.
func TestAutomaticMail(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ot := newOutTest(t, b)
		t.Run("ClientNotificationEmailedWithTheFrenchTemplate", func(t *testing.T) { notificationEmailed(t, ot) })
		t.Run("AbsenceReplyOncePerSenderNoneToAutoRepliesListsOrOurselves", func(t *testing.T) { absenceReplies(t, ot) })
	})
}

// knownFix opens a ticket for the contact and answers it with a known fix:
// the procedure writes a known_fix client notification.
func knownFix(t *testing.T, ot *outTest, contactID, subject string) ticket {
	t.Helper()
	tk := createTicket(t, ot.env, ot.p.agent, map[string]any{"subject": subject, "channel": "email", "category": "bug_report",
		"contact_id": contactID, "file_reference": "DOS-2026-0042"})
	mustTransition(t, ot.env, ot.p.agent, tk, "answer_known_fix", map[string]any{"message": "Il suffit de relancer l'export après la mise à jour 4.2."})
	return tk
}

func notificationEmailed(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	tk := knownFix(t, ot, p.contactID, "Export FEC bloqué")
	if ns := ot.notifications(t, tk.ID); len(ns) != 1 || ns[0].Status != "pending" || ns[0].Template != "known_fix" {
		t.Fatalf("before the sweep: %+v", ns)
	}
	sweep(t, env)
	sweep(t, env) // a second sweep (another replica) finds nothing to take
	ns := ot.notifications(t, tk.ID)
	if len(ns) != 1 || ns[0].OutgoingMailID == nil || (ns[0].Status != "queued" && ns[0].Status != "sent") {
		t.Fatalf("after the sweep: %+v", ns)
	}
	out := ot.waitStatus(t, tk.ID, *ns[0].OutgoingMailID, "sent")
	if out.Kind != "notification" || len(ot.outgoing(t, tk.ID)) != 1 {
		t.Fatalf("outgoing: %+v", ot.outgoing(t, tk.ID))
	}
	var mine []parsed
	for _, m := range sentTo(ot.smtp, "m.loubet@example.fr") {
		if pm := parseMail(t, m.Data); pm.messageID() == out.MessageID {
			mine = append(mine, pm)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("%d deliveries of the notification", len(mine))
	}
	m := mine[0]
	subject, _ := m.Header.Subject()
	if m.Header.Get("Auto-Submitted") != "auto-generated" || !m.Header.Has("X-Guichet-Loop") {
		t.Errorf("headers: %v", m.Header.Header.Map())
	}
	if !strings.Contains(subject, tk.Number) || !strings.Contains(subject, "réf. DOS-2026-0042") {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Bonjour,", "une solution existe", tk.Number, "relancer l'export après la mise à jour 4.2."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the French text lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(strings.ToLower(m.Text), "délai") {
		t.Errorf("a notification gives a delay:\n%s", m.Text)
	}
	if ns = ot.notifications(t, tk.ID); ns[0].Status != "sent" {
		t.Errorf("the notification shows %s, want sent", ns[0].Status)
	}
	// No address: suppressed, with its reason.
	noMail := env.Post(p.agent, "/contacts", map[string]any{"first_name": "Paul", "last_name": "SANSMAIL", "phone": "06 99 88 77 66"}).
		Expect(t, http.StatusCreated).Map(t)["id"].(string)
	silent := knownFix(t, ot, noMail, "Sans adresse")
	sweep(t, env)
	if ns := ot.notifications(t, silent.ID); ns[0].Status != "suppressed" || ns[0].Reason == nil || *ns[0].Reason != "no_email" {
		t.Errorf("a contact without address: %+v", ns)
	}
}

func absenceReplies(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	id := ot.box(t, p.supervisor, "encadrante", map[string]any{"kind": "personal", "address": "encadrante@guichet.example",
		"smtp": ot.smtpSettings(), "absence_message": "Je suis absente jusqu'au 2 décembre ; écrivez à contact@guichet.example."})
	env.Patch(p.supervisor, "/mailboxes/"+id, `"1"`, map[string]any{"ingestion_enabled": true}).Expect(t, http.StatusOK)
	ot.mustFetch(t, id)
	// Present: no absence reply.
	ot.deliver(t, "encadrante", "INBOX", eml("collegue@partenaire.fr", "encadrante@guichet.example", "Avant", "avant-1@partenaire.fr", "Bonjour."))
	ot.mustFetch(t, id)
	now := env.Clock.Now()
	env.Post(p.supervisor, "/agents/"+p.supervisorID+"/absences", absenceBody(now.Add(-time.Hour), now.Add(72*time.Hour), "Congés")).
		Expect(t, http.StatusCreated)
	for i, raw := range [][]byte{
		eml("Client Un <client1@example.org>", "encadrante@guichet.example", "Question", "abs-1@example.org", "Bonjour."),
		eml("client1@example.org", "encadrante@guichet.example", "Re: Question", "abs-2@example.org", "Encore moi."),
		eml("robot@example.org", "encadrante@guichet.example", "Absent", "abs-3@example.org", "Je suis absent.", "Auto-Submitted: auto-replied"),
		eml("news@lettre.example.org", "encadrante@guichet.example", "Lettre", "abs-4@lettre.example.org", "Nouvelles.", "List-Id: <lettre.example.org>"),
		eml("exchange@example.org", "encadrante@guichet.example", "Réunion", "abs-5@example.org", "Invitation.", "X-Auto-Response-Suppress: All"),
		eml("contact@guichet.example", "encadrante@guichet.example", "Interne", "abs-6@guichet.example", "De la boîte contact."),
	} {
		ot.deliver(t, "encadrante", "INBOX", raw)
		if i == 0 {
			ot.mustFetch(t, id)
		}
	}
	ot.mustFetch(t, id)
	waitFor(t, "the absence reply", func() bool {
		return countRows(t, env, "mail_outbox", "kind = 'absence_reply' AND status = 'sent'") >= 1
	})
	if n := countRows(t, env, "mail_outbox", "kind = 'absence_reply'"); n != 1 {
		t.Fatalf("%d absence replies, want one (one sender, one absence)", n)
	}
	got := sentTo(ot.smtp, "client1@example.org")
	if len(got) != 1 || got[0].From != "encadrante@guichet.example" {
		t.Fatalf("%d absence replies delivered to client1", len(got))
	}
	m := parseMail(t, got[0].Data)
	irt, _ := m.Header.MsgIDList("In-Reply-To")
	if m.Header.Get("Auto-Submitted") != "auto-replied" || len(irt) != 1 || irt[0] != "abs-1@example.org" ||
		!strings.Contains(m.Text, "absente jusqu'au 2 décembre") {
		t.Fatalf("the absence reply: %v\n%s", m.Header.Header.Map(), m.Text)
	}
	for _, addr := range []string{"collegue@partenaire.fr", "robot@example.org", "news@lettre.example.org", "exchange@example.org", "contact@guichet.example"} {
		if n := len(sentTo(ot.smtp, addr)); n != 0 {
			t.Errorf("%d automatic answers to %s", n, addr)
		}
	}
}

// The cap of automatic mail per address and hour is counted in the
// database: a restart does not reset it, and agents' replies are not
// counted.
func TestAutoMailCapAcrossRestart(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ot := newOutTest(t, b)
		env, p := ot.env, ot.p
		capped := env.Post(p.agent, "/contacts", map[string]any{"first_name": "Anne", "last_name": "PLAFOND", "email": "plafond@example.org"}).
			Expect(t, http.StatusCreated).Map(t)["id"].(string)
		var first []ticket
		for i := range 5 {
			first = append(first, knownFix(t, ot, capped, "Demande "+string(rune('A'+i))))
		}
		sweep(t, env)
		ot.env = env.Reopen()
		sixth := knownFix(t, ot, capped, "Demande F")
		sweep(t, ot.env)
		ns := ot.notifications(t, sixth.ID)
		if len(ns) != 1 || ns[0].Status != "suppressed" || ns[0].Reason == nil || *ns[0].Reason != "rate_limited" {
			t.Fatalf("the sixth automatic mail in the hour: %+v", ns)
		}
		for _, tk := range first {
			if ns := ot.notifications(t, tk.ID); ns[0].Status == "suppressed" {
				t.Fatalf("one of the first five was suppressed: %+v", ns)
			}
		}
		// An agent's reply is never capped.
		var reply outgoingMail
		ot.env.Post(p.agent, "/tickets/"+sixth.ID+"/email-replies", map[string]any{"text": "Bonjour, je reviens vers vous."}).
			Expect(t, http.StatusAccepted).JSON(t, &reply)
		ot.waitStatus(t, sixth.ID, reply.ID, "sent")
		waitFor(t, "the five notifications and the reply", func() bool { return len(sentTo(ot.smtp, "plafond@example.org")) >= 6 })
		time.Sleep(200 * time.Millisecond)
		if n := len(sentTo(ot.smtp, "plafond@example.org")); n != 6 {
			t.Fatalf("%d mails to the capped address, want 5 notifications and 1 reply", n)
		}
	})
}
