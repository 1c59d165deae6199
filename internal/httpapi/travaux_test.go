package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// "Les demandes de travaux doivent impérativement être enregistrées" and
// follow their own procedure: requested → sent to the approved artisan →
// done → client told → closed.
func TestWorksRequestFollowsTravaux(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		artisan := approvedArtisan(t, env, p, "Plomberie Martin")
		tk := createTicket(t, env, p.agent, map[string]any{"subject": "Fuite sous l'évier, appartement 3B", "channel": "phone",
			"category": "works_request", "contact_id": p.contactID, "works": map[string]any{"intervenant_id": artisan.ID}})
		if tk.Procedure.Code != "travaux" || tk.State != "requested" {
			t.Fatalf("works request on %s/%s", tk.Procedure.Code, tk.State)
		}
		transition(env, p.agent, tk, "send_to_artisan", nil).Expect(t, http.StatusUnprocessableEntity)
		tk = mustTransition(t, env, p.agent, tk, "send_to_artisan", map[string]any{"artisan": "Plomberie Martin", "instructions": "Clef chez la gardienne"})
		full := getTicket(t, env, p.agent, tk.ID)
		works := -1
		for i, c := range full.Clocks {
			if c.Kind == "works" {
				works = i
			}
		}
		if works < 0 || full.Clocks[works].DueAt == nil || full.DueAt == nil {
			t.Fatalf("no works deadline: %+v", full.Clocks)
		}
		tk = mustTransition(t, env, p.agent, tk, "works_done", map[string]any{"report": "Joint changé"})
		tk = mustTransition(t, env, p.agent, tk, "inform_client", map[string]any{"message": "Les travaux sont faits."})
		tk = mustTransition(t, env, p.agent, tk, "close", nil)
		if tk.Status != "closed" {
			t.Fatalf("status %s", tk.Status)
		}
		if n := clientNotifications(t, env, p.agent, tk.ID); len(n) != 1 || n[0].Template != "works_done" {
			t.Fatalf("client notifications %+v", n)
		}
		var audit struct {
			Items []struct {
				Action string `json:"action"`
			} `json:"items"`
		}
		env.Get(env.Admin, "/audit-events?entity_type=ticket&entity_id="+tk.ID).Expect(t, http.StatusOK).JSON(t, &audit)
		var actions []string
		for _, a := range audit.Items {
			actions = append(actions, a.Action)
		}
		for _, want := range []string{"create", "transition:send_to_artisan", "transition:works_done", "transition:inform_client", "transition:close"} {
			if !slices.Contains(actions, want) {
				t.Fatalf("audit %v lacks %s", actions, want)
			}
		}
	})
}

// "Relancer dev à échéance": the developer is reminded by a River job at
// the dev ticket's due date, unless it is done by then.
func TestDeveloperIsRemindedAtTheDueDate(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		tk := newBug(t, env, p, "Rappel au développeur")
		tk = mustTransition(t, env, p.agent, tk, "declare_bug", nil)
		tk = mustTransition(t, env, p.agent, tk, "elements_complete", nil)
		due := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
		mustTransition(t, env, p.agent, tk, "create_dev_ticket", map[string]any{
			"title": "Rappel", "description": "d", "reproduction_steps": "r", "environment": "e",
			"observed_results": "o", "expected_results": "x", "urgency": "normal", "developer_id": p.developer_, "due_at": due})
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for _, n := range myNotifications(t, env, p.developer) {
				if n.Kind == "reminder" && strings.Contains(n.Message, tk.Number) {
					return
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("no reminder for %s: %+v", tk.Number, myNotifications(t, env, p.developer))
	})
}
