package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/testdb"
)

type watchedReport struct {
	WatchedFolders *[]struct {
		Folder   string     `json:"folder"`
		Messages int        `json:"messages"`
		OldestAt *time.Time `json:"oldest_at"`
		Error    *string    `json:"error"`
	} `json:"watched_folders"`
	WatchedFoldersError *string `json:"watched_folders_error"`
}

// « Le/la responsable est en charge de surveiller/vider les dossiers spam,
// commercial, réseaux sociaux et promotions »: a check tells the person in
// charge what waits there, and a server that is down never stops a check.
func TestCheckReportsWatchedFoldersToWhoEmptiesThem(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		p := mt.p
		backupID, backup := env.Agent("backup", "supervisor")
		contact := mt.box(t, p.manager, "contact", map[string]any{"kind": "shared", "purpose": "contact",
			"responsible_id": p.agentID, "backup_id": backupID,
			"watched_folders": []string{"Spam", "Promotions", "Réseaux sociaux"}})
		for _, f := range []string{"Spam", "Promotions"} {
			if err := mt.srv.CreateFolder("contact", f); err != nil {
				t.Fatal(err)
			}
		}
		oldest := time.Date(2026, 11, 20, 17, 42, 0, 0, time.UTC)
		for i, subject := range []string{"Gagnez un iPhone", "Offre exclusive"} {
			raw := eml("promo@spam.example", "contact@guichet.example", subject, "", "…")
			if _, err := mt.srv.Append("contact", "Spam", raw, oldest.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}

		var r watchedReport
		env.Post(p.agent, "/mailboxes/"+contact+"/checks", map[string]any{"note": "Matin"}).
			Expect(t, http.StatusCreated).JSON(t, &r)
		if r.WatchedFolders == nil || len(*r.WatchedFolders) != 3 || r.WatchedFoldersError != nil {
			t.Fatalf("responsible's report: %+v", r)
		}
		spam, promo, social := (*r.WatchedFolders)[0], (*r.WatchedFolders)[1], (*r.WatchedFolders)[2]
		if spam.Folder != "Spam" || spam.Messages != 2 || spam.OldestAt == nil || !spam.OldestAt.Equal(oldest) {
			t.Errorf("Spam: %+v", spam)
		}
		if promo.Messages != 0 || promo.OldestAt != nil || promo.Error != nil {
			t.Errorf("Promotions: %+v", promo)
		}
		if social.Error == nil {
			t.Errorf("a folder missing on the server should say so: %+v", social)
		}
		msgs, err := mt.srv.Messages("contact", "Spam")
		if err != nil || len(msgs) != 2 || msgs[0].Seen() || msgs[1].Seen() {
			t.Errorf("the survey must leave the spam folder as it was: %v %v", msgs, err)
		}

		// The backup records checks, but empties the folders only while the
		// responsible is away.
		r = watchedReport{}
		env.Post(backup, "/mailboxes/"+contact+"/checks", nil).Expect(t, http.StatusCreated).JSON(t, &r)
		if r.WatchedFolders != nil {
			t.Fatalf("the backup got the report while the responsible is here: %+v", r)
		}
		now := env.Clock.Now()
		env.Post(p.agent, "/agents/"+p.agentID+"/absences", map[string]any{"starts_at": now.Add(-time.Minute),
			"ends_at": now.Add(8 * time.Hour), "reason": "Congés"}).Expect(t, http.StatusCreated)
		env.Post(backup, "/mailboxes/"+contact+"/checks", nil).Expect(t, http.StatusCreated).JSON(t, &r)
		if r.WatchedFolders == nil || (*r.WatchedFolders)[0].Messages != 2 {
			t.Fatalf("the backup standing in should get the report: %+v", r)
		}

		// A personal mailbox's owner empties their own folders.
		ownerID, owner := env.Agent("perso", "agent")
		perso := mt.box(t, owner, "perso", map[string]any{"kind": "personal", "watched_folders": []string{"Spam"}})
		if err := mt.srv.CreateFolder("perso", "Spam"); err != nil {
			t.Fatal(err)
		}
		r = watchedReport{}
		env.Post(owner, "/mailboxes/"+perso+"/checks", nil).Expect(t, http.StatusCreated).JSON(t, &r)
		if r.WatchedFolders == nil || (*r.WatchedFolders)[0].Messages != 0 {
			t.Fatalf("owner %s's report: %+v", ownerID, r)
		}

		// The server is down: the check is recorded all the same.
		mt.srv.Close()
		r = watchedReport{}
		began := time.Now()
		env.Post(owner, "/mailboxes/"+perso+"/checks", nil).Expect(t, http.StatusCreated).JSON(t, &r)
		if r.WatchedFoldersError == nil || r.WatchedFolders != nil || time.Since(began) > 6*time.Second {
			t.Fatalf("with the server down: %+v after %s", r, time.Since(began))
		}
		if n := countRows(t, env, "mailbox_checks", "mailbox_id = '"+perso+"'"); n != 2 {
			t.Fatalf("%d checks recorded on the personal mailbox, want 2", n)
		}
	})
}
