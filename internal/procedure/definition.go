// Package procedure runs the company's written procedures as data: a
// versioned definition lists states and transitions, each transition its
// input fields, guards (a closed set of typed kinds) and actions. The
// package is pure: it checks definitions and decides whether a transition
// may be applied; the store applies the actions.
package procedure

import "github.com/guichet/guichet/internal/calendar"

// Definition is one version of a procedure.
type Definition struct {
	Code        string       `json:"code"`
	Version     string       `json:"version"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Initial     string       `json:"initial_state"`
	States      []State      `json:"states"`
	Transitions []Transition `json:"transitions"`
}

// State is a step of the procedure.
type State struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Final states close the ticket; nothing leaves them.
	Final bool `json:"final,omitempty"`
	// WaitsForClient stops every clock while the ticket is here.
	WaitsForClient bool `json:"waits_for_client,omitempty"`
	// OnClientMessage names the transition Guichet applies when the client
	// writes while the ticket is in this state ("back when the client
	// answers").
	OnClientMessage string `json:"on_client_message,omitempty"`
	// OnTrackerDone names the transition Guichet applies when the ticket
	// that tracks this one (link tracked_by) reaches a final state ("when
	// that one is done, every linked client is told").
	OnTrackerDone string `json:"on_tracker_done,omitempty"`
}

// AnyState in a transition's From means every state that is not final.
const AnyState = "*"

// Transition moves a ticket from one of From to To (To empty: the ticket
// stays where it is, e.g. an escalation).
type Transition struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	From    []string `json:"from"`
	To      string   `json:"to,omitempty"`
	Fields  []Field  `json:"fields,omitempty"`
	Guards  []Guard  `json:"guards,omitempty"`
	Actions []Action `json:"actions,omitempty"`
}

// FieldType says what a transition input holds.
type FieldType string

const (
	FieldText     FieldType = "text"
	FieldURL      FieldType = "url"
	FieldLinks    FieldType = "links"    // [{title, url}]: documentation links
	FieldTicket   FieldType = "ticket"   // a ticket id or number
	FieldAgent    FieldType = "agent"    // an agent id
	FieldUrgency  FieldType = "urgency"  // low, normal, high, critical
	FieldDateTime FieldType = "datetime" // RFC 3339
)

var fieldTypes = []FieldType{FieldText, FieldURL, FieldLinks, FieldTicket, FieldAgent, FieldUrgency, FieldDateTime}

// Field is an input a transition accepts. Whether it is required is a
// guard (required_fields), so that every rule is in one place.
type Field struct {
	Name  string    `json:"name"`
	Title string    `json:"title"`
	Type  FieldType `json:"type"`
}

// GuardKind is one of the closed set of checks a transition may carry.
type GuardKind string

const (
	// GuardRequiredFields: the named inputs are given and not empty.
	GuardRequiredFields GuardKind = "required_fields"
	// GuardTicketFields: the ticket has the named attributes set
	// (contact_id, organisation_id, assignee_id, file_reference).
	GuardTicketFields GuardKind = "ticket_fields"
	// GuardRoles: the caller holds one of the roles (else 403).
	GuardRoles GuardKind = "roles"
	// GuardMinLevel: the caller's level is at least Level (else 403).
	GuardMinLevel GuardKind = "min_level"
	// GuardMaxLevel: the caller's level is at most Level (else 403): a
	// manager, at the top, has nobody to ask for validation.
	GuardMaxLevel GuardKind = "max_level"
	// GuardMaxTicketLevel: the ticket's level is at most Level.
	GuardMaxTicketLevel GuardKind = "max_ticket_level"
	// GuardCategory: the ticket's category is one of Categories.
	GuardCategory GuardKind = "category"
	// GuardChannel: the ticket's channel is one of Channels.
	GuardChannel GuardKind = "channel"
	// GuardOtherAgent: the caller is not the agent who last applied
	// Transition on the ticket ("not the same agent as the one who asked");
	// with HigherLevel, the caller's level is also above that agent's.
	GuardOtherAgent GuardKind = "other_agent"
)

var guardKinds = []GuardKind{GuardRequiredFields, GuardTicketFields, GuardRoles, GuardMinLevel, GuardMaxLevel,
	GuardMaxTicketLevel, GuardCategory, GuardChannel, GuardOtherAgent}

// TicketFields are the attributes a ticket_fields guard may require.
var TicketFields = []string{"contact_id", "organisation_id", "assignee_id", "file_reference"}

// Guard is a typed check; only the parameters of its kind are set.
type Guard struct {
	Kind        GuardKind `json:"kind"`
	Fields      []string  `json:"fields,omitempty"`
	Roles       []string  `json:"roles,omitempty"`
	Level       int       `json:"level,omitempty"`
	Categories  []string  `json:"categories,omitempty"`
	Channels    []string  `json:"channels,omitempty"`
	Transition  string    `json:"transition,omitempty"`
	HigherLevel bool      `json:"higher_level,omitempty"`
}

// ActionKind is one of the closed set of effects a transition may have.
type ActionKind string

const (
	// ActionSetDue opens a clock named Clock, due by Policy from now or at
	// the datetime input Field.
	ActionSetDue ActionKind = "set_due"
	// ActionCloseClock closes the open clocks named Clock.
	ActionCloseClock ActionKind = "close_clock"
	// ActionNotifyClient writes a client notification to the outbox:
	// Template, with the inputs named in Data (never a due date).
	ActionNotifyClient ActionKind = "notify_client"
	// ActionCreateDevTicket records a dev ticket from the inputs title,
	// description, reproduction_steps, environment, observed_results,
	// expected_results, urgency, developer_id and due_at (else Policy from
	// now); the developer is reminded at the due date.
	ActionCreateDevTicket ActionKind = "create_dev_ticket"
	// ActionCompleteDevTicket marks the ticket's open dev tickets done.
	ActionCompleteDevTicket ActionKind = "complete_dev_ticket"
	// ActionScheduleReminder reminds Recipient (assignee or actor) after
	// Policy, unless the ticket has left the state by then.
	ActionScheduleReminder ActionKind = "schedule_reminder"
	// ActionEscalate raises the ticket one level, assigns it to the
	// assignee's supervisor when there is one, and tells that person.
	ActionEscalate ActionKind = "escalate"
	// ActionLinkTicket links the ticket to the one given in the ticket input
	// Field with Relation.
	ActionLinkTicket ActionKind = "link_ticket"
)

var actionKinds = []ActionKind{ActionSetDue, ActionCloseClock, ActionNotifyClient, ActionCreateDevTicket,
	ActionCompleteDevTicket, ActionScheduleReminder, ActionEscalate, ActionLinkTicket}

// Relations a link_ticket action may record.
const (
	RelationTrackedBy = "tracked_by" // this ticket's problem is tracked by the other
	RelationRelated   = "related"
)

// Recipients a reminder may go to.
const (
	RecipientAssignee = "assignee"
	RecipientActor    = "actor"
)

// Action is a typed effect; only the parameters of its kind are set.
type Action struct {
	Kind      ActionKind       `json:"kind"`
	Clock     string           `json:"clock,omitempty"`
	Policy    *calendar.Policy `json:"policy,omitempty"`
	Field     string           `json:"field,omitempty"`
	Template  string           `json:"template,omitempty"`
	Data      []string         `json:"data,omitempty"`
	Recipient string           `json:"recipient,omitempty"`
	Relation  string           `json:"relation,omitempty"`
}

// DevTicketFields are the inputs a create_dev_ticket transition requires
// (procedure #46: "Bien indiquer : titre, description, étapes de
// reproduction, environnement, résultats observés et attendus, urgence").
var DevTicketFields = []string{"title", "description", "reproduction_steps", "environment",
	"observed_results", "expected_results", "urgency"}

// State returns the named state.
func (d *Definition) State(name string) (State, bool) {
	for _, s := range d.States {
		if s.Name == name {
			return s, true
		}
	}
	return State{}, false
}

// Transition returns the named transition.
func (d *Definition) Transition(name string) (Transition, bool) {
	for _, t := range d.Transitions {
		if t.Name == name {
			return t, true
		}
	}
	return Transition{}, false
}

// Field returns the named input of t.
func (t Transition) Field(name string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Required returns the names of the inputs t requires.
func (t Transition) Required() []string {
	var out []string
	for _, g := range t.Guards {
		if g.Kind == GuardRequiredFields {
			out = append(out, g.Fields...)
		}
	}
	return out
}

// leaves reports whether t may start from state s.
func (d *Definition) leaves(t Transition, s State) bool {
	for _, f := range t.From {
		if f == s.Name || (f == AnyState && !s.Final) {
			return true
		}
	}
	return false
}
