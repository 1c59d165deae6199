package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// TestReceptionMorning plays a morning at the reception through HTTP, the
// way the books used to be kept on paper ("cahier des appels", "cahier
// des messages") and the way the auditor checks them now: calls, a
// message, a voicemail, an appointment, a registered letter, a bailiff
// act, an artisan and an intervenant without a mandate.
func TestReceptionMorning(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := receptionTeam(t, env)
		client := postContact(t, env, p.agent, map[string]any{"first_name": "Paul", "last_name": "HOAREAU",
			"email": "p.hoareau@example.fr", "registered_client": true, "individual": true})

		t.Run("CallWithTwoSubjectsOpensTwoTickets", func(t *testing.T) {
			call := logEntry(t, env, p.agent, "calls", map[string]any{"contact_id": client.ID, "direction": "inbound",
				"outcome": "answered", "reason": "Fuite d'eau et question sur les charges",
				"tickets": []map[string]any{
					{"subject": "Fuite d'eau sous l'évier", "category": "routine_request", "urgency": "high"},
					{"subject": "Question sur le décompte de charges", "category": "accounting_question"}}})
			if len(call.Tickets) != 2 || !call.Tickets[0].Opened || !call.Tickets[1].Opened {
				t.Fatalf("one ticket per subject: %+v", call.Tickets)
			}
			for _, ref := range call.Tickets {
				tk := getTicket(t, env, p.agent, ref.TicketID)
				if tk.Channel != "phone" || tk.ContactID == nil || *tk.ContactID != client.ID {
					t.Fatalf("ticket %+v", tk)
				}
			}
		})

		t.Run("CallerWhoCannotBeAnsweredTransferredAndMessageAcknowledged", func(t *testing.T) {
			call := logEntry(t, env, p.agent, "calls", map[string]any{"identity": map[string]any{"name": "Mme PAYET",
				"structure": "Syndic Océan", "phone": "0692 11 22 33"}, "outcome": "transferred_to_supervisor",
				"transferred_to": p.supervisorID, "reason": "Contestation d'un appel de fonds"})
			// « Si vous ne savez pas répondre: prendre les coordonnées, transférer à un encadrant »:
			// the unknown caller became an unidentified contact, and a message is taken for the supervisor.
			if call.ContactID == nil {
				t.Fatal("the unknown caller should become an unidentified contact")
			}
			msg := postMessage(t, env, p.agent, map[string]any{"from": map[string]any{"name": "Mme PAYET", "structure": "Syndic Océan",
				"phone": "0692 11 22 33"}, "reason": "Rappeler au sujet de l'appel de fonds", "urgency": "high",
				"recipient_agent_id": p.supervisorID, "interaction_id": call.ID, "contact_id": *call.ContactID})
			env.Post(p.agent, "/messages/"+msg.ID+"/acknowledgement", nil).Expect(t, http.StatusForbidden)
			env.Post(p.supervisor, "/messages/"+msg.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
			// An oral exchange that was not a simple orientation awaits its written confirmation.
			unconfirmed := walkBook(t, env, p.agent, "interactions", map[string][]string{"unconfirmed": {"true"}, "agent_id": {p.agentID}})
			if !containsID(unconfirmed, call.ID) {
				t.Fatal("the transferred call should wait for its written confirmation")
			}
		})

		t.Run("VoicemailConsultedAndForwarded", func(t *testing.T) {
			vm := logEntry(t, env, p.agent, "voicemails", map[string]any{"identity": map[string]any{"name": "M. GRONDIN",
				"phone": "0262 12 34 56"}, "reason": "Demande de rappel pour un devis"})
			msg := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_role": "supervisor", "interaction_id": vm.ID}, "Rappeler M. Grondin (devis)"))
			var forwarded struct {
				MessageIDs []string `json:"message_ids"`
			}
			env.Get(p.agent, "/voicemails/"+vm.ID).Expect(t, http.StatusOK).JSON(t, &forwarded)
			if len(forwarded.MessageIDs) != 1 || forwarded.MessageIDs[0] != msg.ID {
				t.Fatalf("the voicemail should show the message it was forwarded as: %+v", forwarded)
			}
			env.Post(p.supervisor, "/messages/"+msg.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
		})

		t.Run("AppointmentPreparedThenVisitLoggedAndConfirmedOnItsTicket", func(t *testing.T) {
			tk := createTicket(t, env, p.agent, map[string]any{"subject": "Remise des clefs du T3", "channel": "phone",
				"category": "routine_request", "contact_id": client.ID})
			start := env.Clock.Now().Add(time.Hour).Truncate(time.Minute)
			var appt struct {
				ID      string  `json:"id"`
				Status  string  `json:"status"`
				VisitID *string `json:"visit_id"`
			}
			postAppointment(env, p.agent, map[string]any{"contact_id": client.ID, "starts_at": start, "ends_at": start.Add(30 * time.Minute),
				"reason": "Remise des clefs", "ticket_id": tk.ID}).Expect(t, http.StatusCreated).JSON(t, &appt)
			// « Consulter le dossier au préalable ».
			var prep struct {
				OpenTickets        []ticket      `json:"open_tickets"`
				RecentInteractions []interaction `json:"recent_interactions"`
				Appointment        struct {
					PreparedBy *string `json:"prepared_by"`
				} `json:"appointment"`
			}
			env.Get(p.agent, "/appointments/"+appt.ID+"/preparation").Expect(t, http.StatusOK).JSON(t, &prep)
			if len(prep.OpenTickets) != 3 || len(prep.RecentInteractions) != 1 || prep.RecentInteractions[0].Kind != "call" {
				t.Fatalf("the file shows %d open tickets and %d recent interactions", len(prep.OpenTickets), len(prep.RecentInteractions))
			}
			if prep.Appointment.PreparedBy == nil || *prep.Appointment.PreparedBy != p.agentID {
				t.Fatal("reading the file is recorded")
			}
			visit := logEntry(t, env, p.agent, "visits", map[string]any{"contact_id": client.ID, "appointment_id": appt.ID,
				"outcome": "answered", "reason": "Remise des clefs", "ticket_ids": []string{tk.ID}})
			env.Get(p.agent, "/appointments/"+appt.ID).Expect(t, http.StatusOK).JSON(t, &appt)
			if appt.Status != "done" || appt.VisitID == nil || *appt.VisitID != visit.ID {
				t.Fatalf("the visit completes its appointment: %+v", appt)
			}
			// « Tout échange oral devra faire l'objet d'une confirmation écrite sur le ticket existant ».
			env.Post(p.agent, "/interactions/"+visit.ID+"/confirmation", map[string]any{"ticket_id": tk.ID,
				"text": "Clefs remises à M. Hoareau ce jour, état des lieux joint."}).Expect(t, http.StatusOK)
			if !strings.Contains(timelineText(t, env, p.agent, tk.ID), "Clefs remises") {
				t.Fatal("the confirmation is not on the ticket's timeline")
			}
		})

		t.Run("RegisteredLetterLoggedScannedAndAnsweredByRegisteredLetter", func(t *testing.T) {
			letter := logEntry(t, env, p.agent, "letters", map[string]any{"registered": true, "tracking_number": "1A23456789012",
				"contact_id": client.ID, "reason": "Mise en demeure: dégât des eaux"})
			path := "/letters/" + letter.ID
			var scanned, processed, answered interaction
			putScan(env, p.agent, path, letter.etag(), scan(4096)).Expect(t, http.StatusOK).JSON(t, &scanned)
			ifMatchDo(env, http.MethodPost, p.agent, path+"/processing", scanned.etag(), map[string]any{
				"tickets": []map[string]any{{"subject": "Mise en demeure: dégât des eaux", "category": "routine_request",
					"file_reference": "DOS-2026-0107"}}}).Expect(t, http.StatusOK).JSON(t, &processed)
			tk := getTicket(t, env, p.agent, processed.Tickets[0].TicketID)
			if tk.Channel != "registered_letter" || !tk.AwaitingRegisteredReply {
				t.Fatalf("the letter's ticket awaits a registered reply: %+v", tk)
			}
			ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", processed.etag(), nil).Expect(t, http.StatusUnprocessableEntity)
			// « En cas de réception d'une demande en recommandé, la réponse doit être envoyée en recommandé également ».
			reply(t, env, p.people, tk.ID, "registered_letter", "DOS-2026-0107")
			ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", processed.etag(), nil).Expect(t, http.StatusOK).JSON(t, &answered)
			if answered.Status != "answered" || getTicket(t, env, p.agent, tk.ID).AwaitingRegisteredReply {
				t.Fatalf("answered: %+v", answered)
			}
		})

		t.Run("BailiffActRefusedToAnAgentAcceptedByTheLegalRole", func(t *testing.T) {
			act := map[string]any{"act_type": "assignation", "bailiff_name": "Me HOARAU", "contact_id": client.ID}
			before := len(walkBook(t, env, p.legal, "bailiff-acts", nil))
			env.Post(p.agent, "/bailiff-acts", act).Expect(t, http.StatusForbidden)
			if len(walkBook(t, env, p.legal, "bailiff-acts", nil)) != before {
				t.Fatal("a refused bailiff act was written")
			}
			logEntry(t, env, p.legal, "bailiff-acts", act)
		})

		t.Run("ArtisanApprovedThenGivenAWorksRequest", func(t *testing.T) {
			artisan := postIntervenant(t, env, p.agent, map[string]any{"name": "Plomberie RIVIÈRE", "kind": "artisan"})
			works := map[string]any{"subject": "Remplacer le siphon", "channel": "phone", "category": "works_request",
				"contact_id": client.ID, "works": map[string]any{"intervenant_id": artisan.ID}}
			pr := expectProblem(t, env.Post(p.agent, "/tickets", works), http.StatusUnprocessableEntity, "invalid")
			if !strings.Contains(pr.Detail, "agrément") && !strings.Contains(pr.Detail, "pending") {
				t.Fatalf("the refusal should say the agreement is pending: %q", pr.Detail)
			}
			decideAgreement(env, p.supervisor, artisan.ID, "approve", "").Expect(t, http.StatusForbidden)
			decideAgreement(env, p.manager, artisan.ID, "approve", "Assurance décennale vérifiée").Expect(t, http.StatusOK)
			var tk struct {
				Works struct {
					IntervenantID   string `json:"intervenant_id"`
					ExternalProject string `json:"external_project"`
				} `json:"works"`
			}
			env.Post(p.agent, "/tickets", works).Expect(t, http.StatusCreated).JSON(t, &tk)
			if tk.Works.IntervenantID != artisan.ID || tk.Works.ExternalProject != "travaux gestion" {
				t.Fatalf("works request %+v", tk.Works)
			}
		})

		t.Run("IntervenantWithoutMandateLoggedFlaggedAndRefused", func(t *testing.T) {
			lawyer := postIntervenant(t, env, p.agent, map[string]any{"name": "Cabinet GRONDIN Avocats", "kind": "avocat"})
			var call struct {
				ID      string `json:"id"`
				Mandate struct {
					Status  string `json:"status"`
					Flagged bool   `json:"flagged"`
				} `json:"mandate"`
			}
			// « Toujours s'assurer que l'interlocuteur soit dûment mandaté »: the call is logged, never refused, but flagged.
			env.Post(p.agent, "/calls", map[string]any{"intervenant_id": lawyer.ID, "contact_id": client.ID, "outcome": "answered",
				"reason": "Demande le relevé de compte de M. Hoareau"}).Expect(t, http.StatusCreated).JSON(t, &call)
			if call.Mandate.Status != "missing" || !call.Mandate.Flagged {
				t.Fatalf("mandate %+v", call.Mandate)
			}
			flagged := walkBook(t, env, p.agent, "interactions", map[string][]string{"mandate_flagged": {"true"}})
			if len(flagged) != 1 || flagged[0].ID != call.ID {
				t.Fatalf("the follow-up list holds %d entries", len(flagged))
			}
			// Its request on the client's file is refused, nothing written.
			before := countAll(t, env)
			pr := expectProblem(t, env.Post(p.agent, "/tickets", map[string]any{"subject": "Relevé de compte pour l'avocat",
				"channel": "phone", "category": "accounting_question", "contact_id": client.ID,
				"requested_by_intervenant_id": lawyer.ID}), http.StatusUnprocessableEntity, "invalid")
			if !strings.Contains(pr.Detail, "mandat") {
				t.Fatalf("the refusal should say why: %q", pr.Detail)
			}
			// Nor can the call open it as a subject.
			env.Post(p.agent, "/calls", map[string]any{"intervenant_id": lawyer.ID, "contact_id": client.ID, "outcome": "answered",
				"tickets": []map[string]any{{"subject": "Relevé", "category": "accounting_question"}}}).Expect(t, http.StatusUnprocessableEntity)
			if after := countAll(t, env); after != before {
				t.Fatalf("refused requests wrote: %+v then %+v", before, after)
			}
		})
	})
}

func containsID(items []interaction, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func timelineText(t *testing.T, env *apitest.Env, token, ticketID string) string {
	t.Helper()
	var b strings.Builder
	for _, ev := range timeline(t, env, token, ticketID) {
		b.WriteString(ev.Body)
		b.WriteString("\n")
	}
	return b.String()
}
