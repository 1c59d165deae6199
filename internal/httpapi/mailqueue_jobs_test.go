package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/testdb"
)

// « Archivés sur la boîte email »: once processed, the mail moves to the
// mailbox's archive folder on the IMAP server, and is not ingested again.
func TestMailQueueArchive(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		p := mt.p
		id := mt.box(t, p.manager, "archive", map[string]any{"kind": "shared", "purpose": "support",
			"responsible_id": p.agentID, "auto_tickets": false})
		if err := mt.srv.CreateFolder("archive", "Archives"); err != nil {
			t.Fatal(err)
		}
		setImap(t, mt, id, map[string]any{"archive_folder": "Archives"})
		mt.mustFetch(t, id)
		it := mt.queueMail(t, p.agent, "archive", id, "m.loubet@example.fr", "À archiver")
		kept := mt.queueMail(t, p.agent, "archive", id, "m.loubet@example.fr", "Encore en file")
		itemAction(t, env, p.agent, it.ID, "claim", nil).Expect(t, http.StatusOK)
		var out queueItem
		itemAction(t, env, p.agent, it.ID, "process", map[string]any{"close_reason": "Information"}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Archive == nil || out.Archive.State != "pending" {
			t.Fatalf("processing enqueues the archive move: %+v", out.Archive)
		}
		if got := waitArchive(t, env, p.agent, it.ID); got.Archive.State != "archived" {
			t.Fatalf("archive move: %+v %v", got.Archive, deref(got.Archive.Error))
		}
		assertFolder(t, mt, "INBOX", []string{"Encore en file"}, []string{"À archiver"})
		assertFolder(t, mt, "Archives", []string{"À archiver"}, []string{"Encore en file"})
		if it := itemBySubject(t, mt.items(t, p.agent, id, ""), "Encore en file"); it.Status != "new" || it.ID != kept.ID {
			t.Fatalf("an unprocessed mail stays: %+v", it)
		}
		mt.mustFetch(t, id)
		if n := len(mt.items(t, p.agent, id, "")); n != 2 {
			t.Fatalf("the archived mail came back: %d items", n)
		}
		// With the archive folder ingested too, the moved mail is fetched
		// there and known by its Message-ID: one message, one item.
		setImap(t, mt, id, map[string]any{"archive_folder": "Archives", "folders": []string{"INBOX", "Archives"}})
		mt.mustFetch(t, id)
		third := mt.queueMail(t, p.agent, "archive", id, "m.loubet@example.fr", "Archivé et relu")
		itemAction(t, env, p.agent, third.ID, "claim", nil).Expect(t, http.StatusOK)
		itemAction(t, env, p.agent, third.ID, "process", map[string]any{"close_reason": "Information"}).Expect(t, http.StatusOK)
		if got := waitArchive(t, env, p.agent, third.ID); got.Archive.State != "archived" {
			t.Fatalf("archive move: %+v %v", got.Archive, deref(got.Archive.Error))
		}
		mt.mustFetch(t, id)
		if n := countRows(t, env, "mail_locations", "mail_message_id = ? AND folder = 'Archives'", third.MessageID); n != 1 {
			t.Fatalf("the archived mail was not fetched from Archives (%d)", n)
		}
		if n := len(mt.items(t, p.agent, id, "")); n != 3 || countRows(t, env, "mail_messages", "subject = ?", "Archivé et relu") != 1 {
			t.Fatalf("the archived mail came back as new: %d items", n)
		}
		if it := itemBySubject(t, mt.items(t, p.agent, id, ""), "Archivé et relu"); it.Status != "processed" {
			t.Fatalf("re-ingesting the archive changed the item: %+v", it)
		}
		// A move to a folder that does not exist fails for good, visibly.
		setImap(t, mt, id, map[string]any{"archive_folder": "Nulle-part"})
		itemAction(t, env, p.agent, kept.ID, "claim", nil).Expect(t, http.StatusOK)
		itemAction(t, env, p.agent, kept.ID, "process", map[string]any{"close_reason": "Doublon"}).Expect(t, http.StatusOK)
		if got := waitArchive(t, env, p.agent, kept.ID); got.Archive.State != "failed" || got.Archive.Error == nil {
			t.Fatalf("a missing archive folder: %+v", got.Archive)
		}
		assertFolder(t, mt, "INBOX", []string{"Encore en file"}, nil)
		// A folder renumbered since ingestion (new UIDVALIDITY): its UID
		// may name another mail now, so nothing is moved.
		setImap(t, mt, id, map[string]any{"archive_folder": "Archives"})
		renum := mt.queueMail(t, p.agent, "archive", id, "m.loubet@example.fr", "Dossier renuméroté")
		// The settings' change queued a fetch of its own: were it to run
		// after the reset, it would resynchronise the location by
		// Message-ID, and the move would then rightly succeed.
		mt.quiesce(t)
		if _, err := mt.srv.ResetUIDValidity("archive", "INBOX"); err != nil {
			t.Fatal(err)
		}
		itemAction(t, env, p.agent, renum.ID, "claim", nil).Expect(t, http.StatusOK)
		itemAction(t, env, p.agent, renum.ID, "process", map[string]any{"close_reason": "Information"}).Expect(t, http.StatusOK)
		if got := waitArchive(t, env, p.agent, renum.ID); got.Archive.State != "failed" || !strings.Contains(deref(got.Archive.Error), "UIDVALIDITY") {
			t.Fatalf("a renumbered folder: %+v %s", got.Archive, deref(got.Archive.Error))
		}
		assertFolder(t, mt, "INBOX", []string{"Encore en file", "Dossier renuméroté"}, nil)
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// setImap replaces the mailbox's IMAP settings (same account) with extra.
func setImap(t *testing.T, mt *mailTest, id string, extra map[string]any) {
	t.Helper()
	var m struct {
		Imap struct {
			Username string `json:"username"`
		} `json:"imap"`
	}
	r := mt.env.Get(mt.p.manager, "/mailboxes/"+id).Expect(t, http.StatusOK)
	r.JSON(t, &m)
	imap := map[string]any{"host": mt.srv.Host, "port": mt.srv.Port, "security": "none", "username": m.Imap.Username,
		"fetch_interval_seconds": 3600}
	for k, v := range extra {
		imap[k] = v
	}
	mt.env.Patch(mt.p.manager, "/mailboxes/"+id, r.Header.Get("ETag"), map[string]any{"imap": imap}).Expect(t, http.StatusOK)
}

// assertFolder checks which subjects the server's folder holds.
func assertFolder(t *testing.T, mt *mailTest, folder string, in, out []string) {
	t.Helper()
	msgs, err := mt.srv.Messages("archive", folder)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, m := range msgs {
		all.Write(m.Raw)
	}
	for _, s := range in {
		if !strings.Contains(all.String(), "Subject: "+s) {
			t.Errorf("%s lacks %q", folder, s)
		}
	}
	for _, s := range out {
		if strings.Contains(all.String(), "Subject: "+s) {
			t.Errorf("%s still holds %q", folder, s)
		}
	}
}

// « Le/la responsable de la file est garante du traitement ; il/elle est
// en charge de relancer si le mail n'est pas traité »: the holder is
// reminded, then whoever is in charge, once each.
func TestMailQueueReminders(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		p := mt.p
		backupID, _ := env.Agent("secours", "agent")
		env.Agent("collegue", "agent")
		id := mt.box(t, p.manager, "relances", map[string]any{"kind": "shared", "purpose": "support",
			"responsible_id": p.agentID, "backup_id": backupID, "auto_tickets": false, "queue_reminder_minutes": 60})
		var shown struct {
			QueueReminderMinutes int `json:"queue_reminder_minutes"`
		}
		env.Get(p.manager, "/mailboxes/"+id).Expect(t, http.StatusOK).JSON(t, &shown)
		if shown.QueueReminderMinutes != 60 {
			t.Fatalf("queue_reminder_minutes: %+v", shown)
		}
		box := createMailbox(t, env, p.manager, map[string]any{"kind": "shared", "purpose": "autre", "name": "Autre",
			"address": "autre@guichet.example", "responsible_id": p.agentID})
		env.Get(p.manager, "/mailboxes/"+box.ID).Expect(t, http.StatusOK).JSON(t, &shown)
		if shown.QueueReminderMinutes != 240 {
			t.Fatalf("the default delay is four hours: %+v", shown)
		}
		env.Patch(p.manager, "/mailboxes/"+box.ID, `"1"`, map[string]any{"queue_reminder_minutes": -1}).Expect(t, http.StatusBadRequest)
		env.Patch(p.manager, "/mailboxes/"+box.ID, `"1"`, map[string]any{"queue_reminder_minutes": 0}).Expect(t, http.StatusOK).JSON(t, &shown)
		if shown.QueueReminderMinutes != 0 {
			t.Fatalf("reminders turned off: %+v", shown)
		}
		mt.mustFetch(t, id)
		claimed := mt.queueMail(t, p.agent, "relances", id, "m.loubet@example.fr", "Pris mais oublié")
		mt.queueMail(t, p.agent, "relances", id, "m.loubet@example.fr", "Personne ne l'a pris")
		done := mt.queueMail(t, p.agent, "relances", id, "m.loubet@example.fr", "Traité à temps")
		colleagueToken := loginAgent(t, env, "collegue")
		itemAction(t, env, colleagueToken, claimed.ID, "claim", nil).Expect(t, http.StatusOK)
		itemAction(t, env, colleagueToken, done.ID, "claim", nil).Expect(t, http.StatusOK)
		itemAction(t, env, colleagueToken, done.ID, "process", map[string]any{"close_reason": "Information"}).Expect(t, http.StatusOK)

		sweep := func() {
			t.Helper()
			for range 2 { // two sweeps (two replicas) remind once
				if _, err := env.Main.Store.SweepQueueReminders(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func(user string) []agentNotification {
			t.Helper()
			return queueNotifications(t, env, loginAgent(t, env, user), "reminder")
		}
		sweep()
		if n := len(count("collegue")) + len(count("accueil")); n != 0 {
			t.Fatalf("%d reminders before the delay", n)
		}
		env.Clock.Advance(61 * time.Minute)
		sweep()
		holder, responsible := count("collegue"), count("accueil")
		if len(holder) != 1 || !strings.Contains(holder[0].Message, "Pris mais oublié") {
			t.Fatalf("the holder is reminded once: %+v", holder)
		}
		// An unclaimed item has no holder: straight to the responsible.
		if len(responsible) != 1 || !strings.Contains(responsible[0].Message, "Personne ne l'a pris") {
			t.Fatalf("the responsible hears of the unclaimed item: %+v", responsible)
		}
		// During the responsible's absence the backup is told instead.
		now := env.Clock.Now()
		env.Post(loginAgent(t, env, "accueil"), "/agents/"+p.agentID+"/absences", map[string]any{"starts_at": now,
			"ends_at": now.Add(24 * time.Hour), "reason": "Congés"}).Expect(t, http.StatusCreated)
		env.Clock.Advance(61 * time.Minute)
		sweep()
		if r, h, s := count("accueil"), count("collegue"), count("secours"); len(r) != 1 || len(h) != 1 || len(s) != 1 ||
			!strings.Contains(s[0].Message, "Pris mais oublié") || !strings.Contains(s[0].Message, "collegue") {
			t.Fatalf("second stage: responsible %+v holder %+v backup %+v", r, h, s)
		}
		// Every stage reached: nothing more, and never for a processed item.
		env.Clock.Advance(5 * time.Hour)
		sweep()
		if r, h, s := count("accueil"), count("collegue"), count("secours"); len(r)+len(h)+len(s) != 3 {
			t.Fatalf("reminders after the last stage: %d %d %d", len(r), len(h), len(s))
		}
	})
}

// loginAgent logs an agent of the tests in at the clock's current time.
func loginAgent(t *testing.T, env *apitest.Env, user string) string {
	t.Helper()
	return env.Login(user, "password-"+user).AccessToken
}
