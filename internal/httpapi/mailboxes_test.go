package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

type mailbox struct {
	ID               string  `json:"id"`
	Kind             string  `json:"kind"`
	Purpose          *string `json:"purpose"`
	Address          string  `json:"address"`
	OwnerID          *string `json:"owner_id"`
	ResponsibleID    *string `json:"responsible_id"`
	IngestionEnabled bool    `json:"ingestion_enabled"`
	AutoTickets      bool    `json:"auto_tickets"`
	Imap             *struct {
		Port        int      `json:"port"`
		Security    string   `json:"security"`
		PasswordSet bool     `json:"password_set"`
		Folders     []string `json:"folders"`
		SentFolder  string   `json:"sent_folder"`
	} `json:"imap"`
	CheckSchedule struct {
		Times        []string `json:"times"`
		GraceMinutes int      `json:"grace_minutes"`
	} `json:"check_schedule"`
	Version int `json:"version"`
}

func createMailbox(t testing.TB, env *apitest.Env, token string, body map[string]any) mailbox {
	t.Helper()
	var m mailbox
	env.Post(token, "/mailboxes", body).Expect(t, http.StatusCreated).JSON(t, &m)
	return m
}

// « Les mails partagés ne vont jamais dans les boîtes personnelles » and
// « une boîte personnelle est confidentielle »: the rules of procedure #46
// about who sees which mailbox.
func TestMailboxes(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		backupID, _ := env.Agent("backup", "supervisor")
		t.Run("SharedMailboxDefaultsAndSecrets", func(t *testing.T) { sharedMailbox(t, env, p, backupID) })
		t.Run("PersonalMailboxIsItsOwnersAlone", func(t *testing.T) { personalMailbox(t, env, p) })
		t.Run("BadInput", func(t *testing.T) { mailboxBadInput(t, env, p, backupID) })
	})
}

func sharedMailbox(t *testing.T, env *apitest.Env, p people, backupID string) {
	body := map[string]any{"kind": "shared", "purpose": "contact", "name": "Contact", "address": "Contact@Example.fr",
		"responsible_id": p.agentID, "backup_id": backupID,
		"imap": map[string]any{"host": "imap.example.fr", "username": "contact@example.fr", "password": "s3cret-imap"}}
	// Only managers and admins create a shared mailbox.
	env.Post(p.supervisor, "/mailboxes", body).Expect(t, http.StatusForbidden)
	m := createMailbox(t, env, p.manager, body)
	if m.Address != "contact@example.fr" || !m.IngestionEnabled || !m.AutoTickets || m.Imap == nil {
		t.Fatalf("defaults: %+v", m)
	}
	if m.Imap.Port != 993 || m.Imap.Security != "tls" || !m.Imap.PasswordSet || m.Imap.SentFolder != "Sent" ||
		len(m.Imap.Folders) != 1 || m.Imap.Folders[0] != "INBOX" {
		t.Fatalf("imap defaults: %+v", *m.Imap)
	}
	if strings.Join(m.CheckSchedule.Times, ",") != "09:00,14:00,17:30" || m.CheckSchedule.GraceMinutes != 30 {
		t.Fatalf("check schedule: %+v", m.CheckSchedule)
	}
	// The password never comes back, neither in the mailbox nor in the audit trail.
	raw := env.Get(p.agent, "/mailboxes/"+m.ID).Expect(t, http.StatusOK)
	if strings.Contains(string(raw.Body), "s3cret") {
		t.Fatal("the password leaks in the mailbox")
	}
	audit := env.Get(env.Admin, "/audit-events?entity_type=mailbox&entity_id="+m.ID).Expect(t, http.StatusOK)
	if strings.Contains(string(audit.Body), "s3cret") || !strings.Contains(string(audit.Body), `"create"`) {
		t.Fatalf("audit: %s", audit.Body)
	}
	// Every agent sees a shared mailbox; only managers change it.
	env.Patch(p.agent, "/mailboxes/"+m.ID, `"1"`, map[string]any{"priority": 5}).Expect(t, http.StatusForbidden)
	// A PATCH without the password keeps it; null clears it.
	var up mailbox
	env.Patch(p.manager, "/mailboxes/"+m.ID, `"1"`, map[string]any{"imap": map[string]any{"host": "imap2.example.fr",
		"username": "contact@example.fr", "security": "starttls"}}).Expect(t, http.StatusOK).JSON(t, &up)
	if !up.Imap.PasswordSet || up.Imap.Port != 143 || up.Version != 2 {
		t.Fatalf("after update: %+v", *up.Imap)
	}
	env.Patch(p.manager, "/mailboxes/"+m.ID, `"2"`, map[string]any{"imap": map[string]any{"host": "imap2.example.fr",
		"username": "contact@example.fr", "password": nil}}).Expect(t, http.StatusOK).JSON(t, &up)
	if up.Imap.PasswordSet {
		t.Fatal("a null password should clear it")
	}
	env.Patch(p.manager, "/mailboxes/"+m.ID, `"2"`, map[string]any{"priority": 1}).Expect(t, http.StatusPreconditionFailed)
	// Compta is not a contact queue: no automatic tickets by default.
	compta := createMailbox(t, env, env.Admin, map[string]any{"kind": "shared", "purpose": "compta", "name": "Compta",
		"address": "compta@example.fr", "responsible_id": p.agentID})
	if compta.AutoTickets || !compta.IngestionEnabled {
		t.Fatalf("compta defaults: %+v", compta)
	}
}

func personalMailbox(t *testing.T, env *apitest.Env, p people) {
	// A colleague who will read it during the owner's absence.
	delegateID, delegate := env.Agent("collegue", "agent")
	m := createMailbox(t, env, p.supervisor, map[string]any{"kind": "personal", "name": "Boîte de l'encadrante",
		"address": "encadrante@example.fr", "delegate_id": delegateID,
		"imap": map[string]any{"host": "imap.example.fr", "username": "encadrante@example.fr", "password": "perso"}})
	if m.IngestionEnabled || m.AutoTickets || m.OwnerID == nil || *m.OwnerID != p.supervisorID {
		t.Fatalf("a personal mailbox starts with ingestion off: %+v", m)
	}
	// Nobody else sees it, admins included: 404, and it is not listed.
	for _, token := range []string{env.Admin, p.manager, p.agent, delegate} {
		env.Get(token, "/mailboxes/"+m.ID).Expect(t, http.StatusNotFound)
		env.Patch(token, "/mailboxes/"+m.ID, `"1"`, map[string]any{"ingestion_enabled": true}).Expect(t, http.StatusNotFound)
		env.Delete(token, "/mailboxes/"+m.ID, `"1"`).Expect(t, http.StatusNotFound)
		env.Get(token, "/mailboxes/"+m.ID+"/audit-events").Expect(t, http.StatusNotFound)
		if listed(t, env, token, m.ID) {
			t.Fatal("someone else's personal mailbox is listed")
		}
	}
	// Its audit entries are the owner's alone: not in the general trail.
	all := env.Get(env.Admin, "/audit-events?entity_type=mailbox&entity_id="+m.ID).Expect(t, http.StatusOK)
	if strings.Contains(string(all.Body), m.ID) {
		t.Fatal("a personal mailbox's audit shows in the general trail")
	}
	// The owner alone turns ingestion on.
	env.Patch(p.supervisor, "/mailboxes/"+m.ID, `"1"`, map[string]any{"ingestion_enabled": true}).Expect(t, http.StatusOK)
	if !listed(t, env, p.supervisor, m.ID) {
		t.Fatal("the owner does not see their mailbox")
	}
	// During the owner's declared absence the delegate reads it, and the read is audited for the owner.
	now := env.Clock.Now()
	absence := env.Post(p.supervisor, "/agents/"+p.supervisorID+"/absences", map[string]any{"starts_at": now.Add(-time.Hour),
		"ends_at": now.Add(48 * time.Hour), "reason": "Congés"}).Expect(t, http.StatusCreated).Map(t)["id"].(string)
	env.Get(delegate, "/mailboxes/"+m.ID).Expect(t, http.StatusOK)
	if !listed(t, env, delegate, m.ID) {
		t.Fatal("the delegate does not see the mailbox during the absence")
	}
	// A delegate reads; they do not change the box nor read its trail.
	env.Patch(delegate, "/mailboxes/"+m.ID, `"2"`, map[string]any{"ingestion_enabled": false}).Expect(t, http.StatusForbidden)
	env.Get(delegate, "/mailboxes/"+m.ID+"/audit-events").Expect(t, http.StatusForbidden)
	env.Get(env.Admin, "/mailboxes/"+m.ID).Expect(t, http.StatusNotFound)
	var trail struct {
		Items []struct {
			Action  string  `json:"action"`
			ActorID *string `json:"actor_id"`
		} `json:"items"`
	}
	env.Get(p.supervisor, "/mailboxes/"+m.ID+"/audit-events").Expect(t, http.StatusOK).JSON(t, &trail)
	if len(trail.Items) != 3 || trail.Items[0].Action != "read" || *trail.Items[0].ActorID != delegateID ||
		trail.Items[1].Action != "update" || trail.Items[2].Action != "create" {
		t.Fatalf("owner's trail: %+v", trail.Items)
	}
	// Once the owner is back (the absence is withdrawn), the delegate is out again.
	env.Delete(p.supervisor, "/agents/"+p.supervisorID+"/absences/"+absence, "").Expect(t, http.StatusNoContent)
	env.Get(delegate, "/mailboxes/"+m.ID).Expect(t, http.StatusNotFound)
	env.Delete(p.supervisor, "/mailboxes/"+m.ID, `"2"`).Expect(t, http.StatusNoContent)
	env.Get(p.supervisor, "/mailboxes/"+m.ID).Expect(t, http.StatusNotFound)
}

func listed(t *testing.T, env *apitest.Env, token, id string) bool {
	t.Helper()
	var page struct {
		Items []mailbox `json:"items"`
	}
	env.Get(token, "/mailboxes?limit=200").Expect(t, http.StatusOK).JSON(t, &page)
	for _, m := range page.Items {
		if m.ID == id {
			return true
		}
	}
	return false
}

func mailboxBadInput(t *testing.T, env *apitest.Env, p people, backupID string) {
	shared := func(extra map[string]any) map[string]any {
		body := map[string]any{"kind": "shared", "purpose": "sav", "name": "SAV", "address": "sav@example.fr", "responsible_id": p.agentID}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	cases := []struct {
		name  string
		token string
		body  map[string]any
		code  int
		field string
	}{
		{"SharedWithoutResponsible", p.manager, shared(map[string]any{"responsible_id": nil}), http.StatusBadRequest, ""},
		{"SharedWithoutPurpose", p.manager, shared(map[string]any{"purpose": nil}), http.StatusBadRequest, ""},
		{"UnknownResponsible", p.manager, shared(map[string]any{"responsible_id": "0193b2f0-7c1e-7a00-9000-00000000dead"}), http.StatusUnprocessableEntity, "responsible_id"},
		{"BackupIsTheResponsible", p.manager, shared(map[string]any{"backup_id": p.agentID}), http.StatusUnprocessableEntity, "backup_id"},
		{"SharedWithDelegate", p.manager, shared(map[string]any{"delegate_id": backupID}), http.StatusUnprocessableEntity, "delegate_id"},
		{"BadCheckTime", p.manager, shared(map[string]any{"check_schedule": map[string]any{"times": []string{"25:00"}, "grace_minutes": 30}}), http.StatusBadRequest, ""},
		{"RepeatedCheckTime", p.manager, shared(map[string]any{"check_schedule": map[string]any{"times": []string{"09:00", "09:00"}, "grace_minutes": 30}}), http.StatusUnprocessableEntity, "check_schedule"},
		{"UnknownField", p.manager, shared(map[string]any{"colour": "blue"}), http.StatusBadRequest, ""},
		{"PersonalWithPurpose", p.agent, map[string]any{"kind": "personal", "purpose": "contact", "name": "X", "address": "x@example.fr"}, http.StatusUnprocessableEntity, "kind"},
		{"PersonalAutoTickets", p.agent, map[string]any{"kind": "personal", "name": "X", "address": "x@example.fr", "auto_tickets": true}, http.StatusUnprocessableEntity, "auto_tickets"},
		{"OwnerAsDelegate", p.agent, map[string]any{"kind": "personal", "name": "X", "address": "x@example.fr", "delegate_id": p.agentID}, http.StatusUnprocessableEntity, "delegate_id"},
		{"BadPort", p.manager, shared(map[string]any{"imap": map[string]any{"host": "h", "username": "u", "port": 70000}}), http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Post(c.token, "/mailboxes", c.body).Expect(t, c.code)
			if c.field != "" {
				if f := fieldsOf(r.Problem(t)); len(f) == 0 || f[0] != c.field {
					t.Fatalf("fields %v, want %s", f, c.field)
				}
			}
		})
	}
	// Nothing was written: the address is still free.
	createMailbox(t, env, p.manager, shared(nil))
	env.Post(p.manager, "/mailboxes", shared(map[string]any{"address": "SAV@example.fr"})).Expect(t, http.StatusConflict)
}
