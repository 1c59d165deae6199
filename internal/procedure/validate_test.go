package procedure

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/calendar"
)

// validDefinition returns a fresh, small definition that passes Validate
// and uses every guard and action kind, so that each case below breaks
// exactly one thing. The indices in the comments are those of the paths.
func validDefinition() Definition {
	return Definition{
		Code: "demo", Version: "01-2026", Title: "Démonstration", Initial: "new",
		States: []State{
			{Name: "new", Title: "Nouveau"}, // 0
			{Name: "waiting", Title: "En attente du client", WaitsForClient: true, OnClientMessage: "answered"}, // 1
			{Name: "in_dev", Title: "Ticket « dev » créé", OnTrackerDone: "done"},                               // 2
			{Name: "closed", Title: "Clôturé", Final: true},                                                     // 3
		},
		Transitions: []Transition{
			{ // 0
				Name: "ask", Title: "Demande de complément", From: []string{"new"}, To: "waiting",
				Fields: []Field{{Name: "message", Title: "Éléments demandés", Type: FieldText}},
				Guards: []Guard{{Kind: GuardRequiredFields, Fields: []string{"message"}}},
				Actions: []Action{
					{Kind: ActionNotifyClient, Template: "complement_requested", Data: []string{"message"}},
					{Kind: ActionScheduleReminder, Policy: &calendar.Policy{Kind: calendar.BusinessDays, Days: 5}, Recipient: RecipientAssignee},
				},
			},
			{Name: "answered", Title: "Le client a répondu", From: []string{"waiting"}, To: "new"}, // 1
			{ // 2
				Name: "develop", Title: "Créer un ticket « dev »", From: []string{"new"}, To: "in_dev",
				Fields: []Field{
					{Name: "title", Title: "Titre", Type: FieldText},
					{Name: "description", Title: "Description", Type: FieldText},
					{Name: "reproduction_steps", Title: "Étapes de reproduction", Type: FieldText},
					{Name: "environment", Title: "Environnement", Type: FieldText},
					{Name: "observed_results", Title: "Résultats observés", Type: FieldText},
					{Name: "expected_results", Title: "Résultats attendus", Type: FieldText},
					{Name: "urgency", Title: "Urgence", Type: FieldUrgency},
					{Name: "developer_id", Title: "Développeur", Type: FieldAgent},
					{Name: "due_at", Title: "Délai", Type: FieldDateTime},
					{Name: "tracker", Title: "Ticket qui suit le problème", Type: FieldTicket},
				},
				Guards: []Guard{{Kind: GuardRequiredFields, Fields: []string{"title", "description", "reproduction_steps",
					"environment", "observed_results", "expected_results", "urgency", "developer_id"}}},
				Actions: []Action{
					{Kind: ActionCreateDevTicket},                                           // 0: due at the due_at input
					{Kind: ActionSetDue, Clock: "dev", Field: "due_at"},                     // 1
					{Kind: ActionLinkTicket, Field: "tracker", Relation: RelationTrackedBy}, // 2
					{Kind: ActionNotifyClient, Template: "dev_ticket_created"},              // 3
				},
			},
			{ // 3
				Name: "done", Title: "Fait côté dev", From: []string{"in_dev"}, To: "closed",
				Actions: []Action{{Kind: ActionCompleteDevTicket}, {Kind: ActionCloseClock, Clock: "dev"}},
			},
			{ // 4
				Name: "close", Title: "Clôturer", From: []string{"new"}, To: "closed",
				Fields: []Field{{Name: "reason", Title: "Raison", Type: FieldText}},
				Guards: []Guard{
					{Kind: GuardRoles, Roles: []string{"agent", "supervisor"}},    // 0
					{Kind: GuardMinLevel, Level: 1},                               // 1
					{Kind: GuardMaxTicketLevel, Level: 2},                         // 2
					{Kind: GuardCategory, Categories: []string{"bug_report"}},     // 3
					{Kind: GuardChannel, Channels: []string{"email"}},             // 4
					{Kind: GuardTicketFields, Fields: []string{"contact_id"}},     // 5
					{Kind: GuardOtherAgent, Transition: "ask", HigherLevel: true}, // 6
				},
			},
			{Name: "escalate", Title: "Escalader", From: []string{AnyState}, Actions: []Action{{Kind: ActionEscalate}}}, // 5
		},
	}
}

// transition returns the named transition of d for a mutation to edit.
func transition(d *Definition, name string) *Transition {
	i := slices.IndexFunc(d.Transitions, func(t Transition) bool { return t.Name == name })
	if i < 0 {
		panic("test definition has no transition " + name)
	}
	return &d.Transitions[i]
}

// state returns the named state of d for a mutation to edit.
func state(d *Definition, name string) *State {
	i := slices.IndexFunc(d.States, func(s State) bool { return s.Name == name })
	if i < 0 {
		panic("test definition has no state " + name)
	}
	return &d.States[i]
}

// removeInput drops the input name from t's fields and required_fields.
func removeInput(t *Transition, name string) {
	t.Fields = slices.DeleteFunc(t.Fields, func(f Field) bool { return f.Name == name })
	unrequire(t, name)
}

// unrequire keeps the input name declared but no longer required.
func unrequire(t *Transition, name string) {
	for i := range t.Guards {
		t.Guards[i].Fields = slices.DeleteFunc(t.Guards[i].Fields, func(f string) bool { return f == name })
	}
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate() = %v, want a *ValidationError", err)
	}
	if len(verr.Problems) == 0 {
		t.Fatal("ValidationError with no problem")
	}
	return verr.Problems
}

// wantProblem fails unless one of the problems is at path and its message
// contains word.
func wantProblem(t *testing.T, got []Problem, path, word string) {
	t.Helper()
	for _, p := range got {
		if p.Path == path && strings.Contains(p.Message, word) {
			return
		}
	}
	t.Errorf("no problem at %s mentioning %q; got %+v", path, word, got)
}

func TestValidDefinitionHasNoProblem(t *testing.T) {
	t.Parallel()
	d := validDefinition()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsTheProblem(t *testing.T) {
	t.Parallel()
	policy := func(p calendar.Policy) *calendar.Policy { return &p }
	type validationCase struct {
		name   string
		mutate func(d *Definition)
		path   string // of the problem expected
		word   string // in its message
	}
	tests := []validationCase{
		// Header.
		{"CodeWithCapitals", func(d *Definition) { d.Code = "Demo" }, "code", "lower-case"},
		{"CodeEmpty", func(d *Definition) { d.Code = "" }, "code", "lower-case"},
		{"CodeStartingWithADigit", func(d *Definition) { d.Code = "46_assistance" }, "code", "starting with a letter"},
		{"VersionEmpty", func(d *Definition) { d.Version = " " }, "version", "1 to 40"},
		{"VersionTooLong", func(d *Definition) { d.Version = strings.Repeat("9", 41) }, "version", "1 to 40"},
		{"TitleBlank", func(d *Definition) { d.Title = "\t" }, "title", "empty"},
		{"InitialStateUnknown", func(d *Definition) { d.Initial = "start" }, "initial_state", `"start" is not a state`},
		{"NoTransition", func(d *Definition) { d.Transitions = nil }, "transitions", "at least one transition"},

		// States.
		{"NoFinalState", func(d *Definition) { state(d, "closed").Final = false }, "states", "at least one final state"},
		{"StateNameWithSpace", func(d *Definition) { state(d, "closed").Name = "is closed" }, "states[3].name", "lower-case"},
		{"StateDeclaredTwice", func(d *Definition) {
			d.States = append(d.States, State{Name: "waiting", Title: "Encore"})
		}, "states[4].name", `"waiting" is declared twice`},
		{"UnreachableState", func(d *Definition) {
			d.States = append(d.States, State{Name: "orphan", Title: "Orphelin"})
			d.Transitions = append(d.Transitions, Transition{Name: "adopt", Title: "Adopter", From: []string{"orphan"}, To: "closed"})
		}, "states[4]", `"orphan" cannot be reached from "new"`},
		{"NonFinalDeadEnd", func(d *Definition) {
			d.States = append(d.States, State{Name: "limbo", Title: "Limbes"})
			d.Transitions = append(d.Transitions, Transition{Name: "lose", Title: "Perdre", From: []string{"new"}, To: "limbo"})
		}, "states[4]", `"limbo" is not final and no transition leaves it`},
		{"TransitionWithoutToIsNoWayOut", func(d *Definition) {
			// escalate ("*", no to) does not count as a way out of in_dev.
			transition(d, "done").From = []string{"new"}
			state(d, "in_dev").OnTrackerDone = ""
		}, "states[2]", "no transition leaves it"},
		{"FinalStateWaitsForClient", func(d *Definition) { state(d, "closed").WaitsForClient = true }, "states[3]", "neither waits nor moves"},
		{"FinalStateMovesOnClientMessage", func(d *Definition) { state(d, "closed").OnClientMessage = "answered" }, "states[3]", "neither waits nor moves"},

		// Hooks: transitions Guichet applies by itself.
		{"OnClientMessageUnknownTransition", func(d *Definition) { state(d, "waiting").OnClientMessage = "reply" },
			"states[1].on_client_message", `"reply" is not a transition from this state`},
		{"OnClientMessageNotLeavingTheState", func(d *Definition) { state(d, "waiting").OnClientMessage = "done" },
			"states[1].on_client_message", `"done" is not a transition from this state`},
		{"OnClientMessageRequiringInputs", func(d *Definition) {
			a := transition(d, "answered")
			a.Fields = []Field{{Name: "note", Title: "Note", Type: FieldText}}
			a.Guards = []Guard{{Kind: GuardRequiredFields, Fields: []string{"note"}}}
		}, "states[1].on_client_message", "applied by Guichet"},
		{"OnClientMessageRequiringARole", func(d *Definition) {
			transition(d, "answered").Guards = []Guard{{Kind: GuardRoles, Roles: []string{"supervisor"}}}
		}, "states[1].on_client_message", "applied by Guichet"},
		{"OnClientMessageRequiringALevel", func(d *Definition) {
			transition(d, "answered").Guards = []Guard{{Kind: GuardMinLevel, Level: 2}}
		}, "states[1].on_client_message", "applied by Guichet"},
		{"OnClientMessageRequiringAnotherAgent", func(d *Definition) {
			transition(d, "answered").Guards = []Guard{{Kind: GuardOtherAgent, Transition: "ask"}}
		}, "states[1].on_client_message", "applied by Guichet"},
		{"OnClientMessageRequiringTicketFields", func(d *Definition) {
			transition(d, "answered").Guards = []Guard{{Kind: GuardTicketFields, Fields: []string{"contact_id"}}}
		}, "states[1].on_client_message", "applied by Guichet"},
		{"OnTrackerDoneNotLeavingTheState", func(d *Definition) { state(d, "in_dev").OnTrackerDone = "ask" },
			"states[2].on_tracker_done", `"ask" is not a transition from this state`},
		{"OnTrackerDoneRequiringInputs", func(d *Definition) { state(d, "new").OnTrackerDone = "ask" },
			"states[0].on_tracker_done", "applied by Guichet"},

		// Transitions.
		{"TransitionNameWithDash", func(d *Definition) { transition(d, "close").Name = "close-it" }, "transitions[4].name", "lower-case"},
		{"TransitionDeclaredTwice", func(d *Definition) {
			d.Transitions = append(d.Transitions, Transition{Name: "done", Title: "Encore", From: []string{"in_dev"}, To: "closed"})
		}, "transitions[6].name", `"done" is declared twice`},
		{"FromNothing", func(d *Definition) { transition(d, "close").From = nil }, "transitions[4].from", "at least one state"},
		{"FromUnknownState", func(d *Definition) { transition(d, "close").From = []string{"new", "nowhere"} },
			"transitions[4].from[1]", `"nowhere" is not a state`},
		{"FromFinalState", func(d *Definition) { transition(d, "done").From = []string{"in_dev", "closed"} },
			"transitions[3].from[1]", `"closed" is final`},
		{"ToUnknownState", func(d *Definition) { transition(d, "close").To = "archived" }, "transitions[4].to", `"archived" is not a state`},

		// Fields.
		{"FieldTypeUnknown", func(d *Definition) { transition(d, "ask").Fields[0].Type = "number" },
			"transitions[0].fields[0].type", `unknown field type "number"`},
		{"FieldTypeMissing", func(d *Definition) { transition(d, "ask").Fields[0].Type = "" },
			"transitions[0].fields[0].type", "unknown field type"},
		{"FieldNameBad", func(d *Definition) {
			a := transition(d, "ask")
			a.Fields = append(a.Fields, Field{Name: "Pièce", Title: "Pièce jointe", Type: FieldURL})
		}, "transitions[0].fields[1].name", "lower-case"},
		{"FieldDeclaredTwice", func(d *Definition) {
			a := transition(d, "ask")
			a.Fields = append(a.Fields, Field{Name: "message", Title: "Encore", Type: FieldText})
		}, "transitions[0].fields[1].name", `"message" is declared twice`},

		// Guards.
		{"GuardKindUnknown", func(d *Definition) { transition(d, "close").Guards[1].Kind = "telepathy" },
			"transitions[4].guards[1].kind", `unknown guard kind "telepathy"`},
		{"RequiredFieldsUndeclared", func(d *Definition) { transition(d, "ask").Guards[0].Fields = []string{"message", "attachment"} },
			"transitions[0].guards[0].fields", `"attachment" is not an input`},
		{"RequiredFieldsEmpty", func(d *Definition) { transition(d, "ask").Guards[0].Fields = nil },
			"transitions[0].guards[0].fields", "must not be empty"},
		{"TicketFieldsUnknownAttribute", func(d *Definition) { transition(d, "close").Guards[5].Fields = []string{"phone"} },
			"transitions[4].guards[5].fields", `unknown value "phone"`},
		{"TicketFieldsEmpty", func(d *Definition) { transition(d, "close").Guards[5].Fields = nil },
			"transitions[4].guards[5].fields", "must not be empty"},
		{"RolesUnknownRole", func(d *Definition) { transition(d, "close").Guards[0].Roles = []string{"agent", "superuser"} },
			"transitions[4].guards[0].roles", `unknown value "superuser"`},
		{"RolesEmpty", func(d *Definition) { transition(d, "close").Guards[0].Roles = nil },
			"transitions[4].guards[0].roles", "must not be empty"},
		{"MinLevelZero", func(d *Definition) { transition(d, "close").Guards[1].Level = 0 },
			"transitions[4].guards[1].level", "1, 2 or 3"},
		{"MinLevelFour", func(d *Definition) { transition(d, "close").Guards[1].Level = 4 },
			"transitions[4].guards[1].level", "1, 2 or 3"},
		{"MaxTicketLevelZero", func(d *Definition) { transition(d, "close").Guards[2].Level = 0 },
			"transitions[4].guards[2].level", "1, 2 or 3"},
		{"MaxTicketLevelFour", func(d *Definition) { transition(d, "close").Guards[2].Level = 4 },
			"transitions[4].guards[2].level", "1, 2 or 3"},
		{"CategoryUnknown", func(d *Definition) { transition(d, "close").Guards[3].Categories = []string{"billing"} },
			"transitions[4].guards[3].categories", `unknown value "billing"`},
		{"CategoryEmpty", func(d *Definition) { transition(d, "close").Guards[3].Categories = nil },
			"transitions[4].guards[3].categories", "must not be empty"},
		{"ChannelUnknown", func(d *Definition) { transition(d, "close").Guards[4].Channels = []string{"fax"} },
			"transitions[4].guards[4].channels", `unknown value "fax"`},
		{"ChannelEmpty", func(d *Definition) { transition(d, "close").Guards[4].Channels = nil },
			"transitions[4].guards[4].channels", "must not be empty"},
		{"OtherAgentUnknownTransition", func(d *Definition) { transition(d, "close").Guards[6].Transition = "ask_validation" },
			"transitions[4].guards[6].transition", `"ask_validation" is not a transition`},
		{"OtherAgentWithoutTransition", func(d *Definition) { transition(d, "close").Guards[6].Transition = "" },
			"transitions[4].guards[6].transition", "is not a transition"},

		// Actions.
		{"ActionKindUnknown", func(d *Definition) { transition(d, "done").Actions[0].Kind = "send_sms" },
			"transitions[3].actions[0].kind", `unknown action kind "send_sms"`},
		{"CloseClockWithoutClock", func(d *Definition) { transition(d, "done").Actions[1].Clock = "" },
			"transitions[3].actions[1].clock", "must name the clock"},
		{"SetDueWithBadClock", func(d *Definition) { transition(d, "develop").Actions[1].Clock = "Dev clock" },
			"transitions[2].actions[1].clock", "must name the clock"},
		{"SetDueWithoutPolicyOrField", func(d *Definition) { transition(d, "develop").Actions[1].Field = "" },
			"transitions[2].actions[1].policy", "is required"},
		{"SetDueWithPolicyAndField", func(d *Definition) {
			transition(d, "develop").Actions[1].Policy = policy(calendar.Policy{Kind: calendar.BusinessDays, Days: 10})
		}, "transitions[2].actions[1]", "not both"},
		{"SetDueFieldNotADatetime", func(d *Definition) { transition(d, "develop").Actions[1].Field = "title" },
			"transitions[2].actions[1].field", `"title" is not a datetime input`},
		{"SetDueFieldUndeclared", func(d *Definition) { transition(d, "develop").Actions[1].Field = "deadline" },
			"transitions[2].actions[1].field", `"deadline" is not a datetime input`},
		{"SetDuePolicyInvalid", func(d *Definition) {
			a := &transition(d, "develop").Actions[1]
			a.Field, a.Policy = "", policy(calendar.Policy{Kind: calendar.BusinessHours})
		}, "transitions[2].actions[1].policy", "hours must be above 0"},
		{"ReminderPolicyNegativeDays", func(d *Definition) { transition(d, "ask").Actions[1].Policy.Days = -1 },
			"transitions[0].actions[1].policy", "days must be between 0"},
		{"ReminderPolicyUnknownKind", func(d *Definition) { transition(d, "ask").Actions[1].Policy.Kind = "calendar_days" },
			"transitions[0].actions[1].policy", `unknown kind "calendar_days"`},
		{"ReminderPolicyTooManyDays", func(d *Definition) { transition(d, "ask").Actions[1].Policy.Days = calendar.MaxPolicyDays + 1 },
			"transitions[0].actions[1].policy", "days must be between 0"},
		{"ReminderWithoutPolicy", func(d *Definition) { transition(d, "ask").Actions[1].Policy = nil },
			"transitions[0].actions[1].policy", "is required"},
		{"ReminderWithoutRecipient", func(d *Definition) { transition(d, "ask").Actions[1].Recipient = "" },
			"transitions[0].actions[1].recipient", `"assignee" or "actor"`},
		{"ReminderToTheClient", func(d *Definition) { transition(d, "ask").Actions[1].Recipient = "client" },
			"transitions[0].actions[1].recipient", `"assignee" or "actor"`},
		{"NotifyClientWithoutTemplate", func(d *Definition) { transition(d, "ask").Actions[0].Template = "" },
			"transitions[0].actions[0].template", "must name a template"},
		{"NotifyClientWithBadTemplate", func(d *Definition) { transition(d, "ask").Actions[0].Template = "complément demandé" },
			"transitions[0].actions[0].template", "must name a template"},
		{"NotifyClientGivesADelay", func(d *Definition) { transition(d, "develop").Actions[3].Data = []string{"tracker", "due_at"} },
			"transitions[2].actions[3].data", "a client is never given a delay"},
		{"NotifyClientUndeclaredData", func(d *Definition) { transition(d, "ask").Actions[0].Data = []string{"message", "signature"} },
			"transitions[0].actions[0].data", `"signature" is not an input`},
		{"LinkTicketFieldNotATicket", func(d *Definition) { transition(d, "develop").Actions[2].Field = "developer_id" },
			"transitions[2].actions[2].field", `"developer_id" is not a ticket input`},
		{"LinkTicketFieldUndeclared", func(d *Definition) { transition(d, "develop").Actions[2].Field = "" },
			"transitions[2].actions[2].field", "is not a ticket input"},
		{"LinkTicketUnknownRelation", func(d *Definition) { transition(d, "develop").Actions[2].Relation = "blocks" },
			"transitions[2].actions[2].relation", `"tracked_by" or "related"`},
		{"DevTicketUrgencyDeclaredButNotRequired", func(d *Definition) { unrequire(transition(d, "develop"), "urgency") },
			"transitions[2].actions[0]", `requires the input "urgency"`},
		{"DevTicketDeveloperNotAnAgent", func(d *Definition) { transition(d, "develop").Fields[7].Type = FieldText },
			"transitions[2].actions[0]", "developer_id must be an agent input"},
		{"DevTicketDueAtNotADatetime", func(d *Definition) { transition(d, "develop").Fields[8].Type = FieldText },
			"transitions[2].actions[0]", "due_at must be a datetime input"},
		{"DevTicketWithoutDueDate", func(d *Definition) { removeInput(transition(d, "develop"), "due_at") },
			"transitions[2].actions[0].policy", "a due_at input or a policy"},
		{"DevTicketPolicyInvalid", func(d *Definition) {
			transition(d, "develop").Actions[0].Policy = policy(calendar.Policy{Kind: calendar.BusinessDays, Days: -3})
		}, "transitions[2].actions[0].policy", "days must be between 0"},
	}
	for _, name := range append(slices.Clone(DevTicketFields), "developer_id") {
		tests = append(tests, validationCase{"DevTicketWithout_" + name, func(d *Definition) { removeInput(transition(d, "develop"), name) },
			"transitions[2].actions[0]", fmt.Sprintf("requires the input %q", name)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := validDefinition()
			tt.mutate(&d)
			err := d.Validate()
			wantProblem(t, problems(t, err), tt.path, tt.word)
			if !strings.Contains(err.Error(), tt.path+": ") {
				t.Errorf("Error() = %q, want it to name %s", err, tt.path)
			}
		})
	}
}

// Dev tickets: the six elements of procedure #46 and the developer, each in
// turn, are reported once, on the action, and nothing else is.
func TestDevTicketWithoutOneElementHasOneProblem(t *testing.T) {
	t.Parallel()
	for _, name := range append(slices.Clone(DevTicketFields), "developer_id") {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := validDefinition()
			removeInput(transition(&d, "develop"), name)
			want := []Problem{{Path: "transitions[2].actions[0]", Message: fmt.Sprintf("a dev ticket requires the input %q", name)}}
			if got := problems(t, d.Validate()); !reflect.DeepEqual(got, want) {
				t.Errorf("problems = %+v, want %+v", got, want)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	d := validDefinition()
	d.Code = "Demo"
	transition(&d, "close").Guards[3].Categories = []string{"billing"}
	transition(&d, "ask").Actions[1].Recipient = ""
	removeInput(transition(&d, "develop"), "environment")
	state(&d, "closed").WaitsForClient = true

	got := problems(t, d.Validate())
	want := map[string]string{
		"code":                                "lower-case",
		"transitions[4].guards[3].categories": "billing",
		"transitions[0].actions[1].recipient": "assignee",
		"transitions[2].actions[0]":           "environment",
		"states[3]":                           "neither waits",
	}
	for path, word := range want {
		wantProblem(t, got, path, word)
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d: %+v", len(got), len(want), got)
	}
}

// "from": ["*"] means every state that is not final: a transition from
// "*" to a final state is not reported as leaving that final state, and
// nothing is available there.
func TestAnyStateDoesNotLeaveAFinalState(t *testing.T) {
	t.Parallel()
	d := validDefinition()
	d.Transitions = append(d.Transitions, Transition{Name: "cancel", Title: "Annuler", From: []string{AnyState}, To: "closed"})
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	if got := d.Available(Ticket{State: "closed", Level: 1}, Actor{System: true}); len(got) != 0 {
		t.Errorf("Available(closed) = %v, want none", transitionNames(got))
	}
}

func TestParseReadsWhatMarshalWrites(t *testing.T) {
	t.Parallel()
	want := validDefinition()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(Marshal(d)) = %+v, want %+v", got, want)
	}
}

// Parse refuses unknown members, so that a typo in a parameter is not
// silently read as "no parameter".
func TestParseRefusesUnknownMembers(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(validDefinition())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to string }{
		{"GuardRolesTypo", `"roles":[`, `"rolse":[`},
		{"InitialStateTypo", `"initial_state":`, `"initial":`},
		{"StateWaitsTypo", `"waits_for_client":`, `"wait_for_client":`},
		{"TransitionToTypo", `"to":"waiting"`, `"too":"waiting"`},
		{"ActionTemplateTypo", `"template":"complement_requested"`, `"templat":"complement_requested"`},
		{"FieldTypeTypo", `"type":"ticket"`, `"kind":"ticket"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if strings.Count(string(b), tt.from) != 1 {
				t.Fatalf("%s occurs %d times in the definition", tt.from, strings.Count(string(b), tt.from))
			}
			typo := strings.Trim(strings.SplitN(tt.to, ":", 2)[0], `"`)
			_, err := Parse([]byte(strings.Replace(string(b), tt.from, tt.to, 1)))
			if err == nil || !strings.Contains(err.Error(), typo) {
				t.Errorf("Parse() = %v, want an error naming %q", err, typo)
			}
		})
	}
}

func TestParseRefusesWrongTypes(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"LevelAsText":      `{"transitions":[{"guards":[{"kind":"min_level","level":"2"}]}]}`,
		"FromAsString":     `{"transitions":[{"from":"new"}]}`,
		"PolicyHoursBadly": `{"transitions":[{"actions":[{"kind":"set_due","policy":{"kind":"business_hours","hours":"a day"}}]}]}`,
		"NotAnObject":      `["assistance"]`,
		"Truncated":        `{"code":"assistance"`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(in)); err == nil {
				t.Errorf("Parse(%s) = nil error", in)
			}
		})
	}
}
