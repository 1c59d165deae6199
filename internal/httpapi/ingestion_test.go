package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// Mail ingestion (issue 5): IMAP into the mailbox queues and threaded
// tickets, exactly once, with procedure #46's mailbox rules.
func TestMailIngestion(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		contact := mt.box(t, mt.p.manager, "contact", map[string]any{"kind": "shared", "purpose": "contact",
			"responsible_id": mt.p.agentID, "priority": 10})
		compta := mt.box(t, mt.p.manager, "compta", map[string]any{"kind": "shared", "purpose": "compta",
			"responsible_id": mt.p.agentID, "priority": 5})
		t.Run("NewMailboxStartsAtTheEndThenTicketsInContactItemsInCompta", func(t *testing.T) { startsAtEnd(t, mt, contact, compta) })
		t.Run("OneMailToTwoMailboxesOneMessageTwoItemsOneTicket", func(t *testing.T) { twoMailboxes(t, mt, contact, compta) })
		t.Run("ReplyThreadsIntoItsTicketAndOtherClientGetsANewOne", func(t *testing.T) { threading(t, mt, contact) })
		t.Run("AutoReplyAndBounceNeitherAnsweredNorReopening", func(t *testing.T) { autoReplies(t, mt, contact) })
		t.Run("OutlookSuppressingAutoResponsesIsAClientsMail", func(t *testing.T) { outlook(t, mt, contact) })
		t.Run("SentFolderReplyAnswersTheTicket", func(t *testing.T) { sentReply(t, mt, contact) })
		t.Run("QuarantinedBombAndHeaderlessMail", func(t *testing.T) { quarantine(t, mt, contact) })
		t.Run("UIDValidityChangeNoDuplicates", func(t *testing.T) { uidValidity(t, mt) })
		t.Run("DroppedConnectionThenExactlyOnce", func(t *testing.T) { droppedConnection(t, mt) })
		t.Run("WrongPasswordShowsOnTheMailboxOnly", func(t *testing.T) { wrongPassword(t, mt, contact) })
		t.Run("FetchOnDemandAndConflict", func(t *testing.T) { fetchOnDemand(t, mt) })
		t.Run("PersonalMailboxMailIsItsOwnersAlone", func(t *testing.T) { personalMail(t, mt) })
		t.Run("OneBatchSeesWhatItsEarlierMailsStored", func(t *testing.T) { oneBatch(t, mt, contact) })
	})
}

func startsAtEnd(t *testing.T, mt *mailTest, contact, compta string) {
	old := mt.deliver(t, "contact", "INBOX", eml("ancien@client.fr", "contact@guichet.example", "Ancien mail", "old-1@client.fr", "Vieux."))
	mt.mustFetch(t, contact)
	mt.mustFetch(t, compta)
	if n := len(mt.items(t, mt.p.agent, contact, "")); n != 0 {
		t.Fatalf("a new mailbox imported %d old mails (UID %d)", n, old)
	}
	// Read in another client (\Seen) before Guichet sees it: still ingested.
	mt.deliver(t, "contact", "INBOX", eml("Mélanie Loubet <m.loubet@example.fr>", "contact@guichet.example",
		"Export FEC en erreur", "fec-1@example.fr", "Bonjour, l'export FEC s'arrête à 80 %."), `\Seen`)
	mt.deliver(t, "contact", "INBOX", eml("Paul Nouveau <paul@inconnu.fr>", "contact@guichet.example",
		"Première demande", "new-1@inconnu.fr", "Bonjour, je suis nouveau."))
	mt.deliver(t, "compta", "INBOX", eml("m.loubet@example.fr", "compta@guichet.example", "Facture 2026-12",
		"fact-1@example.fr", "Ma facture est fausse."))
	mt.mustFetch(t, contact)
	mt.mustFetch(t, compta)
	items := mt.items(t, mt.p.agent, contact, "")
	if len(items) != 2 {
		t.Fatalf("contact@ has %d items, want 2: %+v", len(items), items)
	}
	fec := itemBySubject(t, items, "Export FEC en erreur")
	if fec.RoutingReason != "new_ticket" || fec.TicketID == nil || fec.Status != "new" {
		t.Fatalf("a client's mail in contact@ opens a ticket: %+v", fec)
	}
	tk := getTicket(t, mt.env, mt.p.agent, *fec.TicketID)
	if tk.Channel != "email" || tk.ContactID == nil || *tk.ContactID != mt.p.contactID || tk.DueAt == nil {
		t.Fatalf("the ticket: %+v", tk)
	}
	// An unknown sender becomes an unidentified contact.
	nouveau := itemBySubject(t, items, "Première demande")
	nt := getTicket(t, mt.env, mt.p.agent, *nouveau.TicketID)
	var c struct {
		Email        string `json:"email"`
		Unidentified bool   `json:"unidentified"`
	}
	mt.env.Get(mt.p.agent, "/contacts/"+*nt.ContactID).Expect(t, http.StatusOK).JSON(t, &c)
	if c.Email != "paul@inconnu.fr" {
		t.Fatalf("unknown sender's contact: %+v", c)
	}
	// Compta's mail waits in its queue: no ticket.
	ci := mt.items(t, mt.p.agent, compta, "")
	if len(ci) != 1 || ci[0].RoutingReason != "queued" || ci[0].TicketID != nil {
		t.Fatalf("compta@: %+v", ci)
	}
	// Fetching never marks a mail read: only the one read elsewhere is \Seen.
	msgs, err := mt.srv.Messages("contact", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Seen() != strings.Contains(string(m.Raw), "fec-1@") {
			t.Fatalf("UID %d seen=%v after ingestion", m.UID, m.Seen())
		}
	}
	// Fetching again adds nothing.
	mt.mustFetch(t, contact)
	if n := len(mt.items(t, mt.p.agent, contact, "")); n != 2 {
		t.Fatalf("a second fetch made %d items", n)
	}
}

func twoMailboxes(t *testing.T, mt *mailTest, contact, compta string) {
	raw := eml("m.loubet@example.fr", "contact@guichet.example", "Relevé et question", "both-1@example.fr",
		"Bonjour à vous deux.", "Cc: compta@guichet.example")
	mt.deliver(t, "compta", "INBOX", raw)
	mt.deliver(t, "contact", "INBOX", raw)
	// The lower-priority mailbox, without automatic tickets, sees it first.
	mt.mustFetch(t, compta)
	mt.mustFetch(t, contact)
	ci := itemBySubject(t, mt.items(t, mt.p.agent, compta, ""), "Relevé et question")
	ki := itemBySubject(t, mt.items(t, mt.p.agent, contact, ""), "Relevé et question")
	if ci.MessageID != ki.MessageID {
		t.Fatal("one mail in two mailboxes must be one message")
	}
	if ki.TicketID == nil || ci.TicketID == nil || *ci.TicketID != *ki.TicketID {
		t.Fatalf("one ticket for both items: contact %+v compta %+v", ki, ci)
	}
	if n := countRows(t, mt.env, "tickets", "subject = ?", "Relevé et question"); n != 1 {
		t.Fatalf("%d tickets for one mail", n)
	}
	m := mt.message(t, mt.p.agent, ki.MessageID)
	if m.MailboxID == nil || *m.MailboxID != contact {
		t.Fatalf("the higher-priority mailbox owns the mail: %+v", m)
	}
}

func threading(t *testing.T, mt *mailTest, contact string) {
	env, p := mt.env, mt.p
	mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example", "Import bancaire bloqué",
		"bank-1@example.fr", "L'import bancaire est bloqué."))
	mt.mustFetch(t, contact)
	first := itemBySubject(t, mt.items(t, p.agent, contact, ""), "Import bancaire bloqué")
	// A reply through In-Reply-To joins the ticket as a client message.
	mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example", "Re: Import bancaire bloqué",
		"bank-2@example.fr", "J'ajoute une précision.\r\n\r\n> L'import bancaire est bloqué.",
		"In-Reply-To: <bank-1@example.fr>", "References: <bank-1@example.fr>"))
	mt.mustFetch(t, contact)
	reply := itemBySubject(t, mt.items(t, p.agent, contact, ""), "Re: Import bancaire bloqué")
	if reply.RoutingReason != "thread_header" || reply.TicketID == nil || *reply.TicketID != *first.TicketID {
		t.Fatalf("the reply: %+v", reply)
	}
	events := timeline(t, env, p.agent, *first.TicketID)
	if last := events[len(events)-1]; last.Kind != "client_message" || !strings.Contains(last.Body, "précision") ||
		strings.Contains(last.Body, "> L'import") {
		t.Fatalf("timeline: %s; last %+v", timelineKinds(events), last)
	}
	// A ticket waiting for the client's complement moves back when the
	// client answers with the number in the subject.
	bug := createTicket(t, env, p.agent, map[string]any{"subject": "Export PDF", "channel": "email", "category": "bug_report",
		"contact_id": p.contactID})
	bug = mustTransition(t, env, p.agent, bug, "declare_bug", nil)
	bug = mustTransition(t, env, p.agent, bug, "request_complement", map[string]any{"message": "Une capture ?"})
	mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example", "RE: ["+bug.Number+"] Export PDF",
		"pdf-2@example.fr", "Voici la capture."))
	mt.mustFetch(t, contact)
	if got := getTicket(t, env, p.agent, bug.ID); got.State != "bug_declared" || got.Status != "open" {
		t.Fatalf("after the client's answer: %s/%s", got.State, got.Status)
	}
	// Another client quoting that number gets a new ticket, flagged.
	env.Post(p.agent, "/contacts", map[string]any{"last_name": "Autre", "email": "autre@client.fr"}).Expect(t, http.StatusCreated)
	mt.deliver(t, "contact", "INBOX", eml("autre@client.fr", "contact@guichet.example", "Fwd: ["+bug.Number+"] Export PDF",
		"other-1@client.fr", "Nous avons le même souci."))
	mt.mustFetch(t, contact)
	other := itemBySubject(t, mt.items(t, p.agent, contact, ""), "Fwd: ["+bug.Number+"] Export PDF")
	if other.RoutingReason != "other_client" || other.TicketID == nil || *other.TicketID == bug.ID {
		t.Fatalf("another client's mail quoting a ticket: %+v", other)
	}
	if k := timelineKinds(timeline(t, env, p.agent, bug.ID)); strings.Count(k, "client_message") != 1 {
		t.Fatalf("the other client's mail reached the ticket: %s", k)
	}
}

func autoReplies(t *testing.T, mt *mailTest, contact string) {
	env, p := mt.env, mt.p
	bug := createTicket(t, env, p.agent, map[string]any{"subject": "Export Excel", "channel": "email", "category": "bug_report",
		"contact_id": p.contactID})
	bug = mustTransition(t, env, p.agent, bug, "declare_bug", nil)
	bug = mustTransition(t, env, p.agent, bug, "request_complement", map[string]any{"message": "Quel fichier ?"})
	before := timelineKinds(timeline(t, env, p.agent, bug.ID))
	mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example", "Absence : ["+bug.Number+"] Export Excel",
		"ooo-1@example.fr", "Je suis absente jusqu'au 16.", "Auto-Submitted: auto-replied"))
	mt.deliver(t, "contact", "INBOX", fixture(t, "ooo.eml"))
	// The mail a bounce is about: Guichet's own, in the Sent folder.
	mt.deliver(t, "contact", "Sent", eml("Support Guichet <support@guichet.example>", "jean.inconnu@exemple.fr",
		"Votre demande", "b7e2d9f4-1c3a-4e5b-8f6d-9a0b1c2d3e4f@guichet.example", "Bonjour."))
	env.Post(p.agent, "/contacts", map[string]any{"last_name": "Inconnu", "email": "jean.inconnu@exemple.fr"}).Expect(t, http.StatusCreated)
	mt.mustFetch(t, contact)
	mt.deliver(t, "contact", "INBOX", fixture(t, "bounce-postfix.eml"))
	mt.mustFetch(t, contact)
	items := mt.items(t, p.agent, contact, "")
	ooo := itemBySubject(t, items, "Absence : ["+bug.Number+"] Export Excel")
	if ooo.RoutingReason != "auto_reply" || ooo.TicketID == nil || *ooo.TicketID != bug.ID {
		t.Fatalf("an auto-reply on a ticket is shown with it: %+v", ooo)
	}
	got := getTicket(t, env, p.agent, bug.ID)
	if got.State != "waiting_complement" || timelineKinds(timeline(t, env, p.agent, bug.ID)) != before {
		t.Fatalf("an auto-reply moved the ticket: %s", got.State)
	}
	fixtureOOO := itemBySubject(t, items, "Réponse automatique\u00a0: [T-2026-000128] Demande de renseignements")
	if fixtureOOO.RoutingReason != "auto_reply" || fixtureOOO.TicketID != nil {
		t.Fatalf("an auto-reply never opens a ticket: %+v", fixtureOOO)
	}
	bounce := itemBySubject(t, items, "Undelivered Mail Returned to Sender")
	m := mt.message(t, p.agent, bounce.MessageID)
	if bounce.RoutingReason != "bounce" || bounce.TicketID != nil || m.BounceOfID == nil {
		t.Fatalf("the bounce: %+v %+v", bounce, m)
	}
	if orig := mt.message(t, p.agent, *m.BounceOfID); orig.MessageID != "b7e2d9f4-1c3a-4e5b-8f6d-9a0b1c2d3e4f@guichet.example" || orig.Direction != "out" {
		t.Fatalf("the bounced mail: %+v", orig)
	}
	var bounced struct {
		Items []struct {
			ID             string  `json:"id"`
			Version        int     `json:"version"`
			EmailBouncedAt *string `json:"email_bounced_at"`
		} `json:"items"`
	}
	env.Get(p.agent, "/contacts?q=jean.inconnu@exemple.fr").Expect(t, http.StatusOK).JSON(t, &bounced)
	if len(bounced.Items) != 1 || bounced.Items[0].EmailBouncedAt == nil {
		t.Fatalf("the bounced address is not flagged on its contact: %+v", bounced.Items)
	}
	// A corrected address has not bounced.
	c := bounced.Items[0]
	fixed := env.Patch(p.agent, "/contacts/"+c.ID, `"`+strconv.Itoa(c.Version)+`"`, map[string]any{"email": "jean.connu@exemple.fr"}).
		Expect(t, http.StatusOK).Map(t)
	if fixed["email_bounced_at"] != nil {
		t.Fatalf("the flag survived a new address: %v", fixed["email_bounced_at"])
	}
	// Nothing was answered: no mail left Guichet.
	if n := countRows(t, env, "client_notifications", "template NOT IN (?)", "complement_requested"); n != 0 {
		t.Fatalf("%d automatic answers", n)
	}
}

func outlook(t *testing.T, mt *mailTest, contact string) {
	mt.deliver(t, "contact", "INBOX", fixture(t, "outlook.eml"))
	mt.mustFetch(t, contact)
	it := itemBySubject(t, mt.items(t, mt.p.agent, contact, ""), "RE : [T-2026-000123] Problème de facturation – réf. 12")
	m := mt.message(t, mt.p.agent, it.MessageID)
	if it.RoutingReason != "new_ticket" || it.TicketID == nil || m.Classification.AutoReply || !m.Classification.SuppressAutoResponse {
		t.Fatalf("an Outlook mail with X-Auto-Response-Suppress is a client's: %+v %+v", it, m.Classification)
	}
}

func sentReply(t *testing.T, mt *mailTest, contact string) {
	env, p := mt.env, mt.p
	mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example", "Mot de passe perdu",
		"pw-1@example.fr", "Je n'arrive plus à me connecter."))
	mt.mustFetch(t, contact)
	it := itemBySubject(t, mt.items(t, p.agent, contact, ""), "Mot de passe perdu")
	if tk := getTicket(t, env, p.agent, *it.TicketID); tk.DueAt == nil {
		t.Fatal("a client's mail starts the response clock")
	}
	// Answered from another mail client: the Sent folder counts it.
	mt.deliver(t, "contact", "Sent", eml("contact@guichet.example", "m.loubet@example.fr", "Re: Mot de passe perdu",
		"pw-2@guichet.example", "Voici le lien de réinitialisation.", "In-Reply-To: <pw-1@example.fr>"))
	mt.mustFetch(t, contact)
	tk := getTicket(t, env, p.agent, *it.TicketID)
	events := timeline(t, env, p.agent, tk.ID)
	if tk.DueAt != nil || events[len(events)-1].Kind != "reply" {
		t.Fatalf("the Sent folder's reply: due %v, timeline %s", tk.DueAt, timelineKinds(events))
	}
	if n := len(mt.items(t, p.agent, contact, "")); countRows(t, env, "mail_items", "routing_reason = 'sent_reply'") != 0 || n == 0 {
		t.Fatal("a sent mail is not a queue item")
	}
}

func quarantine(t *testing.T, mt *mailTest, contact string) {
	p := mt.p
	mt.deliver(t, "contact", "INBOX", fixture(t, "bomb-wide.eml"))
	uid := mt.deliver(t, "contact", "INBOX", fixture(t, "minimal.eml"))
	mt.mustFetch(t, contact)
	q := mt.items(t, p.agent, contact, "&quarantined=true")
	if len(q) != 1 || q[0].RoutingReason != "quarantined" || q[0].TicketID != nil {
		t.Fatalf("quarantined items: %+v", q)
	}
	m := mt.message(t, p.agent, q[0].MessageID)
	if m.QuarantineReason == nil || *m.QuarantineReason != "too_many_parts" || m.Headers["From"] != "bomb@exemple.fr" {
		t.Fatalf("the quarantined mail shows its headers: %+v", m)
	}
	bare := itemBySubject(t, mt.items(t, p.agent, contact, "&quarantined=false"), "demande sans en-tetes")
	bm := mt.message(t, p.agent, bare.MessageID)
	if bare.RoutingReason != "no_sender" || bare.TicketID != nil || !bm.SyntheticID || bm.SentAt != nil || bm.ReceivedAt == "" {
		t.Fatalf("a mail without Message-ID, From nor Date: %+v %+v", bare, bm)
	}
	// Its source downloads as the server has it.
	var raw []byte
	msgs, err := mt.srv.Messages("contact", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.UID == uid {
			raw = m.Raw
		}
	}
	r := mt.env.Get(p.agent, "/mail-messages/"+bare.MessageID+"/raw").Expect(t, http.StatusOK)
	if len(raw) == 0 || !bytes.Equal(r.Body, raw) || r.Header.Get("Content-Type") != "message/rfc822" {
		t.Fatalf("raw: %q", r.Body)
	}
}

func uidValidity(t *testing.T, mt *mailTest) {
	id := mt.box(t, mt.p.manager, "renum", map[string]any{"kind": "shared", "purpose": "renum", "responsible_id": mt.p.agentID,
		"auto_tickets": true})
	mt.mustFetch(t, id)
	for _, s := range []string{"Un", "Deux", "Trois"} {
		mt.deliver(t, "renum", "INBOX", eml("m.loubet@example.fr", "renum@guichet.example", s, "renum-"+s+"@example.fr", s))
	}
	mt.mustFetch(t, id)
	tickets := countRows(t, mt.env, "tickets", "")
	if _, err := mt.srv.ResetUIDValidity("renum", "INBOX"); err != nil {
		t.Fatal(err)
	}
	mt.deliver(t, "renum", "INBOX", eml("m.loubet@example.fr", "renum@guichet.example", "Quatre", "renum-4@example.fr", "4"))
	mt.mustFetch(t, id)
	items := mt.items(t, mt.p.agent, id, "")
	if len(items) != 4 || countRows(t, mt.env, "tickets", "") != tickets+1 {
		t.Fatalf("after a new UIDVALIDITY: %d items, %d new tickets", len(items), countRows(t, mt.env, "tickets", "")-tickets)
	}
	if n := countRows(t, mt.env, "mail_locations", "mailbox_id = ?", id); n != 7 {
		t.Fatalf("%d locations, want 3 old + 4 new", n)
	}
}

func droppedConnection(t *testing.T, mt *mailTest) {
	srv := imaptest.Start(t, imaptest.Options{})
	dm := &mailTest{env: mt.env, srv: srv, p: mt.p}
	id := dm.box(t, mt.p.manager, "drop", map[string]any{"kind": "shared", "purpose": "drop", "responsible_id": mt.p.agentID,
		"auto_tickets": true})
	dm.mustFetch(t, id)
	dm.quiesce(t)
	big := strings.Repeat("Ligne de texte assez longue pour remplir le message.\r\n", 80)
	for _, s := range []string{"A", "B", "C", "D", "E", "F"} {
		dm.deliver(t, "drop", "INBOX", eml("m.loubet@example.fr", "drop@guichet.example", "Coupure "+s, "drop-"+s+"@example.fr", big))
	}
	srv.DropAfter(14000) // in the middle of the third mail or so
	_, err := dm.fetch(t, id)
	if !errors.Is(err, imapsync.ErrUnavailable) {
		t.Fatalf("a dropped connection: %v", err)
	}
	var mb struct {
		Status struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
		} `json:"status"`
	}
	mt.env.Get(mt.p.agent, "/mailboxes/"+id).Expect(t, http.StatusOK).JSON(t, &mb)
	partial := len(dm.items(t, mt.p.agent, id, ""))
	if mb.Status.State != "error" || partial >= 6 {
		t.Fatalf("after the drop: %+v, %d items", mb.Status, partial)
	}
	dm.mustFetch(t, id)
	items := dm.items(t, mt.p.agent, id, "")
	if len(items) != 6 || countRows(t, mt.env, "tickets", "subject LIKE 'Coupure %'") != 6 {
		t.Fatalf("after the next fetch: %d items (%d before)", len(items), partial)
	}
	var after struct {
		Status struct {
			State     string  `json:"state"`
			LastError *string `json:"last_error"`
		} `json:"status"`
	}
	mt.env.Get(mt.p.agent, "/mailboxes/"+id).Expect(t, http.StatusOK).JSON(t, &after)
	if mb := after; mb.Status.State != "idle" || mb.Status.LastError != nil {
		t.Fatalf("after a good fetch: %+v", mb.Status)
	}
}

func wrongPassword(t *testing.T, mt *mailTest, contact string) {
	id := mt.box(t, mt.p.manager, "badpw", map[string]any{"kind": "shared", "purpose": "badpw", "responsible_id": mt.p.agentID,
		"password": "wrong"})
	_, err := mt.fetch(t, id)
	if !errors.Is(err, imapsync.ErrAuth) {
		t.Fatalf("a wrong password: %v", err)
	}
	var mb struct {
		Status struct {
			State         string    `json:"state"`
			LastError     string    `json:"last_error"`
			NextFetchAt   time.Time `json:"next_fetch_at"`
			FetchFailures int       `json:"fetch_failures"`
		} `json:"status"`
	}
	mt.env.Get(mt.p.agent, "/mailboxes/"+id).Expect(t, http.StatusOK).JSON(t, &mb)
	if mb.Status.State != "error" || !strings.Contains(mb.Status.LastError, "check the username and password") ||
		strings.Contains(mb.Status.LastError, "wrong") {
		t.Fatalf("the mailbox shows: %+v", mb.Status)
	}
	// The mailbox backs off, and says so.
	if !mb.Status.NextFetchAt.After(mt.env.Clock.Now()) || mb.Status.FetchFailures != 1 {
		t.Fatalf("no backoff shown: %+v", mb.Status)
	}
	// Nothing else breaks: the other mailboxes still fetch.
	mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example", "Toujours là", "still-1@example.fr", "."))
	mt.mustFetch(t, contact)
	itemBySubject(t, mt.items(t, mt.p.agent, contact, ""), "Toujours là")
}

func fetchOnDemand(t *testing.T, mt *mailTest) {
	env, p := mt.env, mt.p
	id := mt.box(t, p.manager, "demand", map[string]any{"kind": "shared", "purpose": "demand", "responsible_id": p.agentID})
	mt.mustFetch(t, id)
	mt.quiesce(t)
	// A fetch running elsewhere holds the lease: 409.
	ctx := context.Background()
	if _, err := env.Main.Store.BeginFetch(ctx, id, "another-process"); err != nil {
		t.Fatal(err)
	}
	env.Post(p.agent, "/mailboxes/"+id+"/fetch", nil).Expect(t, http.StatusConflict)
	if err := env.Main.Store.EndFetch(ctx, id, "another-process", store.FetchOutcome{}); err != nil {
		t.Fatal(err)
	}
	mt.deliver(t, "demand", "INBOX", eml("m.loubet@example.fr", "demand@guichet.example", "Sur demande", "demand-1@example.fr", "."))
	env.Post(p.agent, "/mailboxes/"+id+"/fetch", nil).Expect(t, http.StatusAccepted)
	deadline := time.Now().Add(15 * time.Second)
	for len(mt.items(t, p.agent, id, "")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the requested fetch did not run")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Bad input: unknown mailbox, ingestion off.
	env.Post(p.agent, "/mailboxes/0193b2f0-7c1e-7a00-9000-00000000dead/fetch", nil).Expect(t, http.StatusNotFound)
	var m mailbox
	env.Get(p.manager, "/mailboxes/"+id).Expect(t, http.StatusOK).JSON(t, &m)
	env.Patch(p.manager, "/mailboxes/"+id, `"1"`, map[string]any{"ingestion_enabled": false}).Expect(t, http.StatusOK)
	prob := env.Post(p.agent, "/mailboxes/"+id+"/fetch", nil).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if fieldsOf(prob)[0] != "ingestion_enabled" {
		t.Fatalf("problem: %+v", prob)
	}
	env.Get(p.agent, "/mailboxes/"+id+"/items?status=lost").Expect(t, http.StatusBadRequest)
	env.Get(p.agent, "/mailboxes/"+id+"/items?cursor=nope").Expect(t, http.StatusBadRequest)
	env.Get(p.agent, "/mail-messages/0193b2f0-7c1e-7a00-9000-00000000dead").Expect(t, http.StatusNotFound)
}

func personalMail(t *testing.T, mt *mailTest) {
	env, p := mt.env, mt.p
	delegateID, delegate := env.Agent("delegue-perso", "agent")
	id := mt.box(t, p.supervisor, "perso", map[string]any{"kind": "personal", "delegate_id": delegateID})
	// Ingestion is the owner's choice: off by default.
	env.Post(p.supervisor, "/mailboxes/"+id+"/fetch", nil).Expect(t, http.StatusUnprocessableEntity)
	env.Patch(p.supervisor, "/mailboxes/"+id, `"1"`, map[string]any{"ingestion_enabled": true}).Expect(t, http.StatusOK)
	mt.mustFetch(t, id)
	mt.deliver(t, "perso", "INBOX", eml("m.loubet@example.fr", "perso@guichet.example", "Confidentiel", "perso-1@example.fr", "Entre nous."))
	mt.mustFetch(t, id)
	items := mt.items(t, p.supervisor, id, "")
	if len(items) != 1 || items[0].RoutingReason != "personal" || items[0].TicketID != nil {
		t.Fatalf("the owner's private queue: %+v", items)
	}
	msg := items[0].MessageID
	for _, token := range []string{env.Admin, p.manager, p.agent, delegate} {
		env.Get(token, "/mailboxes/"+id+"/items").Expect(t, http.StatusNotFound)
		env.Get(token, "/mail-messages/"+msg).Expect(t, http.StatusNotFound)
		env.Get(token, "/mail-messages/"+msg+"/raw").Expect(t, http.StatusNotFound)
		env.Post(token, "/mailboxes/"+id+"/fetch", nil).Expect(t, http.StatusNotFound)
	}
	env.Get(p.supervisor, "/mail-messages/"+msg+"/raw").Expect(t, http.StatusOK)
	// During the owner's absence the delegate reads, audited for the owner.
	now := env.Clock.Now()
	env.Post(p.supervisor, "/agents/"+p.supervisorID+"/absences", map[string]any{"starts_at": now.Add(-time.Hour),
		"ends_at": now.Add(48 * time.Hour), "reason": "Congés"}).Expect(t, http.StatusCreated)
	env.Get(delegate, "/mail-messages/"+msg).Expect(t, http.StatusOK)
	var trail struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	env.Get(p.supervisor, "/mailboxes/"+id+"/audit-events").Expect(t, http.StatusOK).JSON(t, &trail)
	if len(trail.Items) == 0 || trail.Items[0].Action != "read_mail" {
		t.Fatalf("the delegate's read is not in the owner's trail: %+v", trail.Items)
	}
	all := env.Get(env.Admin, "/audit-events?limit=200").Expect(t, http.StatusOK)
	if strings.Contains(string(all.Body), msg) {
		t.Fatal("a personal mailbox's mail shows in the general audit trail")
	}
}
