package httpapi_test

import (
	"net/http"
	"testing"
)

// oneBatch: mails fetched together are stored in one transaction, which
// reads their known Message-IDs and their senders once. What an earlier
// mail of the batch stored must count for the later ones: the unknown
// sender's second mail finds the contact its first created, a second copy
// of a mail is one message in two places, and a known sender's ticket
// takes the contact's organisation.
func oneBatch(t *testing.T, mt *mailTest, contact string) {
	env, p := mt.env, mt.p
	mt.mustFetch(t, contact) // a new mailbox starts at the end of its folders
	var org struct {
		ID string `json:"id"`
	}
	env.Post(p.agent, "/organisations", map[string]any{"name": "Cabinet Hoarau"}).Expect(t, http.StatusCreated).JSON(t, &org)
	env.Post(p.agent, "/contacts", map[string]any{"first_name": "Jean", "last_name": "HOARAU", "email": "jean@cabinet-hoarau.re",
		"organisation_id": org.ID}).Expect(t, http.StatusCreated)

	first := eml("Nina Neuve <nina@neuve.fr>", "contact@guichet.example", "Premier envoi", "batch-1@neuve.fr", "Bonjour.")
	mt.deliver(t, "contact", "INBOX", first)
	mt.deliver(t, "contact", "INBOX", eml("nina@neuve.fr", "contact@guichet.example", "Second envoi", "batch-2@neuve.fr", "Encore moi."))
	mt.deliver(t, "contact", "INBOX", first) // the same mail, a second copy
	mt.deliver(t, "contact", "INBOX", eml("jean@cabinet-hoarau.re", "contact@guichet.example", "Avec sa structure",
		"batch-3@cabinet-hoarau.re", "Bonjour."))
	if res := mt.mustFetch(t, contact); res.Mails != 4 {
		t.Fatalf("one fetch: %+v", res)
	}

	if n := countRows(t, env, "contacts", "email = ?", "nina@neuve.fr"); n != 1 {
		t.Fatalf("the unknown sender became %d contacts", n)
	}
	items := mt.items(t, p.agent, contact, "")
	one, two := itemBySubject(t, items, "Premier envoi"), itemBySubject(t, items, "Second envoi")
	t1, t2 := getTicket(t, env, p.agent, *one.TicketID), getTicket(t, env, p.agent, *two.TicketID)
	if t1.ContactID == nil || t2.ContactID == nil || *t1.ContactID != *t2.ContactID {
		t.Fatalf("one sender, two contacts: %v %v", t1.ContactID, t2.ContactID)
	}
	if n := countRows(t, env, "mail_messages", "message_id = ?", "batch-1@neuve.fr"); n != 1 {
		t.Fatalf("two copies of a mail gave %d messages", n)
	}
	if n := countRows(t, env, "mail_locations", "mail_message_id = ?", one.MessageID); n != 2 {
		t.Fatalf("two copies of a mail, %d locations", n)
	}
	if n := countRows(t, env, "mail_items", "mail_message_id = ?", one.MessageID); n != 1 {
		t.Fatalf("two copies of a mail, %d queue items", n)
	}
	hoarau := itemBySubject(t, items, "Avec sa structure")
	var tk struct {
		OrganisationID *string `json:"organisation_id"`
	}
	env.Get(p.agent, "/tickets/"+*hoarau.TicketID).Expect(t, http.StatusOK).JSON(t, &tk)
	if tk.OrganisationID == nil || *tk.OrganisationID != org.ID {
		t.Fatalf("the known sender's ticket has organisation %v, want %s", tk.OrganisationID, org.ID)
	}
}
