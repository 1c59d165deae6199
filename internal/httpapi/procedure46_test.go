package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// people is the reception team of the walk-through: a level-1 agent with
// a supervisor, a manager and a developer.
type people struct {
	agent, supervisor, manager, developer        string // tokens
	agentID, supervisorID, managerID, developer_ string // ids
	contactID                                    string
}

func team(t *testing.T, env *apitest.Env) people {
	t.Helper()
	var p people
	p.managerID, p.manager = env.Agent("gerant", "manager")
	p.supervisorID, p.supervisor = env.Agent("encadrante", "supervisor")
	p.developer_, p.developer = env.Agent("dev", "developer")
	r := env.Post(env.Admin, "/agents", map[string]any{"username": "accueil", "display_name": "Accueil",
		"roles": []string{"agent"}, "password": "password-accueil", "supervisor_id": p.supervisorID}).Expect(t, http.StatusCreated)
	p.agentID = r.Map(t)["id"].(string)
	p.agent = env.Login("accueil", "password-accueil").AccessToken
	c := env.Post(p.agent, "/contacts", map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "email": "m.loubet@example.fr"}).Expect(t, http.StatusCreated)
	p.contactID = c.Map(t)["id"].(string)
	return p
}

// TestProcedure46 walks procedure #46 ("Gestion des relations client")
// through HTTP the way a reception frontend would, branch by branch.
func TestProcedure46(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("KnownProblemLinkedToTheTicketThatTracksIt", func(t *testing.T) { knownProblem(t, env, p) })
		t.Run("BugDeclaredComplementReproducedDevTicketClientToldClosed", func(t *testing.T) { bugDeclaration(t, env, p) })
		t.Run("AccountingQuestionValidatedByTheNextLevel", func(t *testing.T) { accountingQuestion(t, env, p) })
		t.Run("FeatureQuestionClosedOnlyWithTheNewWikiPage", func(t *testing.T) { featureQuestion(t, env, p) })
		t.Run("EscalationFromLevel1To2TellsThePerson", func(t *testing.T) { escalation(t, env, p) })
	})
}

func newBug(t *testing.T, env *apitest.Env, p people, subject string) ticket {
	t.Helper()
	return createTicket(t, env, p.agent, map[string]any{"subject": subject, "channel": "email", "category": "bug_report",
		"contact_id": p.contactID, "assignee_id": p.agentID, "file_reference": "DOS-2026-0042"})
}

func knownProblem(t *testing.T, env *apitest.Env, p people) {
	tracker := newBug(t, env, p, "Export FEC en erreur")
	other := newBug(t, env, p, "L'export FEC ne marche plus")
	if other.Procedure.Code != "assistance" || other.State != "new" || other.Status != "open" {
		t.Fatalf("new ticket: %+v", other)
	}
	other = mustTransition(t, env, p.agent, other, "link_known_problem", map[string]any{
		"ticket": tracker.Number, "message": "Le problème est connu et suivi."})
	if other.State != "known_problem_linked" || len(other.Links) != 1 || other.Links[0].Relation != "tracked_by" || other.Links[0].Number != tracker.Number {
		t.Fatalf("after link: state %s links %+v", other.State, other.Links)
	}
	// The tracker goes through to the end; when it is done, the linked
	// client is told and the linked ticket closes by itself.
	tracker = walkBugToDevTicket(t, env, p, tracker)
	tracker = mustTransition(t, env, p.developer, tracker, "dev_done", nil)
	tracker = mustTransition(t, env, p.agent, tracker, "inform_client_done", map[string]any{"message": "C'est corrigé."})
	tracker = mustTransition(t, env, p.agent, tracker, "close", nil)
	if tracker.Status != "closed" {
		t.Fatalf("tracker %s", tracker.Status)
	}
	other = getTicket(t, env, p.agent, other.ID)
	if other.State != "closed" {
		t.Fatalf("the linked ticket is %s, want closed when its tracker is done", other.State)
	}
	notes := clientNotifications(t, env, p.agent, other.ID)
	if len(notes) != 2 || notes[0].Template != "known_problem_linked" || notes[1].Template != "known_problem_fixed" {
		t.Fatalf("linked client notifications: %+v", notes)
	}
}

// walkBugToDevTicket takes a bug from "new" to "in_development": complement
// requested, client answers, reproduced, dev ticket (refused first without
// the six elements).
func walkBugToDevTicket(t *testing.T, env *apitest.Env, p people, tk ticket) ticket {
	t.Helper()
	tk = mustTransition(t, env, p.agent, tk, "declare_bug", nil)
	tk = mustTransition(t, env, p.agent, tk, "request_complement", map[string]any{"message": "Pouvez-vous envoyer une capture ?"})
	if tk.State != "waiting_complement" || tk.Status != "waiting" || tk.DueAt != nil {
		t.Fatalf("waiting for the client: state %s status %s due %v", tk.State, tk.Status, tk.DueAt)
	}
	env.Post(p.agent, "/tickets/"+tk.ID+"/messages", map[string]any{"channel": "email", "body": "Voici la capture."}).Expect(t, http.StatusCreated)
	tk = getTicket(t, env, p.agent, tk.ID)
	if tk.State != "bug_declared" || tk.Status != "open" || tk.DueAt == nil {
		t.Fatalf("after the client's answer: state %s status %s due %v", tk.State, tk.Status, tk.DueAt)
	}
	tk = mustTransition(t, env, p.agent, tk, "elements_complete", nil)
	refused := transition(env, p.agent, tk, "create_dev_ticket", map[string]any{"title": "Export FEC en erreur"}).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	for _, f := range []string{"fields.description", "fields.reproduction_steps", "fields.environment", "fields.observed_results", "fields.expected_results", "fields.urgency", "fields.developer_id"} {
		if !slices.Contains(fieldsOf(refused), f) {
			t.Fatalf("refused dev ticket does not name %s: %v", f, fieldsOf(refused))
		}
	}
	return mustTransition(t, env, p.agent, tk, "create_dev_ticket", map[string]any{
		"title": "Export FEC en erreur", "description": "L'export FEC échoue depuis la 4.2.",
		"reproduction_steps": "Compta > Exports > FEC 2026", "environment": "LoGeAs 4.2, Windows 11",
		"observed_results": "Erreur 500", "expected_results": "Le fichier FEC", "urgency": "high", "developer_id": p.developer_})
}

func bugDeclaration(t *testing.T, env *apitest.Env, p people) {
	tk := newBug(t, env, p, "Impossible d'éditer les quittances")
	tk = walkBugToDevTicket(t, env, p, tk)
	full := getTicket(t, env, p.agent, tk.ID)
	if full.State != "in_development" || len(full.DevTickets) != 1 || full.DevTickets[0].DeveloperID != p.developer_ || full.DevTickets[0].DueAt == "" {
		t.Fatalf("dev ticket: state %s %+v", full.State, full.DevTickets)
	}
	// "Prévenir le client de la création d'un ticket en indiquant son
	// numéro. Ne pas donner de délai."
	notes := clientNotifications(t, env, p.agent, tk.ID)
	created := notes[len(notes)-1]
	if created.Template != "dev_ticket_created" || created.Data["ticket_number"] != tk.Number || created.Data["file_reference"] != "DOS-2026-0042" {
		t.Fatalf("dev ticket notification: %+v", created)
	}
	for k := range created.Data {
		if strings.Contains(k, "due") || strings.Contains(k, "delai") {
			t.Fatalf("the client is given a delay: %v", created.Data)
		}
	}
	if n := myNotifications(t, env, p.developer); len(n) == 0 || n[0].Kind != "dev_ticket" {
		t.Fatalf("the developer is not told: %+v", n)
	}
	transition(env, p.agent, full, "dev_done", nil).Expect(t, http.StatusForbidden)
	tk = mustTransition(t, env, p.developer, full, "dev_done", map[string]any{"resolution": "Corrigé en 4.2.1"})
	tk = mustTransition(t, env, p.agent, tk, "inform_client_done", map[string]any{"message": "Corrigé en 4.2.1."})
	tk = mustTransition(t, env, p.agent, tk, "close", nil)
	full = getTicket(t, env, p.agent, tk.ID)
	if full.Status != "closed" || full.DevTickets[0].Status != "done" {
		t.Fatalf("closed: %s, dev %s", full.Status, full.DevTickets[0].Status)
	}
	for _, c := range full.Clocks {
		if c.ClosedAt == nil {
			t.Fatalf("a clock stays open on a closed ticket: %+v", c)
		}
	}
	last := clientNotifications(t, env, p.agent, tk.ID)
	if last[len(last)-1].Template != "dev_ticket_done" {
		t.Fatalf("client not told when done: %+v", last)
	}
}

func accountingQuestion(t *testing.T, env *apitest.Env, p people) {
	tk := createTicket(t, env, p.agent, map[string]any{"subject": "TVA sur les honoraires", "channel": "phone",
		"category": "accounting_question", "contact_id": p.contactID, "assignee_id": p.agentID})
	if names := availableTransitions(t, env, p.agent, tk.ID); !slices.Contains(names, "answer_accounting") || slices.Contains(names, "declare_bug") {
		t.Fatalf("accounting question offers %v", names)
	}
	tk = mustTransition(t, env, p.agent, tk, "request_validation", map[string]any{"question": "Taux réduit applicable ?"})
	// Not by the agent who asked, not by another level-1 agent.
	transition(env, p.agent, tk, "validate", nil).Expect(t, http.StatusForbidden)
	_, peer := env.Agent("collegue", "agent")
	transition(env, peer, tk, "validate", nil).Expect(t, http.StatusForbidden)
	if names := availableTransitions(t, env, p.agent, tk.ID); slices.Contains(names, "validate") {
		t.Fatalf("the asker is offered validate: %v", names)
	}
	tk = mustTransition(t, env, p.supervisor, tk, "validate", map[string]any{"comment": "Oui, 10 %."})
	problem := transition(env, p.agent, tk, "answer_accounting", map[string]any{"message": "Le taux réduit s'applique."}).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if !slices.Contains(fieldsOf(problem), "fields.documentation_links") {
		t.Fatalf("answer without documentation links: %v", fieldsOf(problem))
	}
	tk = mustTransition(t, env, p.agent, tk, "answer_accounting", map[string]any{"message": "Le taux réduit s'applique.",
		"documentation_links": []map[string]any{{"title": "Vade-mecum TVA", "url": "https://wiki.example.fr/vademecum/tva"}}})
	if tk.Status != "closed" {
		t.Fatalf("accounting answer: %s", tk.Status)
	}
}

func featureQuestion(t *testing.T, env *apitest.Env, p people) {
	tk := createTicket(t, env, p.agent, map[string]any{"subject": "Comment dupliquer un bail ?", "channel": "email",
		"category": "feature_question", "contact_id": p.contactID})
	tk = mustTransition(t, env, p.agent, tk, "wiki_page_missing", nil)
	problem := transition(env, p.agent, tk, "close_with_new_wiki_page", map[string]any{"message": "Voir la page."}).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	if !slices.Contains(fieldsOf(problem), "fields.wiki_page_url") {
		t.Fatalf("closing without the wiki page: %v", fieldsOf(problem))
	}
	transition(env, p.agent, tk, "close_with_new_wiki_page", map[string]any{"message": "Voir la page.", "wiki_page_url": "ftp://wiki"}).Expect(t, http.StatusUnprocessableEntity)
	tk = mustTransition(t, env, p.agent, tk, "close_with_new_wiki_page", map[string]any{"message": "Voir la page.",
		"wiki_page_url": "https://wiki.example.fr/baux/dupliquer"})
	notes := clientNotifications(t, env, p.agent, tk.ID)
	if tk.Status != "closed" || notes[0].Data["wiki_page_url"] != "https://wiki.example.fr/baux/dupliquer" {
		t.Fatalf("feature answer: %s %+v", tk.Status, notes)
	}
}

func escalation(t *testing.T, env *apitest.Env, p people) {
	tk := newBug(t, env, p, "Client mécontent")
	transition(env, p.agent, tk, "escalate", nil).Expect(t, http.StatusUnprocessableEntity)
	tk = mustTransition(t, env, p.agent, tk, "escalate", map[string]any{"reason": "Client mécontent, demande un responsable"})
	if tk.Level != 2 || tk.State != "new" || tk.AssigneeID == nil || *tk.AssigneeID != p.supervisorID {
		t.Fatalf("escalated: level %d state %s assignee %v", tk.Level, tk.State, tk.AssigneeID)
	}
	notes := myNotifications(t, env, p.supervisor)
	var n agentNotification
	for _, x := range notes {
		if x.Kind == "escalation" && x.TicketID != nil && *x.TicketID == tk.ID {
			n = x
		}
	}
	if n.ID == "" || n.Read || !strings.Contains(n.Message, tk.Number) {
		t.Fatalf("the supervisor is not told: %+v", notes)
	}
	env.Post(p.agent, "/me/notifications/"+n.ID+"/read", nil).Expect(t, http.StatusNotFound)
	var read agentNotification
	env.Post(p.supervisor, "/me/notifications/"+n.ID+"/read", nil).Expect(t, http.StatusOK).JSON(t, &read)
	if !read.Read {
		t.Fatal("not marked read")
	}
	kinds := []string{}
	for _, e := range timeline(t, env, p.agent, tk.ID) {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, "escalation") || !slices.Contains(kinds, "transition") || kinds[0] != "created" {
		t.Fatalf("timeline %v", kinds)
	}
}
