package procedure

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/guichet"
)

// assistance returns the shipped procedure #46.
func assistance(t *testing.T) *Definition {
	t.Helper()
	defs, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for i := range defs {
		if defs[i].Code == "assistance" {
			return &defs[i]
		}
	}
	t.Fatal("assistance is not shipped")
	return nil
}

func agent(id string, roles ...guichet.Role) Actor { return Actor{AgentID: id, Roles: roles} }

var (
	plainAgent = agent("agent-1", guichet.RoleAgent)
	supervisor = agent("supervisor-1", guichet.RoleSupervisor)
	manager    = agent("manager-1", guichet.RoleManager)
	developer  = agent("dev-1", guichet.RoleDeveloper)
	system     = Actor{System: true}
)

// ticket returns a level-1 phone ticket in state with category c.
func ticket(state string, c guichet.Category) Ticket {
	return Ticket{State: state, Category: c, Channel: guichet.ChannelPhone, Level: 1}
}

// askedBy returns a ticket awaiting validation that a asked to validate at
// the level of its roles.
func askedBy(a Actor) Ticket {
	tk := ticket("awaiting_validation", guichet.CategoryAccountingQuestion)
	tk.History = []Step{{Transition: "request_validation", AgentID: a.AgentID, Level: a.level()}}
	return tk
}

// devInputs are the six elements of procedure #46 and the developer, as
// they arrive from JSON.
func devInputs() map[string]any {
	return map[string]any{
		"title":              "Relevé de compte vide à l'export PDF",
		"description":        "L'export PDF du relevé de compte d'un locataire produit un fichier d'une page blanche.",
		"reproduction_steps": "1. Ouvrir un locataire 2. Relevé de compte 3. Exporter en PDF",
		"environment":        "LoGeAs 4.2, Firefox 128, Windows 11",
		"observed_results":   "Une page blanche",
		"expected_results":   "Le relevé avec ses écritures",
		"urgency":            "high",
		"developer_id":       "dev-1",
	}
}

func transitionNames(list []Transition) []string {
	out := make([]string, len(list))
	for i, t := range list {
		out[i] = t.Name
	}
	return out
}

// refusal fails unless err is a *guichet.Error with code, and returns its
// field errors.
func refusal(t *testing.T, err error, code guichet.Code) []guichet.FieldError {
	t.Helper()
	if got := guichet.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	var e *guichet.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *guichet.Error", err)
	}
	return e.Fields
}

func fieldNames(errs []guichet.FieldError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field
	}
	return out
}

// wantFieldError fails unless errs name field with a message containing word.
func wantFieldError(t *testing.T, errs []guichet.FieldError, field, word string) {
	t.Helper()
	for _, e := range errs {
		if e.Field == field && strings.Contains(e.Message, word) {
			return
		}
	}
	t.Errorf("no error on %s mentioning %q; got %+v", field, word, errs)
}

func TestNewTicketOffersTheBranchesOfItsCategory(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	withContact := ticket("new", guichet.CategoryMailingReturn)
	withContact.Set = map[string]bool{"contact_id": true}
	atTopLevel := ticket("new", guichet.CategoryBugReport)
	atTopLevel.Level = 3
	tests := []struct {
		name   string
		ticket Ticket
		want   []string
	}{
		{"BugReportIsDeclaredOrKnown", ticket("new", guichet.CategoryBugReport),
			[]string{"link_known_problem", "answer_known_fix", "declare_bug", "escalate"}},
		{"EvolutionIsDeclaredLikeABug", ticket("new", guichet.CategoryEvolution),
			[]string{"link_known_problem", "answer_known_fix", "declare_bug", "escalate"}},
		{"AccountingQuestionIsAnsweredOrValidated", ticket("new", guichet.CategoryAccountingQuestion),
			[]string{"link_known_problem", "answer_known_fix", "request_validation", "answer_accounting", "escalate"}},
		{"FeatureQuestionIsAnsweredFromTheWiki", ticket("new", guichet.CategoryFeatureQuestion),
			[]string{"link_known_problem", "answer_known_fix", "request_validation", "answer_from_wiki", "wiki_page_missing", "escalate"}},
		{"MailingReturnWithContactIsIdentified", withContact,
			[]string{"link_known_problem", "answer_known_fix", "identify_contact", "escalate"}},
		{"MailingReturnWithoutContactIsNotIdentified", ticket("new", guichet.CategoryMailingReturn),
			[]string{"link_known_problem", "answer_known_fix", "escalate"}},
		{"AppointmentIsAnsweredAndClosed", ticket("new", guichet.CategoryAppointment),
			[]string{"link_known_problem", "answer_known_fix", "answer_and_close", "escalate"}},
		{"TopLevelTicketIsNotEscalated", atTopLevel,
			[]string{"link_known_problem", "answer_known_fix", "declare_bug"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := transitionNames(d.Available(tt.ticket, plainAgent)); !slices.Equal(got, tt.want) {
				t.Errorf("Available = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAvailableLaterInTheProcedure(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tests := []struct {
		name   string
		ticket Ticket
		actor  Actor
		want   []string
	}{
		// Inputs are asked for when the transition is applied, not here.
		{"BugDeclaredOffersCompleteOrComplement", ticket("bug_declared", guichet.CategoryBugReport), plainAgent,
			[]string{"link_known_problem", "request_complement", "elements_complete", "escalate"}},
		{"ReproductionOffersDevTicketOrClosing", ticket("to_reproduce", guichet.CategoryBugReport), plainAgent,
			[]string{"request_complement", "close_not_reproduced", "create_dev_ticket", "escalate"}},
		{"WaitingForTheClientOnlyMovesWhenTheyAnswer", ticket("waiting_complement", guichet.CategoryBugReport), plainAgent,
			[]string{"complement_received", "escalate"}},
		{"DevDoneIsHiddenFromAPlainAgent", ticket("in_development", guichet.CategoryBugReport), plainAgent,
			[]string{"escalate"}},
		{"DevDoneIsOfferedToTheDeveloper", ticket("in_development", guichet.CategoryBugReport), developer,
			[]string{"dev_done", "escalate"}},
		{"DevDoneIsOfferedToGuichet", ticket("in_development", guichet.CategoryBugReport), system,
			[]string{"dev_done", "escalate"}},
		{"ValidationIsHiddenFromTheAsker", askedBy(supervisor), supervisor,
			[]string{"escalate"}},
		{"ValidationIsOfferedToTheNextLevel", askedBy(plainAgent), supervisor,
			[]string{"validate", "escalate"}},
		{"ValidatedAccountingQuestionIsAnswered", ticket("validated", guichet.CategoryAccountingQuestion), plainAgent,
			[]string{"answer_accounting", "escalate"}},
		{"ValidatedFeatureAnswerOrNewWikiPage", ticket("validated", guichet.CategoryFeatureQuestion), plainAgent,
			[]string{"answer_from_wiki", "close_with_new_wiki_page", "escalate"}},
		{"ClosedOffersNothing", ticket("closed", guichet.CategoryBugReport), manager, nil},
		{"UnknownStateOffersNothing", ticket("archived", guichet.CategoryBugReport), manager, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := transitionNames(d.Available(tt.ticket, tt.actor)); !slices.Equal(got, tt.want) {
				t.Errorf("Available = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckRefusesAnUnknownTransition(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	_, _, err := d.Check(ticket("new", guichet.CategoryBugReport), plainAgent, "reopen", nil)
	fields := refusal(t, err, guichet.EINVALID)
	wantFieldError(t, fields, "transition", `"reopen"`)
}

func TestCheckRefusesATransitionThatDoesNotLeaveTheState(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tests := []struct {
		name       string
		state      string
		transition string
	}{
		{"DevTicketBeforeReproduction", "new", "create_dev_ticket"},
		{"ValidationNobodyAskedFor", "new", "validate"},
		{"ClosingTwice", "closed", "close"},
		{"EscalatingAClosedTicket", "closed", "escalate"}, // "*" is every state but the final ones
		{"EscalatingFromAnUnknownState", "archived", "escalate"},
		{"TicketWithoutState", "", "escalate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := d.Check(ticket(tt.state, guichet.CategoryBugReport), manager, tt.transition, map[string]any{"reason": "x"})
			refusal(t, err, guichet.ECONFLICT)
		})
	}
}

func TestDevTicketRequiresTheSixElements(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tk := ticket("to_reproduce", guichet.CategoryBugReport)
	required := []string{"title", "description", "reproduction_steps", "environment",
		"observed_results", "expected_results", "urgency", "developer_id"}

	t.Run("NoneGiven", func(t *testing.T) {
		t.Parallel()
		_, _, err := d.Check(tk, plainAgent, "create_dev_ticket", nil)
		got := fieldNames(refusal(t, err, guichet.EINVALID))
		want := make([]string, len(required))
		for i, name := range required {
			want[i] = "fields." + name
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("fields = %v, want %v", got, want)
		}
	})
	for _, name := range required {
		t.Run("Without_"+name, func(t *testing.T) {
			t.Parallel()
			in := devInputs()
			delete(in, name)
			_, _, err := d.Check(tk, plainAgent, "create_dev_ticket", in)
			fields := refusal(t, err, guichet.EINVALID)
			if got := fieldNames(fields); !slices.Equal(got, []string{"fields." + name}) {
				t.Errorf("fields = %v, want only fields.%s", got, name)
			}
		})
		t.Run("Blank_"+name, func(t *testing.T) {
			t.Parallel()
			in := devInputs()
			in[name] = " \n\t "
			_, _, err := d.Check(tk, plainAgent, "create_dev_ticket", in)
			wantFieldError(t, refusal(t, err, guichet.EINVALID), "fields."+name, "required")
		})
	}
	t.Run("AllGivenWithoutDueDate", func(t *testing.T) {
		t.Parallel()
		tr, values, err := d.Check(tk, plainAgent, "create_dev_ticket", devInputs())
		if err != nil {
			t.Fatal(err)
		}
		if tr.To != "in_development" || values.Text("urgency") != "high" {
			t.Errorf("to %s, urgency %q", tr.To, values.Text("urgency"))
		}
		if _, ok := values.Time("due_at"); ok {
			t.Error("due_at is set though none was given: the policy applies")
		}
	})
}

func TestCheckRejectsMalformedInputs(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	dev := func(name string, v any) map[string]any { in := devInputs(); in[name] = v; return in }
	tests := []struct {
		name       string
		ticket     Ticket
		transition string
		inputs     map[string]any
		field      string
		word       string
	}{
		{"UrgencyOutsideTheList", ticket("to_reproduce", guichet.CategoryBugReport), "create_dev_ticket",
			dev("urgency", "urgent"), "fields.urgency", "low, normal, high, critical"},
		{"DueDateInWords", ticket("to_reproduce", guichet.CategoryBugReport), "create_dev_ticket",
			dev("due_at", "tomorrow"), "fields.due_at", "RFC 3339"},
		{"DueDateWithoutZone", ticket("to_reproduce", guichet.CategoryBugReport), "create_dev_ticket",
			dev("due_at", "2026-10-01T09:00:00"), "fields.due_at", "RFC 3339"},
		{"DeveloperAsNumber", ticket("to_reproduce", guichet.CategoryBugReport), "create_dev_ticket",
			dev("developer_id", 42), "fields.developer_id", "string"},
		{"UndeclaredInput", ticket("to_reproduce", guichet.CategoryBugReport), "create_dev_ticket",
			dev("priority", "high"), "fields.priority", "no such input"},
		{"WikiPageOnFTP", ticket("wiki_page_needed", guichet.CategoryFeatureQuestion), "close_with_new_wiki_page",
			map[string]any{"wiki_page_url": "ftp://x", "message": "Voir la page"}, "fields.wiki_page_url", "http or https"},
		{"WikiPageWithoutHost", ticket("wiki_page_needed", guichet.CategoryFeatureQuestion), "close_with_new_wiki_page",
			map[string]any{"wiki_page_url": "https://", "message": "Voir la page"}, "fields.wiki_page_url", "http or https"},
		{"LinksNotAList", ticket("new", guichet.CategoryAccountingQuestion), "answer_accounting",
			map[string]any{"message": "Voir le vade-mecum", "documentation_links": "https://wiki-logeas.fr/vade-mecum"},
			"fields.documentation_links", "list"},
		{"LinksOfStrings", ticket("new", guichet.CategoryAccountingQuestion), "answer_accounting",
			map[string]any{"message": "Voir le vade-mecum", "documentation_links": []any{"https://wiki-logeas.fr/vade-mecum"}},
			"fields.documentation_links", "list"},
		{"LinkWithoutURL", ticket("new", guichet.CategoryAccountingQuestion), "answer_accounting",
			map[string]any{"message": "Voir le vade-mecum", "documentation_links": []any{map[string]any{"title": "Vade-mecum"}}},
			"fields.documentation_links", "url"},
		{"LinkWithExtraMembers", ticket("new", guichet.CategoryAccountingQuestion), "answer_accounting",
			map[string]any{"message": "Voir le vade-mecum", "documentation_links": []any{map[string]any{
				"title": "Vade-mecum", "url": "https://wiki-logeas.fr/vade-mecum", "system": "wiki"}}},
			"fields.documentation_links", "at most a title"},
		{"MessageAsNull", ticket("bug_declared", guichet.CategoryBugReport), "request_complement",
			map[string]any{"message": nil}, "fields.message", "string"},
		{"MessageTooLong", ticket("bug_declared", guichet.CategoryBugReport), "request_complement",
			map[string]any{"message": strings.Repeat("é", maxTextInput)}, "fields.message", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, values, err := d.Check(tt.ticket, plainAgent, tt.transition, tt.inputs)
			wantFieldError(t, refusal(t, err, guichet.EINVALID), tt.field, tt.word)
			if values != nil {
				t.Errorf("values = %v on a refusal", values)
			}
		})
	}
}

func TestBugDeclarationNeedsBugOrEvolutionCategory(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	for _, c := range guichet.Categories {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			_, _, err := d.Check(ticket("new", c), plainAgent, "declare_bug", nil)
			if c == guichet.CategoryBugReport || c == guichet.CategoryEvolution {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantFieldError(t, refusal(t, err, guichet.EINVALID), "guard.category", "bug_report or evolution")
		})
	}
}

func TestMailingReturnIsIdentifiedOnceTheContactIsSet(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tk := ticket("new", guichet.CategoryMailingReturn)
	_, _, err := d.Check(tk, plainAgent, "identify_contact", nil)
	wantFieldError(t, refusal(t, err, guichet.EINVALID), "guard.ticket_fields", "contact_id")

	tk.Set = map[string]bool{"contact_id": true}
	if _, _, err := d.Check(tk, plainAgent, "identify_contact", nil); err != nil {
		t.Fatal(err)
	}
}

func TestDevDoneIsForDevelopersAndTheirSupervisors(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tk := ticket("in_development", guichet.CategoryBugReport)
	tests := []struct {
		name  string
		actor Actor
		want  guichet.Code
	}{
		{"PlainAgentIsForbidden", plainAgent, guichet.EFORBIDDEN},
		{"AccountantIsForbidden", agent("accountant-1", guichet.RoleAccountant), guichet.EFORBIDDEN},
		{"ActorWithoutRolesIsForbidden", agent("nobody"), guichet.EFORBIDDEN},
		{"Developer", developer, ""},
		{"Supervisor", supervisor, ""},
		{"AgentWhoIsAlsoAdmin", agent("agent-2", guichet.RoleAgent, guichet.RoleAdmin), ""},
		{"GuichetItself", system, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := d.Check(tk, tt.actor, "dev_done", map[string]any{"resolution": "Corrigé en 4.2.1"})
			if got := guichet.ErrorCode(err); got != tt.want {
				t.Errorf("error = %v, want code %q", err, tt.want)
			}
		})
	}
}

// A refusal of rights comes before the inputs: the caller learns nothing
// about a form they may not submit.
func TestForbiddenComesBeforeInputErrors(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	_, _, err := d.Check(ticket("in_development", guichet.CategoryBugReport), plainAgent, "dev_done",
		map[string]any{"resolution": 42, "patch": "x"})
	if fields := refusal(t, err, guichet.EFORBIDDEN); len(fields) != 0 {
		t.Errorf("fields = %v on a forbidden transition", fields)
	}
}

func TestValidationByTheNextLevelNotTheAsker(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	otherAgent := agent("agent-2", guichet.RoleAgent)
	otherSupervisor := agent("supervisor-2", guichet.RoleSupervisor)
	tests := []struct {
		name   string
		ticket Ticket
		actor  Actor
		want   guichet.Code
	}{
		{"AskerCannotValidate", askedBy(plainAgent), plainAgent, guichet.EFORBIDDEN},
		{"SupervisorWhoAskedCannotValidate", askedBy(supervisor), supervisor, guichet.EFORBIDDEN},
		{"SameLevelCannotValidate", askedBy(plainAgent), otherAgent, guichet.EFORBIDDEN},
		{"AccountantIsStillLevelOne", askedBy(plainAgent), agent("accountant-1", guichet.RoleAccountant), guichet.EFORBIDDEN},
		{"OtherSupervisorCannotValidateASupervisor", askedBy(supervisor), otherSupervisor, guichet.EFORBIDDEN},
		{"SupervisorValidatesAnAgent", askedBy(plainAgent), supervisor, ""},
		{"ManagerValidatesAnAgent", askedBy(plainAgent), manager, ""},
		{"ManagerValidatesASupervisor", askedBy(supervisor), manager, ""},
		{"GuichetItselfIsNotStopped", askedBy(plainAgent), system, ""},
		{"TheLatestRequestCounts", func() Ticket {
			tk := askedBy(supervisor)
			tk.History = append([]Step{{Transition: "request_validation", AgentID: plainAgent.AgentID, Level: 1}}, tk.History...)
			return tk
		}(), otherSupervisor, guichet.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := d.Check(tt.ticket, tt.actor, "validate", map[string]any{"comment": "Conforme au vade-mecum"})
			if got := guichet.ErrorCode(err); got != tt.want {
				t.Errorf("error = %v, want code %q", err, tt.want)
			}
		})
	}
}

// A manager is the top level: nobody could validate their request, so
// they answer without asking (max_level guard).
func TestManagerDoesNotAskForValidation(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tk := ticket("new", guichet.CategoryAccountingQuestion)
	_, _, err := d.Check(tk, manager, "request_validation", map[string]any{"question": "?"})
	if guichet.ErrorCode(err) != guichet.EFORBIDDEN {
		t.Fatalf("manager asking for validation: %v", err)
	}
	if _, _, err := d.Check(tk, supervisor, "request_validation", map[string]any{"question": "?"}); err != nil {
		t.Fatalf("supervisor asking for validation: %v", err)
	}
}

func TestEscalationStopsAtTheTopLevel(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	reason := map[string]any{"reason": "Le client relance pour la troisième fois"}
	for _, state := range []string{"new", "waiting_complement", "in_development", "awaiting_validation"} {
		t.Run("FromLevel2In_"+state, func(t *testing.T) {
			t.Parallel()
			tk := ticket(state, guichet.CategoryBugReport)
			tk.Level = 2
			tr, _, err := d.Check(tk, plainAgent, "escalate", reason)
			if err != nil {
				t.Fatal(err)
			}
			if tr.To != "" {
				t.Errorf("escalate moves the ticket to %q; it should stay in %s", tr.To, state)
			}
		})
	}
	t.Run("RefusedAtLevel3", func(t *testing.T) {
		t.Parallel()
		tk := ticket("new", guichet.CategoryBugReport)
		tk.Level = 3
		_, _, err := d.Check(tk, manager, "escalate", reason)
		wantFieldError(t, refusal(t, err, guichet.EINVALID), "guard.max_ticket_level", "level 3")
	})
	t.Run("NeedsAReason", func(t *testing.T) {
		t.Parallel()
		_, _, err := d.Check(ticket("new", guichet.CategoryBugReport), plainAgent, "escalate", map[string]any{"reason": "  "})
		wantFieldError(t, refusal(t, err, guichet.EINVALID), "fields.reason", "required")
	})
}

// Every failed guard and every missing input comes back in one refusal.
func TestCheckListsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	tk := ticket("new", guichet.CategoryFeatureQuestion)
	tk.Level = 3
	_, _, err := d.Check(tk, plainAgent, "escalate", map[string]any{"urgency": "high"})
	got := fieldNames(refusal(t, err, guichet.EINVALID))
	want := []string{"fields.urgency", "guard.max_ticket_level", "fields.reason"}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	for _, f := range want {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("message %q does not name %s", err, f)
		}
	}
}

func TestSystemActorPassesRoleGuardsButNotTheOthers(t *testing.T) {
	t.Parallel()
	d := assistance(t)
	if _, _, err := d.Check(ticket("waiting_complement", guichet.CategoryBugReport), system, "complement_received", nil); err != nil {
		t.Errorf("complement_received by Guichet: %v", err)
	}
	if _, _, err := d.Check(ticket("known_problem_linked", guichet.CategoryBugReport), system, "tracker_done", nil); err != nil {
		t.Errorf("tracker_done by Guichet: %v", err)
	}
	_, _, err := d.Check(ticket("new", guichet.CategoryAccountingQuestion), system, "declare_bug", nil)
	wantFieldError(t, refusal(t, err, guichet.EINVALID), "guard.category", "bug_report")
}

func TestValuesHoldTheDecodedInputs(t *testing.T) {
	t.Parallel()
	d := assistance(t)

	t.Run("TextIsTrimmedAndTimeParsed", func(t *testing.T) {
		t.Parallel()
		in := devInputs()
		in["title"] = "  Relevé vide \n"
		in["due_at"] = "2026-10-01T09:00:00+02:00"
		_, v, err := d.Check(ticket("to_reproduce", guichet.CategoryBugReport), plainAgent, "create_dev_ticket", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Text("title"); got != "Relevé vide" {
			t.Errorf("Text(title) = %q", got)
		}
		want := time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC)
		if got, ok := v.Time("due_at"); !ok || !got.Equal(want) {
			t.Errorf("Time(due_at) = %v, %v; want %v", got, ok, want)
		}
		if got := v.Text("developer_id"); got != "dev-1" {
			t.Errorf("Text(developer_id) = %q", got)
		}
	})
	t.Run("LinksAreDecoded", func(t *testing.T) {
		t.Parallel()
		in := map[string]any{"message": "Voir le vade-mecum, chapitre 3.", "documentation_links": []any{
			map[string]any{"title": " Vade-mecum ", "url": "https://wiki-logeas.fr/vade-mecum#ch3"},
			map[string]any{"url": "https://wiki-logeas.fr/regale"},
		}}
		_, v, err := d.Check(ticket("new", guichet.CategoryAccountingQuestion), plainAgent, "answer_accounting", in)
		if err != nil {
			t.Fatal(err)
		}
		want := []guichet.Link{
			{Title: "Vade-mecum", URL: "https://wiki-logeas.fr/vade-mecum#ch3"},
			{URL: "https://wiki-logeas.fr/regale"},
		}
		if got := v.Links("documentation_links"); !slices.Equal(got, want) {
			t.Errorf("Links = %+v, want %+v", got, want)
		}
	})
	t.Run("AbsentOrOtherTypeIsZero", func(t *testing.T) {
		t.Parallel()
		v := Values{"message": "Bonjour", "due_at": time.Now(), "links": []guichet.Link{{URL: "https://x.fr"}}}
		if v.Text("absent") != "" || v.Text("due_at") != "" || v.Links("message") != nil || v.Links("absent") != nil {
			t.Error("a missing or mistyped value is not zero")
		}
		if _, ok := v.Time("message"); ok {
			t.Error("Time(message) ok for a string")
		}
	})
	t.Run("EmptyLinksAreMissing", func(t *testing.T) {
		t.Parallel()
		in := map[string]any{"message": "Voir la documentation", "documentation_links": []any{}}
		_, _, err := d.Check(ticket("new", guichet.CategoryAccountingQuestion), plainAgent, "answer_accounting", in)
		wantFieldError(t, refusal(t, err, guichet.EINVALID), "fields.documentation_links", "required")
	})
}
