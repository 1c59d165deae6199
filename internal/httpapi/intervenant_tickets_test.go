package httpapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// ticketParties is what a ticket says about the intervenants involved.
type ticketParties struct {
	ID          string  `json:"id"`
	Number      string  `json:"number"`
	AssigneeID  *string `json:"assignee_id"`
	RequestedBy *string `json:"requested_by_intervenant_id"`
	Works       *struct {
		IntervenantID   string `json:"intervenant_id"`
		ExternalProject string `json:"external_project"`
	} `json:"works"`
}

func postTicketParties(t *testing.T, env *apitest.Env, token string, body map[string]any) ticketParties {
	t.Helper()
	var tk ticketParties
	env.Post(token, "/tickets", body).Expect(t, http.StatusCreated).JSON(t, &tk)
	return tk
}

// ticketCount counts the tickets the list shows.
func ticketCount(t *testing.T, env *apitest.Env) int {
	t.Helper()
	var page struct {
		Items []ticketParties `json:"items"`
	}
	env.Get(env.Admin, "/tickets?limit=200").Expect(t, http.StatusOK).JSON(t, &page)
	return len(page.Items)
}

// serial is the number part of T-2026-000123.
func serial(t *testing.T, number string) int {
	t.Helper()
	n, err := strconv.Atoi(number[strings.LastIndexByte(number, '-')+1:])
	if err != nil {
		t.Fatalf("number %q", number)
	}
	return n
}

// refusedAndNothingWritten posts each body, expects 422 on field with a
// detail containing the text, then checks that no ticket was written and
// no number consumed: the next ticket takes the number after last.
func refusedAndNothingWritten(t *testing.T, env *apitest.Env, token, field string, cases map[string]map[string]any, details map[string]string) {
	t.Helper()
	before := ticketCount(t, env)
	last := postTicketParties(t, env, token, map[string]any{"subject": "Témoin avant", "channel": "phone", "category": "other"})
	for name, body := range cases {
		problem := expectProblem(t, env.Post(token, "/tickets", body), http.StatusUnprocessableEntity, "invalid")
		if !slices.Equal(fieldsOf(problem), []string{field}) || !strings.Contains(problem.Detail, details[name]) {
			t.Fatalf("%s: problem %+v, want field %s and %q", name, problem, field, details[name])
		}
	}
	next := postTicketParties(t, env, token, map[string]any{"subject": "Témoin après", "channel": "phone", "category": "other"})
	if serial(t, next.Number) != serial(t, last.Number)+1 {
		t.Fatalf("refused creates consumed numbers: %s then %s", last.Number, next.Number)
	}
	if n := ticketCount(t, env); n != before+2 {
		t.Fatalf("%d tickets, want %d: a refused create wrote one", n, before+2)
	}
}

// "Les demandes de travaux doivent impérativement être enregistrées via
// redmine dans le projet « travaux gestion »", for an artisan the
// direction approved.
func TestWorksRequestNeedsAnApprovedArtisan(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		pending := postIntervenant(t, env, p.agent, map[string]any{"name": "Plomberie Martin", "kind": "artisan"})
		rejected := postIntervenant(t, env, p.agent, map[string]any{"name": "Toiture Express", "kind": "artisan"})
		decideAgreement(env, p.manager, rejected.ID, "reject", "Pas d'attestation décennale").Expect(t, http.StatusOK)
		notaire := postIntervenant(t, env, p.agent, map[string]any{"name": "Maître Notaire", "kind": "notaire"})
		works := func(id string) map[string]any {
			return map[string]any{"subject": "Fuite sous l'évier", "channel": "phone", "category": "works_request",
				"contact_id": p.contactID, "works": map[string]any{"intervenant_id": id}}
		}
		noWorks := works("")
		delete(noWorks, "works")
		wrongCategory := works(pending.ID)
		wrongCategory["category"] = "routine_request"
		refusedAndNothingWritten(t, env, p.agent, "works.intervenant_id", map[string]map[string]any{
			"pending": works(pending.ID), "rejected": works(rejected.ID), "missing": noWorks,
			"not technical": works(notaire.ID), "unknown": works("0193b2f0-7c1e-7a00-9000-000000000599"),
		}, map[string]string{
			"pending": "agrément en attente de la direction", "rejected": "Pas d'attestation décennale",
			"missing": "approved artisan", "not technical": "not a technical one", "unknown": "no such intervenant",
		})
		refusedAndNothingWritten(t, env, p.agent, "works", map[string]map[string]any{"works on another category": wrongCategory},
			map[string]string{"works on another category": "only a works request"})

		var approved intervenant
		decideAgreement(env, p.manager, pending.ID, "approve", "").Expect(t, http.StatusOK).JSON(t, &approved)
		tk := postTicketParties(t, env, p.agent, works(pending.ID))
		if tk.Works == nil || tk.Works.IntervenantID != pending.ID || tk.Works.ExternalProject != "travaux gestion" {
			t.Fatalf("works request %+v", tk)
		}
		body := works(pending.ID)
		body["works"] = map[string]any{"intervenant_id": pending.ID, "external_project": "travaux copropriété"}
		other := postTicketParties(t, env, p.agent, body)
		var read ticketParties
		env.Get(p.agent, "/tickets/"+other.ID).Expect(t, http.StatusOK).JSON(t, &read)
		if read.Works == nil || read.Works.ExternalProject != "travaux copropriété" || read.Works.IntervenantID != pending.ID {
			t.Fatalf("read %+v", read)
		}
		// The artisan now has works: it is kept as evidence.
		expectProblem(t, env.Delete(p.agent, "/intervenants/"+pending.ID, approved.etag()), http.StatusConflict, "conflict")
	})
}

// "Toujours s'assurer que l'interlocuteur soit dûment mandaté par, ou
// pour, un client enregistré": a ticket opened on a client's file at an
// intervenant's request needs a mandate in force covering its category;
// an authority acting by law needs none, and goes to the legal role.
func TestTicketAtAnIntervenantsRequest(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		c := newClients(t, env, p.agent)
		comptable := postIntervenant(t, env, p.agent, map[string]any{"name": "Cabinet Fidal", "kind": "comptable"})
		avocat := postIntervenant(t, env, p.agent, map[string]any{"name": "Maître Avocat", "kind": "avocat"})
		huissier := postIntervenant(t, env, p.agent, map[string]any{"name": "Étude Maître DUPRÉ", "kind": "huissier"})
		postMandate(t, env, p.agent, avocat.ID, map[string]any{"contact_id": c.individualID, "direction": "by_client",
			"valid_from": day(t, env, -400), "valid_until": day(t, env, -1), "scope": []string{"other"}})
		request := func(iv intervenant, category string, client map[string]any) map[string]any {
			body := map[string]any{"subject": "Demande de " + iv.Name, "channel": "letter", "category": category,
				"requested_by_intervenant_id": iv.ID}
			for k, v := range client {
				body[k] = v
			}
			return body
		}
		org := map[string]any{"organisation_id": c.orgID}
		orgContact := map[string]any{"contact_id": c.orgContactID}
		individual := map[string]any{"contact_id": c.individualID}

		t.Run("WithoutAValidMandateInScopeRefusedAndNothingWritten", func(t *testing.T) {
			refusedAndNothingWritten(t, env, p.agent, "requested_by_intervenant_id", map[string]map[string]any{
				"no mandate": request(comptable, "accounting_question", org), "expired": request(avocat, "other", individual),
				"no client": request(comptable, "accounting_question", nil),
			}, map[string]string{"no mandate": "no mandate", "expired": "expired on " + day(t, env, -1), "no client": "name the client"})
			postMandate(t, env, p.agent, comptable.ID, map[string]any{"organisation_id": c.orgID, "direction": "for_client",
				"valid_from": day(t, env, 0), "scope": []string{"accounting_question"}})
			refusedAndNothingWritten(t, env, p.agent, "requested_by_intervenant_id", map[string]map[string]any{
				"out of scope": request(comptable, "routine_request", org)}, map[string]string{"out of scope": "does not cover routine_request"})
		})
		t.Run("ValidMandateOpensTheTicket", func(t *testing.T) {
			tk := postTicketParties(t, env, p.agent, request(comptable, "accounting_question", org))
			var read ticketParties
			env.Get(p.agent, "/tickets/"+tk.ID).Expect(t, http.StatusOK).JSON(t, &read)
			if read.RequestedBy == nil || *read.RequestedBy != comptable.ID || read.Works != nil {
				t.Fatalf("ticket %+v", read)
			}
		})
		t.Run("MovingTheTicketOutOfTheMandateIsRefused", func(t *testing.T) {
			tk := postTicketParties(t, env, p.agent, request(comptable, "accounting_question", org))
			var read ticket
			env.Get(p.agent, "/tickets/"+tk.ID).Expect(t, http.StatusOK).JSON(t, &read)
			// Another client, or a category the mandate does not cover: 422, nothing changes.
			for _, patch := range []map[string]any{{"organisation_id": nil, "contact_id": c.individualID}, {"category": "routine_request"}} {
				pr := expectProblem(t, env.Patch(p.agent, "/tickets/"+tk.ID, read.etag(), patch), http.StatusUnprocessableEntity, "invalid")
				if f := fieldsOf(pr); len(f) != 1 || f[0] != "requested_by_intervenant_id" {
					t.Fatalf("fields %v", f)
				}
			}
			if again := getTicket(t, env, p.agent, tk.ID); again.Version != read.Version || again.Category != "accounting_question" {
				t.Fatalf("a refused update changed the ticket: %+v", again)
			}
		})
		t.Run("OrganisationMandateCoversItsContact", func(t *testing.T) {
			tk := postTicketParties(t, env, p.agent, request(comptable, "accounting_question", orgContact))
			if tk.RequestedBy == nil || *tk.RequestedBy != comptable.ID {
				t.Fatalf("ticket %+v", tk)
			}
		})
		t.Run("MandateCheckSaysWhy", func(t *testing.T) {
			check := func(iv intervenant, query string) (status string, mandateID *string) {
				var out struct {
					Status    string  `json:"status"`
					MandateID *string `json:"mandate_id"`
					Detail    string  `json:"detail"`
				}
				env.Get(p.agent, "/intervenants/"+iv.ID+"/mandate-check?"+query).Expect(t, http.StatusOK).JSON(t, &out)
				return out.Status, out.MandateID
			}
			for _, tc := range []struct {
				iv          intervenant
				query, want string
			}{
				{comptable, "contact_id=" + c.orgContactID + "&category=accounting_question", "valid"},
				{comptable, "organisation_id=" + c.orgID + "&category=works_request", "out_of_scope"},
				{comptable, "organisation_id=" + c.orgID, "valid"},
				{comptable, "contact_id=" + c.individualID, "missing"},
				{avocat, "contact_id=" + c.individualID + "&category=other", "expired"},
				{avocat, "contact_id=" + c.individualID + "&category=other&at=" + day(t, env, -2) + "T12:00:00Z", "valid"},
				{huissier, "contact_id=" + c.individualID, "authority"},
			} {
				if got, id := check(tc.iv, tc.query); got != tc.want || (got != "missing" && got != "authority") == (id == nil) {
					t.Errorf("%s ?%s: %s (mandate %v), want %s", tc.iv.Name, tc.query, got, id, tc.want)
				}
			}
			expectProblem(t, env.Get(p.agent, "/intervenants/"+comptable.ID+"/mandate-check?contact_id=0193b2f0-7c1e-7a00-9000-0000000000d9"),
				http.StatusUnprocessableEntity, "invalid")
			expectProblem(t, env.Get(p.agent, "/intervenants/0193b2f0-7c1e-7a00-9000-000000000599/mandate-check"), http.StatusNotFound, "not-found")
		})
		t.Run("AuthorityWithoutALegalAgentRefused", func(t *testing.T) {
			refusedAndNothingWritten(t, env, p.agent, "requested_by_intervenant_id", map[string]map[string]any{
				"no legal agent": request(huissier, "bailiff_act", individual)}, map[string]string{"no legal agent": "legal role"})
		})
		t.Run("AuthorityGoesToTheLegalRole", func(t *testing.T) { authorityToLegal(t, env, p, request(huissier, "bailiff_act", individual)) })
	})
}

// authorityToLegal: the huissier's request is assigned to the legal agent
// with the fewest open tickets, and every legal agent is told.
func authorityToLegal(t *testing.T, env *apitest.Env, p people, body map[string]any) {
	busyID, busy := env.Agent("juriste-a", "legal")
	freeID, free := env.Agent("juriste-b", "legal", "agent")
	postTicketParties(t, env, p.agent, map[string]any{"subject": "Dossier en cours", "channel": "phone", "category": "other", "assignee_id": busyID})
	tk := postTicketParties(t, env, p.agent, body)
	if tk.AssigneeID == nil || *tk.AssigneeID != freeID || tk.RequestedBy == nil {
		t.Fatalf("authority ticket %+v, want it assigned to %s", tk, freeID)
	}
	for _, token := range []string{busy, free} {
		waitNotification(t, env, token, tk.ID, "assignment", "Étude Maître DUPRÉ")
	}
	for _, n := range myNotifications(t, env, p.agent) {
		if n.TicketID != nil && *n.TicketID == tk.ID {
			t.Fatalf("a non-legal agent was told: %+v", n)
		}
	}
	// An active legal assignee given by the caller is kept.
	body["assignee_id"] = busyID
	if kept := postTicketParties(t, env, p.agent, body); *kept.AssigneeID != busyID {
		t.Fatalf("legal assignee replaced by %s", *kept.AssigneeID)
	}
}

// waitNotification waits (River delivers it) for the agent's notification
// about a ticket.
func waitNotification(t *testing.T, env *apitest.Env, token, ticketID, kind, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range myNotifications(t, env, token) {
			if n.TicketID != nil && *n.TicketID == ticketID && n.Kind == kind && strings.Contains(n.Message, text) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s notification about %s: %+v", kind, ticketID, myNotifications(t, env, token))
}

// Sharing file information with an intervenant needs a mandate in scope;
// only the legal role shares with an authority acting by law.
func TestDisclosures(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		c := newClients(t, env, p.agent)
		_, legal := env.Agent("juriste", "legal")
		comptable := postIntervenant(t, env, p.agent, map[string]any{"name": "Cabinet Fidal", "kind": "comptable"})
		caf := postIntervenant(t, env, p.agent, map[string]any{"name": "CAF de la Réunion", "kind": "caf"})
		path := "/intervenants/" + comptable.ID + "/disclosures"
		share := map[string]any{"organisation_id": c.orgID, "category": "accounting_question", "summary": "Relevé des charges 2025 envoyé."}
		type disclosure struct {
			ID        string  `json:"id"`
			Basis     string  `json:"basis"`
			MandateID *string `json:"mandate_id"`
			Summary   string  `json:"summary"`
		}
		list := func(path string) []disclosure {
			var page struct {
				Items []disclosure `json:"items"`
			}
			env.Get(p.agent, path).Expect(t, http.StatusOK).JSON(t, &page)
			return page.Items
		}

		problem := expectProblem(t, env.Post(p.agent, path, share), http.StatusUnprocessableEntity, "invalid")
		if !slices.Equal(fieldsOf(problem), []string{"mandate"}) || !strings.Contains(problem.Detail, "no mandate") {
			t.Fatalf("without a mandate: %+v", problem)
		}
		expectProblem(t, env.Post(p.agent, path, map[string]any{"category": "other", "summary": "x"}), http.StatusUnprocessableEntity, "invalid")
		if got := list(path); len(got) != 0 {
			t.Fatalf("refused disclosures were recorded: %+v", got)
		}
		m := postMandate(t, env, p.agent, comptable.ID, map[string]any{"organisation_id": c.orgID, "direction": "for_client",
			"valid_from": day(t, env, 0), "scope": []string{"accounting_question"}})
		var d disclosure
		env.Post(p.agent, path, share).Expect(t, http.StatusCreated).JSON(t, &d)
		if d.Basis != "mandate" || d.MandateID == nil || *d.MandateID != m.ID {
			t.Fatalf("disclosure %+v", d)
		}
		share["category"] = "works_request"
		expectProblem(t, env.Post(p.agent, path, share), http.StatusUnprocessableEntity, "invalid")
		if got := list(path); len(got) != 1 || got[0].ID != d.ID {
			t.Fatalf("disclosures %+v", got)
		}
		if a := auditActions(t, env, d.ID); !slices.Equal(a, []string{"disclosure:create"}) {
			t.Fatalf("audit %v", a)
		}

		cafPath := "/intervenants/" + caf.ID + "/disclosures"
		toCAF := map[string]any{"contact_id": c.individualID, "category": "other", "summary": "Attestation de loyer transmise."}
		expectProblem(t, env.Post(p.agent, cafPath, toCAF), http.StatusForbidden, "forbidden")
		env.Post(legal, cafPath, toCAF).Expect(t, http.StatusCreated).JSON(t, &d)
		if d.Basis != "authority" || d.MandateID != nil {
			t.Fatalf("disclosure to an authority %+v", d)
		}
	})
}
