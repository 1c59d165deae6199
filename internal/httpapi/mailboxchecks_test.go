package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/testdb"
)

type checkSlot struct {
	At           time.Time `json:"at"`
	Status       string    `json:"status"`
	CheckedBy    *string   `json:"checked_by"`
	ExemptReason *string   `json:"exempt_reason"`
}

func slotsOf(t *testing.T, env *apitest.Env, token, id, from, to string) []string {
	t.Helper()
	var list struct {
		Items []checkSlot `json:"items"`
	}
	env.Get(token, "/mailboxes/"+id+"/check-slots?from="+from+"&to="+to).Expect(t, http.StatusOK).JSON(t, &list)
	out := make([]string, len(list.Items))
	for i, s := range list.Items {
		out[i] = s.At.In(parisTZ).Format("Mon 15:04") + " " + s.Status
	}
	return out
}

var parisTZ, _ = time.LoadLocation("Europe/Paris")

// nextWorkingMonday is 08:00 in Paris on the first Monday after now whose
// Tuesday is a working day too (no public holiday in the scenario).
func nextWorkingMonday(now time.Time) time.Time {
	cal := calendar.Default()
	d := now.In(parisTZ)
	for {
		d = d.AddDate(0, 0, 1)
		m := time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, parisTZ)
		if m.Weekday() == time.Monday && cal.IsBusinessDay(m) && cal.IsBusinessDay(m.AddDate(0, 0, 1)) {
			return m
		}
	}
}

// « Vérifier la boîte à l'arrivée, en début d'après-midi et avant de
// partir »: checks meet slots, a missed slot alerts the responsible once,
// and slots when everyone in charge is away are exempt.
func TestMailboxChecks(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		// Next Monday, 08:00 in Paris; access tokens last 15 minutes, so
		// every step logs in again at the new time.
		monday := nextWorkingMonday(time.Now())
		day := func(d time.Time) string { return d.UTC().Format(time.RFC3339) }
		at := func(d time.Duration) string { return day(monday.Add(d)) }
		env.Clock.Set(monday)
		env.Admin = env.Login("admin", apitest.AdminPassword).AccessToken
		p := team(t, env)
		backupID, _ := env.Agent("backup", "supervisor")
		login := func(user string) string { return env.Login(user, "password-"+user).AccessToken }
		var backup string
		relog := func() {
			p.agent, p.manager, p.supervisor, backup = login("accueil"), login("gerant"), login("encadrante"), login("backup")
		}
		box := createMailbox(t, env, p.manager, map[string]any{"kind": "shared", "purpose": "contact", "name": "Contact",
			"address": "contact@example.fr", "responsible_id": p.agentID, "backup_id": backupID})
		checks := "/mailboxes/" + box.ID + "/checks"

		env.Clock.Set(monday.Add(55 * time.Minute))
		relog()
		first := env.Post(p.agent, checks, map[string]any{"note": "Boîte vue"}).Expect(t, http.StatusCreated).Map(t)
		if first["slot_at"] != at(time.Hour) {
			t.Fatalf("the 08:55 check should meet the 09:00 slot: %v", first)
		}
		// Not in charge: 403, even a manager.
		env.Post(p.manager, checks, nil).Expect(t, http.StatusForbidden)
		env.Post(p.supervisor, checks, nil).Expect(t, http.StatusForbidden)

		env.Clock.Set(monday.Add(6*time.Hour + 20*time.Minute)) // 14:20
		relog()
		second := env.Post(backup, checks, nil).Expect(t, http.StatusCreated).Map(t)
		if second["slot_at"] != at(6*time.Hour) {
			t.Fatalf("the 14:20 check should meet the 14:00 slot: %v", second)
		}
		env.Clock.Set(monday.Add(10*time.Hour + 10*time.Minute)) // 18:10
		relog()
		got := slotsOf(t, env, p.agent, box.ID, at(-8*time.Hour), at(16*time.Hour))
		if strings.Join(got, ",") != "Mon 09:00 met,Mon 14:00 met,Mon 17:30 missed" {
			t.Fatalf("slots: %q", got)
		}
		// The sweep (a periodic River job) alerts the responsible once.
		ctx := context.Background()
		for range 2 {
			if _, err := env.Main.Store.SweepMissedChecks(ctx); err != nil {
				t.Fatal(err)
			}
		}
		alerts := 0
		for _, n := range myNotifications(t, env, p.agent) {
			if n.Kind == "missed_check" {
				alerts++
			}
		}
		if alerts != 1 {
			t.Fatalf("the responsible got %d missed-check alerts, want 1", alerts)
		}

		// Tuesday: both in charge are away in the morning, the responsible all day.
		tuesday := monday.Add(24 * time.Hour)
		env.Post(p.agent, "/agents/"+p.agentID+"/absences", map[string]any{"starts_at": tuesday.Add(-time.Hour),
			"ends_at": tuesday.Add(20 * time.Hour), "reason": "Formation"}).Expect(t, http.StatusCreated)
		env.Post(backup, "/agents/"+backupID+"/absences", map[string]any{"starts_at": tuesday.Add(-time.Hour),
			"ends_at": tuesday.Add(4 * time.Hour), "reason": "Médecin"}).Expect(t, http.StatusCreated)
		env.Clock.Set(tuesday.Add(7 * time.Hour)) // 15:00
		relog()
		got = slotsOf(t, env, backup, box.ID, at(16*time.Hour), at(40*time.Hour))
		if strings.Join(got, ",") != "Tue 09:00 exempt,Tue 14:00 missed,Tue 17:30 pending" {
			t.Fatalf("slots: %q", got)
		}
		// The responsible is away: the backup hears of the missed 14:00 check.
		if _, err := env.Main.Store.SweepMissedChecks(ctx); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range myNotifications(t, env, backup) {
			found = found || n.Kind == "missed_check"
		}
		if !found {
			t.Fatal("the backup was not alerted while the responsible is away")
		}

		// A personal mailbox's checks are its owner's; others get 404.
		own := createMailbox(t, env, p.supervisor, map[string]any{"kind": "personal", "name": "Perso", "address": "perso@example.fr"})
		env.Post(p.agent, "/mailboxes/"+own.ID+"/checks", nil).Expect(t, http.StatusNotFound)
		env.Get(p.agent, "/mailboxes/"+own.ID+"/check-slots").Expect(t, http.StatusNotFound)
		env.Post(p.supervisor, "/mailboxes/"+own.ID+"/checks", nil).Expect(t, http.StatusCreated)
		// A period longer than 31 days, or reversed, is refused.
		env.Get(p.agent, "/mailboxes/"+box.ID+"/check-slots?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z").Expect(t, http.StatusUnprocessableEntity)
		env.Get(p.agent, "/mailboxes/"+box.ID+"/check-slots?from=2026-03-01T00:00:00Z&to=2026-01-01T00:00:00Z").Expect(t, http.StatusUnprocessableEntity)
	})
}
