package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// slot is an appointment body for the contact with agentID, Paris times.
func slot(t *testing.T, contactID, agentID, from, to string) map[string]any {
	body := map[string]any{"contact_id": contactID, "starts_at": rfc(parisTime(t, from)), "ends_at": rfc(parisTime(t, to)),
		"reason": "Point sur le dossier"}
	if agentID != "" {
		body["agent_id"] = agentID
	}
	return body
}

func mustAppointment(t *testing.T, env *apitest.Env, token string, body map[string]any) appointment {
	t.Helper()
	var a appointment
	postAppointment(env, token, body).Expect(t, http.StatusCreated).JSON(t, &a)
	return a
}

// "Planning": one agent cannot be in two appointments at once.
func TestAppointmentConflictsAreRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		first := mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-24 10:00", "2026-11-24 11:00"))
		if first.AgentID != p.agentID || first.Status != "scheduled" || first.OutsideOpeningHours {
			t.Fatalf("created %+v", first)
		}
		t.Run("OverlapIs409NamingTheAppointment", func(t *testing.T) {
			for _, times := range [][2]string{{"2026-11-24 10:30", "2026-11-24 11:30"}, {"2026-11-24 09:00", "2026-11-24 12:00"},
				{"2026-11-24 10:15", "2026-11-24 10:45"}, {"2026-11-24 09:30", "2026-11-24 10:01"}} {
				r := postAppointment(env, p.supervisor, slot(t, p.contactID, p.agentID, times[0], times[1]))
				problem := expectProblem(t, r, http.StatusConflict, "conflict")
				if problem.Resource != "/appointments/"+first.ID || !strings.Contains(problem.Detail, first.ID) {
					t.Fatalf("%v: the problem does not name %s: %s", times, first.ID, r.Body)
				}
			}
		})
		t.Run("AdjacentAllowed", func(t *testing.T) {
			mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-24 11:00", "2026-11-24 11:30"))
			mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-24 09:30", "2026-11-24 10:00"))
		})
		t.Run("AnotherAgentAtTheSameTimeAllowed", func(t *testing.T) {
			mustAppointment(t, env, p.supervisor, slot(t, p.contactID, "", "2026-11-24 10:00", "2026-11-24 11:00"))
		})
		t.Run("CancelledDoesNotConflict", func(t *testing.T) {
			a := mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-25 14:00", "2026-11-25 15:00"))
			env.Patch(p.agent, "/appointments/"+a.ID, "", map[string]any{"status": "cancelled"}).Expect(t, http.StatusPreconditionRequired)
			env.Patch(p.agent, "/appointments/"+a.ID, `"7"`, map[string]any{"status": "cancelled"}).Expect(t, http.StatusPreconditionFailed)
			var cancelled appointment
			env.Patch(p.agent, "/appointments/"+a.ID, a.etag(), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK).JSON(t, &cancelled)
			if cancelled.Status != "cancelled" || cancelled.Version != 2 {
				t.Fatalf("cancelled %+v", cancelled)
			}
			again := mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-25 14:00", "2026-11-25 15:00"))
			expectProblem(t, env.Patch(p.agent, "/appointments/"+a.ID, cancelled.etag(), map[string]any{"status": "scheduled"}),
				http.StatusConflict, "conflict")
			// Moving onto another appointment is refused like creating it.
			moved := env.Patch(p.agent, "/appointments/"+first.ID, first.etag(), map[string]any{
				"starts_at": rfc(parisTime(t, "2026-11-25 14:30")), "ends_at": rfc(parisTime(t, "2026-11-25 15:30"))})
			if expectProblem(t, moved, http.StatusConflict, "conflict").Resource != "/appointments/"+again.ID {
				t.Fatalf("move onto %s: %s", again.ID, moved.Body)
			}
		})
		t.Run("BadTimesAndReferencesAre422AndNothingWritten", func(t *testing.T) {
			before := countRows(t, env, "appointments", "")
			cases := []struct {
				body  map[string]any
				field string
			}{
				{slot(t, p.contactID, "", "2026-11-26 11:00", "2026-11-26 10:00"), "ends_at"},
				{slot(t, p.contactID, "", "2026-11-26 11:00", "2026-11-26 11:00"), "ends_at"},
				{slot(t, p.contactID, "", "2026-11-26 09:00", "2026-11-27 09:01"), "ends_at"},
				{slot(t, uuid.NewString(), "", "2026-11-26 09:00", "2026-11-26 10:00"), "contact_id"},
				{slot(t, p.contactID, uuid.NewString(), "2026-11-26 09:00", "2026-11-26 10:00"), "agent_id"},
			}
			for _, tc := range cases {
				problem := expectProblem(t, postAppointment(env, p.agent, tc.body), http.StatusUnprocessableEntity, "invalid")
				if !slices.Contains(fieldsOf(problem), tc.field) {
					t.Fatalf("fields %v, want %s", fieldsOf(problem), tc.field)
				}
			}
			withTicket := slot(t, p.contactID, "", "2026-11-26 09:00", "2026-11-26 10:00")
			withTicket["ticket_id"] = uuid.NewString()
			expectProblem(t, postAppointment(env, p.agent, withTicket), http.StatusUnprocessableEntity, "invalid")
			postAppointment(env, p.developer, slot(t, p.contactID, "", "2026-11-26 09:00", "2026-11-26 10:00")).Expect(t, http.StatusForbidden)
			if n := countRows(t, env, "appointments", ""); n != before {
				t.Fatalf("%d appointments written by refused requests", n-before)
			}
		})
		t.Run("OutsideOpeningHoursIsOnlyAWarning", func(t *testing.T) {
			sunday := mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-29 10:00", "2026-11-29 11:00"))
			lunch := mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-27 12:00", "2026-11-27 13:00"))
			inside := mustAppointment(t, env, p.agent, slot(t, p.contactID, "", "2026-11-27 13:30", "2026-11-27 17:30"))
			if !sunday.OutsideOpeningHours || !lunch.OutsideOpeningHours || inside.OutsideOpeningHours {
				t.Fatalf("outside opening hours: sunday %t, lunch %t, afternoon %t", sunday.OutsideOpeningHours, lunch.OutsideOpeningHours, inside.OutsideOpeningHours)
			}
		})
		t.Run("PlanningByStartWithFilters", func(t *testing.T) {
			var page appointmentPage
			q := "/appointments?agent_id=" + p.agentID + "&from=" + rfc(parisTime(t, "2026-11-24 00:00")) + "&to=" + rfc(parisTime(t, "2026-11-25 00:00"))
			env.Get(p.agent, q).Expect(t, http.StatusOK).JSON(t, &page)
			var starts []string
			for _, a := range page.Items {
				starts = append(starts, a.StartsAt)
			}
			want := []string{rfc(parisTime(t, "2026-11-24 09:30")), rfc(parisTime(t, "2026-11-24 10:00")), rfc(parisTime(t, "2026-11-24 11:00"))}
			if !slices.Equal(starts, want) {
				t.Fatalf("planning %v, want %v", starts, want)
			}
			var walked []string
			for cursor := ""; ; {
				var pg appointmentPage
				env.Get(p.agent, q+"&limit=2&cursor="+cursor).Expect(t, http.StatusOK).JSON(t, &pg)
				for _, a := range pg.Items {
					walked = append(walked, a.StartsAt)
				}
				if pg.NextCursor == nil {
					break
				}
				cursor = *pg.NextCursor
			}
			if !slices.Equal(walked, want) {
				t.Fatalf("pages %v, want %v", walked, want)
			}
			env.Get(p.agent, "/appointments?status=cancelled").Expect(t, http.StatusOK).JSON(t, &page)
			if len(page.Items) != 1 {
				t.Fatalf("cancelled: %d", len(page.Items))
			}
		})
	})
}

// Ten receptionists book the same slot for one agent at once: exactly
// one wins, on both databases.
func TestConcurrentOverlappingAppointmentsOneWins(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		statuses := make([]int, 10)
		base := parisTime(t, "2026-12-01 10:00")
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Overlapping, not identical: 10:00–11:00, 10:05–11:05…
				start := base.Add(time.Duration(i) * 5 * time.Minute)
				statuses[i] = postAppointment(env, p.supervisor, map[string]any{"contact_id": p.contactID, "agent_id": p.agentID,
					"starts_at": rfc(start), "ends_at": rfc(start.Add(time.Hour))}).Status
			}()
		}
		wg.Wait()
		won, conflicts := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				won++
			case http.StatusConflict:
				conflicts++
			}
		}
		if won != 1 || conflicts != 9 {
			t.Fatalf("statuses %v: %d created, %d conflicts; want 1 and 9", statuses, won, conflicts)
		}
		if n := countRows(t, env, "appointments", "agent_id = ?", p.agentID); n != 1 {
			t.Fatalf("%d appointments stored", n)
		}
	})
}
