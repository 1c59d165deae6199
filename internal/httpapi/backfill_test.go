package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/testdb"
)

// A new mailbox with backfill_since imports the mail received since that
// date, older mail excluded, without automatic actions: no response clock
// (hence no past-due alert) and no queue reminder; mail arriving after
// the start is handled as usual.
func TestBackfillImportsOldMailWithoutAutomaticActions(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		p := mt.p
		now := env.Clock.Now()
		since := now.AddDate(0, 0, -3)
		if err := mt.srv.AddUser("archives", "pw-archives"); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			subject string
			at      time.Time
		}{{"Trop ancien", now.AddDate(0, 0, -10)}, {"Avant-hier", now.AddDate(0, 0, -2)}} {
			raw := eml("m.loubet@example.fr", "archives@guichet.example", m.subject, m.subject+"@example.fr", "Bonjour.")
			if _, err := mt.srv.Append("archives", "INBOX", raw, m.at); err != nil {
				t.Fatal(err)
			}
		}
		// The mail is on the server before the mailbox exists.
		box := createMailbox(t, env, p.manager, map[string]any{"kind": "shared", "purpose": "contact", "name": "Archives",
			"address": "archives@guichet.example", "responsible_id": p.agentID, "queue_reminder_minutes": 60,
			"backfill_since": since.In(parisTZ).Format(time.DateOnly),
			"imap": map[string]any{"host": mt.srv.Host, "port": mt.srv.Port, "security": "none", "username": "archives",
				"password": "pw-archives", "fetch_interval_seconds": 3600}}).ID
		mt.mustFetch(t, box)
		items := mt.items(t, p.agent, box, "")
		if len(items) != 1 || items[0].Subject != "Avant-hier" {
			t.Fatalf("backfill imported %+v, want the mail of the last three days only", items)
		}
		old := mt.env.Get(p.agent, "/mail-messages/"+items[0].MessageID).Expect(t, http.StatusOK).Map(t)
		if old["backfill"] != true || items[0].TicketID == nil {
			t.Fatalf("backfilled mail: %v (ticket %v)", old, items[0].TicketID)
		}
		if tk := env.Get(p.agent, "/tickets/"+*items[0].TicketID).Expect(t, http.StatusOK).Map(t); tk["due_at"] != nil {
			t.Fatalf("old mail must not start a response clock: due %v", tk["due_at"])
		}

		mt.deliver(t, "archives", "INBOX", eml("m.loubet@example.fr", "archives@guichet.example", "Nouveau", "nouveau@example.fr", "Bonjour."))
		mt.mustFetch(t, box)
		fresh := itemBySubject(t, mt.items(t, p.agent, box, ""), "Nouveau")
		if tk := env.Get(p.agent, "/tickets/"+*fresh.TicketID).Expect(t, http.StatusOK).Map(t); tk["due_at"] == nil {
			t.Fatal("new mail starts its response clock")
		}
		env.Clock.Advance(2 * time.Hour)
		if _, err := env.Main.Store.SweepQueueReminders(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := queueNotifications(t, env, loginAgent(t, env, "accueil"), "reminder")
		if len(got) != 1 {
			t.Fatalf("reminders %+v, want one, for the new mail only", got)
		}
	})
}
