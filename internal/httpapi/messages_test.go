package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/testdb"
)

// "Transférer le message à la personne en charge": a message must reach
// someone who can take it; anything else is refused and nothing written.
func TestMessageToNobodyIsRefusedAndNothingWritten(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		goneID, _ := env.Agent("parti", "agent")
		env.Patch(env.Admin, "/agents/"+goneID, `"1"`, map[string]any{"active": false}).Expect(t, http.StatusOK)
		cases := []struct {
			name  string
			to    map[string]any
			field string
		}{
			{"UnknownAgent", map[string]any{"recipient_agent_id": uuid.NewString()}, "recipient_agent_id"},
			{"InactiveAgent", map[string]any{"recipient_agent_id": goneID}, "recipient_agent_id"},
			{"RoleNobodyHolds", map[string]any{"recipient_role": "legal"}, "recipient_role"},
			{"BothAgentAndRole", map[string]any{"recipient_agent_id": p.agentID, "recipient_role": "manager"}, "recipient_agent_id"},
			{"NoRecipient", map[string]any{}, "recipient_agent_id"},
			{"UnknownContact", map[string]any{"recipient_agent_id": p.agentID, "contact_id": uuid.NewString()}, "contact_id"},
			{"UnknownTicket", map[string]any{"recipient_agent_id": p.agentID, "ticket_id": uuid.NewString()}, "ticket_id"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := env.Post(p.agent, "/messages", messageFor(tc.to, "Rappeler"))
				problem := expectProblem(t, r, http.StatusUnprocessableEntity, "invalid")
				if !slices.Contains(fieldsOf(problem), tc.field) {
					t.Fatalf("fields %v, want %s", fieldsOf(problem), tc.field)
				}
			})
		}
		env.Post(p.agent, "/messages", messageFor(map[string]any{"recipient_role": "pilot"}, "x")).Expect(t, http.StatusBadRequest)
		env.Post(p.developer, "/messages", messageFor(map[string]any{"recipient_agent_id": p.agentID}, "x")).Expect(t, http.StatusForbidden)
		if n := countRows(t, env, "messages", ""); n != 0 {
			t.Fatalf("%d messages written by refused requests", n)
		}
		if n := countRows(t, env, "river_job", "kind = ?", "message_follow_up"); n != 0 {
			t.Fatalf("%d follow-up jobs scheduled by refused requests", n)
		}
		if n := countRows(t, env, "audit_events", "entity_type = ?", "message"); n != 0 {
			t.Fatalf("%d audit events for refused messages", n)
		}
	})
}

// "Seul le destinataire en prend connaissance": only the recipient
// acknowledges, once; for a role, the first of its holders.
func TestOnlyTheRecipientAcknowledges(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("ToAnAgent", func(t *testing.T) {
			call := env.Post(p.agent, "/calls", map[string]any{"contact_id": p.contactID, "outcome": "message_taken",
				"reason": "Facture"}).Expect(t, http.StatusCreated).Map(t)["id"].(string)
			m := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_agent_id": p.managerID, "contact_id": p.contactID,
				"urgency": "high", "interaction_id": call}, "Rappeler pour la facture"))
			if m.Status != "pending" || m.From.Phone != "+262692123456" || m.Urgency != "high" ||
				m.InteractionID == nil || *m.InteractionID != call {
				t.Fatalf("created %+v", m)
			}
			// The call shows the message taken from it (forwarded).
			var logged struct {
				MessageIDs []string `json:"message_ids"`
			}
			env.Get(p.agent, "/calls/"+call).Expect(t, http.StatusOK).JSON(t, &logged)
			if len(logged.MessageIDs) != 1 || logged.MessageIDs[0] != m.ID {
				t.Fatalf("the call does not show its message: %+v", logged)
			}
			ack := "/messages/" + m.ID + "/acknowledgement"
			expectProblem(t, env.Post(p.agent, ack, nil), http.StatusForbidden, "forbidden")
			expectProblem(t, env.Post(env.Admin, ack, nil), http.StatusForbidden, "forbidden")
			var done message
			env.Post(p.manager, ack, nil).Expect(t, http.StatusOK).JSON(t, &done)
			if done.Status != "acknowledged" || done.AcknowledgedBy == nil || *done.AcknowledgedBy != p.managerID || done.AcknowledgedAt == nil {
				t.Fatalf("acknowledged %+v", done)
			}
			problem := expectProblem(t, env.Post(p.manager, ack, nil), http.StatusConflict, "conflict")
			if !strings.Contains(problem.Detail, p.managerID) {
				t.Fatalf("409 does not say who acknowledged: %s", problem.Detail)
			}
			var audit auditPage
			env.Get(env.Admin, "/audit-events?entity_type=message&action=acknowledge&entity_id="+m.ID).Expect(t, http.StatusOK).JSON(t, &audit)
			if len(audit.Items) != 1 || audit.Items[0].ActorID == nil || *audit.Items[0].ActorID != p.managerID {
				t.Fatalf("acknowledgement audit %+v", audit.Items)
			}
		})
		t.Run("ToARoleFirstHolderWins", func(t *testing.T) {
			_, compta1 := env.Agent("compta1", "accountant")
			_, compta2 := env.Agent("compta2", "accountant", "agent")
			m := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_role": "accountant"}, "Question sur un appel de fonds"))
			ack := "/messages/" + m.ID + "/acknowledgement"
			expectProblem(t, env.Post(p.supervisor, ack, nil), http.StatusForbidden, "forbidden")
			env.Post(compta1, ack, nil).Expect(t, http.StatusOK)
			expectProblem(t, env.Post(compta2, ack, nil), http.StatusConflict, "conflict")
			// The holders see it in their book while it waits, not after.
			if got := listMessages(t, env, compta2, "status=acknowledged"); len(got) != 1 || got[0].ID != m.ID {
				t.Fatalf("compta2's acknowledged messages %+v", got)
			}
			if got := listMessages(t, env, compta2, "status=pending"); len(got) != 0 {
				t.Fatalf("compta2's pending messages %+v", got)
			}
		})
		t.Run("BookFilters", func(t *testing.T) {
			mine := listMessages(t, env, p.manager, "")
			all := listMessages(t, env, p.agent, "recipient=all")
			byAgent := listMessages(t, env, p.agent, "recipient_agent_id="+p.managerID)
			byContact := listMessages(t, env, p.agent, "recipient=all&contact_id="+p.contactID)
			if len(mine) != 1 || len(all) != 2 || len(byAgent) != 1 || len(byContact) != 1 {
				t.Fatalf("mine %d, all %d, by agent %d, by contact %d", len(mine), len(all), len(byAgent), len(byContact))
			}
			if all[0].RecipientRole == nil || *all[0].RecipientRole != "accountant" {
				t.Fatalf("newest first: %+v", all[0])
			}
			if got := listMessages(t, env, p.agent, "recipient=all&urgency=high"); len(got) != 1 {
				t.Fatalf("urgency filter: %d", len(got))
			}
			if got := listMessages(t, env, p.agent, "recipient=all&to=2000-01-01T00:00:00Z"); len(got) != 0 {
				t.Fatalf("to filter: %d", len(got))
			}
			var first messagePage
			env.Get(p.agent, "/messages?recipient=all&limit=1").Expect(t, http.StatusOK).JSON(t, &first)
			if len(first.Items) != 1 || first.NextCursor == nil {
				t.Fatalf("first page %+v", first)
			}
			second := listMessages(t, env, p.agent, "recipient=all&limit=1&cursor="+*first.NextCursor)
			if len(second) != 1 || second[0].ID == first.Items[0].ID {
				t.Fatalf("second page %+v", second)
			}
			env.Get(p.agent, "/messages/"+second[0].ID).Expect(t, http.StatusOK)
			env.Get(p.agent, "/messages/"+uuid.NewString()).Expect(t, http.StatusNotFound)
		})
	})
}

// deliver runs a follow-up step the way its River job does.
func deliver(t *testing.T, env *apitest.Env, id, step string) {
	t.Helper()
	if err := env.Main.Store.DeliverMessageFollowUp(context.Background(), guichet.MessageFollowUpJob{MessageID: id, Step: step}); err != nil {
		t.Fatalf("deliver %s: %v", step, err)
	}
}

// Unacknowledged messages are reminded, then escalate "au niveau
// supérieur" (the supervisor; for a role, the person the settings name);
// each step happens once, and never for an acknowledged message.
func TestMessagesAreRemindedThenEscalated(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("ToAnAgentEscalatesToTheSupervisor", func(t *testing.T) {
			m := postMessage(t, env, p.manager, messageFor(map[string]any{"recipient_agent_id": p.agentID}, "Dossier Lataniers"))
			for range 2 { // a job run twice notifies once
				deliver(t, env, m.ID, guichet.FollowUpRemind)
			}
			if n := notificationsOf(t, env, p.agent, "reminder"); len(n) != 1 || !strings.Contains(n[0].Message, "Dossier Lataniers") {
				t.Fatalf("reminders %+v", n)
			}
			for range 2 {
				deliver(t, env, m.ID, guichet.FollowUpEscalate)
			}
			if n := notificationsOf(t, env, p.supervisor, "escalation"); len(n) != 1 || !strings.Contains(n[0].Message, "Accueil") {
				t.Fatalf("escalations to the supervisor %+v", n)
			}
			var got message
			env.Get(p.agent, "/messages/"+m.ID).Expect(t, http.StatusOK).JSON(t, &got)
			if got.Status != "escalated" || got.EscalatedTo == nil || *got.EscalatedTo != p.supervisorID || got.RemindedAt == nil {
				t.Fatalf("escalated message %+v", got)
			}
			if mine := listMessages(t, env, p.supervisor, ""); len(mine) != 1 || mine[0].ID != m.ID {
				t.Fatalf("the supervisor's book %+v", mine)
			}
			var audit auditPage
			env.Get(env.Admin, "/audit-events?entity_type=message&action=escalate&entity_id="+m.ID).Expect(t, http.StatusOK).JSON(t, &audit)
			if len(audit.Items) != 1 {
				t.Fatalf("escalation audit %+v", audit.Items)
			}
			env.Post(p.supervisor, "/messages/"+m.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
		})
		t.Run("ToARoleEscalatesToTheConfiguredPerson", func(t *testing.T) {
			_, legal1 := env.Agent("juriste1", "legal")
			_, legal2 := env.Agent("juriste2", "legal")
			r := env.Get(p.manager, "/settings/reception").Expect(t, http.StatusOK)
			settings := r.Map(t)
			settings["message_escalation"] = map[string]any{"legal": p.managerID}
			for _, k := range []string{"opening_hours", "version"} {
				delete(settings, k)
			}
			put(env, p.manager, "/settings/reception", r.Header.Get("ETag"), settings).Expect(t, http.StatusOK)
			m := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_role": "legal"}, "Acte d'huissier annoncé"))
			deliver(t, env, m.ID, guichet.FollowUpRemind)
			for _, tok := range []string{legal1, legal2} {
				if n := notificationsOf(t, env, tok, "reminder"); len(n) != 1 {
					t.Fatalf("every holder of the role is reminded: %+v", n)
				}
			}
			deliver(t, env, m.ID, guichet.FollowUpEscalate)
			if n := notificationsOf(t, env, p.manager, "escalation"); len(n) != 1 || !strings.Contains(n[0].Message, "legal") {
				t.Fatalf("escalations to the configured person %+v", n)
			}
			env.Post(p.manager, "/messages/"+m.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
		})
		t.Run("AcknowledgedMessageIsNeitherRemindedNorEscalated", func(t *testing.T) {
			_, agent2 := env.Agent("accueil2", "agent")
			var a2 struct {
				Agent struct {
					ID string `json:"id"`
				} `json:"agent"`
			}
			env.Get(agent2, "/me").Expect(t, http.StatusOK).JSON(t, &a2)
			m := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_agent_id": a2.Agent.ID}, "Déjà rappelé"))
			env.Post(agent2, "/messages/"+m.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
			deliver(t, env, m.ID, guichet.FollowUpRemind)
			deliver(t, env, m.ID, guichet.FollowUpEscalate)
			if n := myNotifications(t, env, agent2); len(n) != 0 {
				t.Fatalf("notifications for an acknowledged message %+v", n)
			}
			var got message
			env.Get(agent2, "/messages/"+m.ID).Expect(t, http.StatusOK).JSON(t, &got)
			if got.Status != "acknowledged" || got.RemindedAt != nil || got.EscalatedAt != nil {
				t.Fatalf("acknowledged message after its jobs %+v", got)
			}
		})
	})
}

// The reminder and the escalation are River jobs scheduled with the
// message, in its transaction: taken three hours ago (by the store's
// clock), both are due and River delivers them.
func TestMessageFollowUpsRunThroughRiver(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		_, script := env.APIToken(p.manager, "reception:write") // access tokens are not valid before they are issued
		now := env.Clock.Now()
		env.Clock.Set(now.Add(-3 * time.Hour))
		m := postMessage(t, env, script, messageFor(map[string]any{"recipient_agent_id": p.agentID}, "Rappel par River"))
		env.Clock.Set(now)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if len(notificationsOf(t, env, p.agent, "reminder")) == 1 && len(notificationsOf(t, env, p.supervisor, "escalation")) == 1 {
				var got message
				env.Get(p.agent, "/messages/"+m.ID).Expect(t, http.StatusOK).JSON(t, &got)
				if got.Status != "escalated" {
					t.Fatalf("after the jobs: %+v", got)
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no reminder and escalation: %+v / %+v", myNotifications(t, env, p.agent), myNotifications(t, env, p.supervisor))
	})
}

// "Consulter la boîte vocale après chaque absence du bureau": back from an
// absence, the messages received meanwhile come first.
func TestBackFromAbsenceMessagesComeFirst(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		_, script := env.APIToken(p.manager, "reception:write") // access tokens are not valid before they are issued
		now := env.Clock.Now()
		env.Post(p.agent, "/agents/"+p.agentID+"/absences", map[string]any{"starts_at": rfc(now.Add(-72 * time.Hour)),
			"ends_at": rfc(now.Add(-24 * time.Hour)), "reason": "Congés"}).Expect(t, http.StatusCreated)
		take := func(ago time.Duration, to map[string]any, reason string) message {
			env.Clock.Set(now.Add(-ago))
			defer env.Clock.Set(now)
			return postMessage(t, env, script, messageFor(to, reason))
		}
		toMe := map[string]any{"recipient_agent_id": p.agentID}
		before := take(96*time.Hour, toMe, "avant")
		during1 := take(60*time.Hour, toMe, "pendant 1")
		during2 := take(30*time.Hour, map[string]any{"recipient_role": "agent"}, "pendant 2, au rôle")
		done := take(40*time.Hour, toMe, "pendant, déjà traité")
		after := take(2*time.Hour, toMe, "après")
		env.Post(p.agent, "/messages/"+done.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
		want := []string{during2.ID, during1.ID, after.ID, before.ID}
		for _, limit := range []string{"50", "1", "2", "3"} {
			var got []message
			cursor := ""
			for pages := 0; pages < 10; pages++ {
				var page messagePage
				env.Get(p.agent, "/me/messages?limit="+limit+"&cursor="+cursor).Expect(t, http.StatusOK).JSON(t, &page)
				got = append(got, page.Items...)
				if page.NextCursor == nil {
					break
				}
				cursor = *page.NextCursor
			}
			var ids []string
			for i, m := range got {
				ids = append(ids, m.ID)
				if flagged := m.ReceivedDuringAbsence != nil && *m.ReceivedDuringAbsence; flagged != (i < 2) {
					t.Fatalf("limit %s: message %q flagged %t", limit, m.Reason, flagged)
				}
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("limit %s: order %v, want %v", limit, ids, want)
			}
		}
		// Without an ended absence, newest first and nothing flagged.
		var sup messagePage
		env.Get(p.supervisor, "/me/messages").Expect(t, http.StatusOK).JSON(t, &sup)
		if len(sup.Items) != 0 {
			t.Fatalf("the supervisor has no message: %+v", sup.Items)
		}
		env.Get(p.agent, "/me/messages?cursor=bad").Expect(t, http.StatusBadRequest)
	})
}
