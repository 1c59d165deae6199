package procedure

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/guichet/guichet/internal/guichet"
)

// Problem is one reason a definition cannot be published.
type Problem struct {
	Path    string // e.g. "transitions[3].to"
	Message string
}

// ValidationError lists every problem of a definition.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Path + ": " + p.Message
	}
	return "procedure: invalid definition: " + strings.Join(parts, "; ")
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// checker collects problems while walking a definition.
type checker struct {
	d        *Definition
	problems []Problem
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate returns nil or a *ValidationError listing every problem: bad
// names, duplicates, transitions from or to unknown states, unknown guard
// or action kinds and their parameters, states that cannot be reached from
// the initial one, and states a ticket could never leave.
func (d *Definition) Validate() error {
	c := &checker{d: d}
	c.header()
	c.states()
	for i, t := range d.Transitions {
		c.transition(fmt.Sprintf("transitions[%d]", i), t)
	}
	c.duplicates()
	c.reachability()
	if len(c.problems) > 0 {
		return &ValidationError{Problems: c.problems}
	}
	return nil
}

func (c *checker) header() {
	if !namePattern.MatchString(c.d.Code) {
		c.add("code", "must be lower-case letters, digits and underscores, starting with a letter")
	}
	if strings.TrimSpace(c.d.Version) == "" || len(c.d.Version) > 40 {
		c.add("version", "must be a label of 1 to 40 characters, such as 09-2025")
	}
	if strings.TrimSpace(c.d.Title) == "" {
		c.add("title", "must not be empty")
	}
	if _, ok := c.d.State(c.d.Initial); !ok {
		c.add("initial_state", "%q is not a state of the procedure", c.d.Initial)
	}
	if len(c.d.Transitions) == 0 {
		c.add("transitions", "a procedure needs at least one transition")
	}
}

func (c *checker) states() {
	finals := 0
	for i, s := range c.d.States {
		path := fmt.Sprintf("states[%d]", i)
		if !namePattern.MatchString(s.Name) {
			c.add(path+".name", "must be lower-case letters, digits and underscores, starting with a letter")
		}
		if s.Final {
			finals++
			if s.WaitsForClient || s.OnClientMessage != "" || s.OnTrackerDone != "" {
				c.add(path, "a final state neither waits nor moves by itself")
			}
		}
		c.hook(path+".on_client_message", s, s.OnClientMessage)
		c.hook(path+".on_tracker_done", s, s.OnTrackerDone)
	}
	if finals == 0 {
		c.add("states", "a procedure needs at least one final state")
	}
}

// hook checks a transition Guichet applies by itself from state s.
func (c *checker) hook(path string, s State, name string) {
	if name == "" {
		return
	}
	t, ok := c.d.Transition(name)
	if !ok || !c.d.leaves(t, s) {
		c.add(path, "%q is not a transition from this state", name)
	} else if len(t.Required()) > 0 || hasGuard(t, GuardRoles, GuardMinLevel, GuardMaxLevel, GuardOtherAgent, GuardTicketFields) {
		c.add(path, "%q is applied by Guichet: it cannot require inputs, fields or a role", name)
	}
}

func hasGuard(t Transition, kinds ...GuardKind) bool {
	for _, g := range t.Guards {
		if slices.Contains(kinds, g.Kind) {
			return true
		}
	}
	return false
}

func (c *checker) transition(path string, t Transition) {
	if !namePattern.MatchString(t.Name) {
		c.add(path+".name", "must be lower-case letters, digits and underscores, starting with a letter")
	}
	if len(t.From) == 0 {
		c.add(path+".from", "must name at least one state (or %q)", AnyState)
	}
	for j, f := range t.From {
		if s, ok := c.d.State(f); f != AnyState && !ok {
			c.add(fmt.Sprintf("%s.from[%d]", path, j), "%q is not a state of the procedure", f)
		} else if ok && s.Final {
			c.add(fmt.Sprintf("%s.from[%d]", path, j), "%q is final: nothing leaves it", f)
		}
	}
	if _, ok := c.d.State(t.To); t.To != "" && !ok {
		c.add(path+".to", "%q is not a state of the procedure", t.To)
	}
	c.fields(path, t)
	for j, g := range t.Guards {
		c.guard(fmt.Sprintf("%s.guards[%d]", path, j), t, g)
	}
	for j, a := range t.Actions {
		c.action(fmt.Sprintf("%s.actions[%d]", path, j), t, a)
	}
}

func (c *checker) fields(path string, t Transition) {
	seen := map[string]bool{}
	for j, f := range t.Fields {
		p := fmt.Sprintf("%s.fields[%d]", path, j)
		if !namePattern.MatchString(f.Name) {
			c.add(p+".name", "must be lower-case letters, digits and underscores, starting with a letter")
		}
		if seen[f.Name] {
			c.add(p+".name", "%q is declared twice", f.Name)
		}
		seen[f.Name] = true
		if !slices.Contains(fieldTypes, f.Type) {
			c.add(p+".type", "unknown field type %q (one of %s)", f.Type, join(fieldTypes))
		}
	}
}

func (c *checker) guard(path string, t Transition, g Guard) {
	switch g.Kind {
	case GuardRequiredFields:
		c.nonEmpty(path+".fields", g.Fields)
		for _, name := range g.Fields {
			if _, ok := t.Field(name); !ok {
				c.add(path+".fields", "%q is not an input of the transition", name)
			}
		}
	case GuardTicketFields:
		c.nonEmpty(path+".fields", g.Fields)
		c.known(path+".fields", g.Fields, TicketFields)
	case GuardRoles:
		c.nonEmpty(path+".roles", g.Roles)
		c.known(path+".roles", g.Roles, names(guichet.Roles))
	case GuardMinLevel, GuardMaxLevel, GuardMaxTicketLevel:
		if g.Level < 1 || g.Level > 3 {
			c.add(path+".level", "must be 1, 2 or 3")
		}
	case GuardCategory:
		c.nonEmpty(path+".categories", g.Categories)
		c.known(path+".categories", g.Categories, names(guichet.Categories))
	case GuardChannel:
		c.nonEmpty(path+".channels", g.Channels)
		c.known(path+".channels", g.Channels, names(guichet.Channels))
	case GuardOtherAgent:
		if _, ok := c.d.Transition(g.Transition); !ok {
			c.add(path+".transition", "%q is not a transition of the procedure", g.Transition)
		}
	default:
		c.add(path+".kind", "unknown guard kind %q (one of %s)", g.Kind, join(guardKinds))
	}
}

func (c *checker) action(path string, t Transition, a Action) {
	switch a.Kind {
	case ActionSetDue:
		c.clockName(path, a.Clock)
		c.dueSource(path, t, a)
	case ActionCloseClock:
		c.clockName(path, a.Clock)
	case ActionNotifyClient:
		c.template(path, a.Template)
		for _, name := range a.Data {
			if f, ok := t.Field(name); !ok {
				c.add(path+".data", "%q is not an input of the transition", name)
			} else if f.Type == FieldDateTime {
				c.add(path+".data", "%q is a date: a client is never given a delay", name)
			}
		}
	case ActionCreateDevTicket:
		c.devTicket(path, t, a)
		if a.Policy != nil {
			c.policy(path, a)
		}
	case ActionCompleteDevTicket, ActionEscalate:
	case ActionScheduleReminder:
		c.policy(path, a)
		if a.Recipient != RecipientAssignee && a.Recipient != RecipientActor {
			c.add(path+".recipient", "must be %q or %q", RecipientAssignee, RecipientActor)
		}
	case ActionLinkTicket:
		if f, ok := t.Field(a.Field); !ok || f.Type != FieldTicket {
			c.add(path+".field", "%q is not a ticket input of the transition", a.Field)
		}
		if a.Relation != RelationTrackedBy && a.Relation != RelationRelated {
			c.add(path+".relation", "must be %q or %q", RelationTrackedBy, RelationRelated)
		}
	default:
		c.add(path+".kind", "unknown action kind %q (one of %s)", a.Kind, join(actionKinds))
	}
}

func (c *checker) clockName(path, name string) {
	if !namePattern.MatchString(name) {
		c.add(path+".clock", "must name the clock (lower-case letters, digits, underscores)")
	}
}

func (c *checker) dueSource(path string, t Transition, a Action) {
	switch {
	case a.Field != "" && a.Policy != nil:
		c.add(path, "give either a policy or a datetime field, not both")
	case a.Field != "":
		if f, ok := t.Field(a.Field); !ok || f.Type != FieldDateTime {
			c.add(path+".field", "%q is not a datetime input of the transition", a.Field)
		}
	default:
		c.policy(path, a)
	}
}

func (c *checker) policy(path string, a Action) {
	if a.Policy == nil {
		c.add(path+".policy", "is required")
	} else if err := a.Policy.Validate(); err != nil {
		c.add(path+".policy", "%v", err)
	}
}

func (c *checker) template(path, name string) {
	if !namePattern.MatchString(name) {
		c.add(path+".template", "must name a template (lower-case letters, digits, underscores)")
	}
}

// devTicket checks that a create_dev_ticket transition declares and
// requires the six elements of procedure #46 and names its developer.
func (c *checker) devTicket(path string, t Transition, a Action) {
	required := t.Required()
	for _, name := range append(slices.Clone(DevTicketFields), "developer_id") {
		if _, ok := t.Field(name); !ok || !slices.Contains(required, name) {
			c.add(path, "a dev ticket requires the input %q", name)
		}
	}
	if f, ok := t.Field("developer_id"); ok && f.Type != FieldAgent {
		c.add(path, "developer_id must be an agent input")
	}
	if f, ok := t.Field("due_at"); ok && f.Type != FieldDateTime {
		c.add(path, "due_at must be a datetime input")
	} else if !ok && a.Policy == nil {
		c.add(path+".policy", "a dev ticket needs a due date: a due_at input or a policy")
	}
}

func (c *checker) nonEmpty(path string, list []string) {
	if len(list) == 0 {
		c.add(path, "must not be empty")
	}
}

func (c *checker) known(path string, list, allowed []string) {
	for _, v := range list {
		if !slices.Contains(allowed, v) {
			c.add(path, "unknown value %q (one of %s)", v, strings.Join(allowed, ", "))
		}
	}
}

func (c *checker) duplicates() {
	seen := map[string]bool{}
	for i, s := range c.d.States {
		if seen[s.Name] {
			c.add(fmt.Sprintf("states[%d].name", i), "%q is declared twice", s.Name)
		}
		seen[s.Name] = true
	}
	seen = map[string]bool{}
	for i, t := range c.d.Transitions {
		if seen[t.Name] {
			c.add(fmt.Sprintf("transitions[%d].name", i), "%q is declared twice", t.Name)
		}
		seen[t.Name] = true
	}
}

// reachability reports the states no path from the initial state reaches,
// and the states that are not final but have no way out.
func (c *checker) reachability() {
	reached := map[string]bool{c.d.Initial: true}
	queue := []string{c.d.Initial}
	for len(queue) > 0 {
		s, _ := c.d.State(queue[0])
		queue = queue[1:]
		for _, t := range c.d.Transitions {
			if t.To != "" && !reached[t.To] && c.d.leaves(t, s) {
				reached[t.To] = true
				queue = append(queue, t.To)
			}
		}
	}
	for i, s := range c.d.States {
		if !reached[s.Name] {
			c.add(fmt.Sprintf("states[%d]", i), "%q cannot be reached from %q", s.Name, c.d.Initial)
		}
		if !s.Final && !c.hasExit(s) {
			c.add(fmt.Sprintf("states[%d]", i), "%q is not final and no transition leaves it", s.Name)
		}
	}
}

func (c *checker) hasExit(s State) bool {
	for _, t := range c.d.Transitions {
		if t.To != "" && t.To != s.Name && c.d.leaves(t, s) {
			return true
		}
	}
	return false
}

func names[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

func join[T ~string](list []T) string { return strings.Join(names(list), ", ") }
