package procedure

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/guichet"
)

// Ticket is what the guards see of a ticket.
type Ticket struct {
	State    string
	Category guichet.Category
	Channel  guichet.Channel
	Level    int
	// Set holds the ticket attributes that have a value (see TicketFields).
	Set map[string]bool
	// History lists the transitions applied so far, oldest first.
	History []Step
}

// Step is one applied transition.
type Step struct {
	Transition string
	AgentID    string
	Level      int
}

// Actor is who applies a transition; System is Guichet itself (a client's
// answer moving the ticket), which no role or level guard stops.
type Actor struct {
	AgentID string
	Roles   []guichet.Role
	System  bool
}

func (a Actor) level() int { return guichet.Level(a.Roles) }

// Values are a transition's inputs once checked: strings, time.Time for
// datetimes and []guichet.Link for links.
type Values map[string]any

// Text returns the string input name, "" when absent.
func (v Values) Text(name string) string { s, _ := v[name].(string); return s }

// Time returns the datetime input name.
func (v Values) Time(name string) (time.Time, bool) { t, ok := v[name].(time.Time); return t, ok }

// Links returns the links input name.
func (v Values) Links(name string) []guichet.Link { l, _ := v[name].([]guichet.Link); return l }

// Available returns the transitions the actor may apply to the ticket now:
// those leaving its state whose guards, inputs aside, all pass.
func (d *Definition) Available(t Ticket, a Actor) []Transition {
	state, ok := d.State(t.State)
	if !ok {
		return nil
	}
	var out []Transition
	for _, tr := range d.Transitions {
		if d.leaves(tr, state) && checkGuards(tr, t, a) == nil {
			out = append(out, tr)
		}
	}
	return out
}

// Check decides whether the actor may apply the named transition with the
// raw inputs. It returns the transition and the checked inputs, or:
// EINVALID naming the transition when the procedure has none by that name;
// ECONFLICT when it does not leave the ticket's state; EFORBIDDEN when a
// role or level guard refuses the actor; EINVALID listing every missing or
// malformed input and every other failed guard.
func (d *Definition) Check(t Ticket, a Actor, name string, raw map[string]any) (Transition, Values, error) {
	tr, ok := d.Transition(name)
	if !ok {
		return tr, nil, guichet.Invalid("transition", fmt.Sprintf("procedure %s %s has no transition %q", d.Code, d.Version, name))
	}
	if state, ok := d.State(t.State); !ok || !d.leaves(tr, state) {
		return tr, nil, guichet.Errorf(guichet.ECONFLICT, "transition %q is not possible from state %q", name, t.State)
	}
	values, fieldErrs := decodeInputs(tr, raw)
	if err := checkGuards(tr, t, a); err != nil && err.Code == guichet.EFORBIDDEN {
		return tr, nil, err
	} else if err != nil {
		fieldErrs = append(fieldErrs, err.Fields...)
	}
	fieldErrs = append(fieldErrs, missing(tr, values, fieldErrs)...)
	if len(fieldErrs) > 0 {
		return tr, nil, &guichet.Error{Code: guichet.EINVALID, Fields: fieldErrs,
			Message: fmt.Sprintf("transition %q refused: %s", name, describe(fieldErrs))}
	}
	return tr, values, nil
}

func describe(errs []guichet.FieldError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}

// checkGuards evaluates every guard but required_fields; role and level
// refusals come back as EFORBIDDEN, the others as EINVALID field errors
// named "guard.<kind>".
func checkGuards(tr Transition, t Ticket, a Actor) *guichet.Error {
	var failed []guichet.FieldError
	for _, g := range tr.Guards {
		msg, forbidden := evaluate(g, t, a)
		if msg == "" {
			continue
		}
		if forbidden {
			return guichet.Errorf(guichet.EFORBIDDEN, "transition %q: %s", tr.Name, msg)
		}
		failed = append(failed, guichet.FieldError{Field: "guard." + string(g.Kind), Message: msg})
	}
	if len(failed) > 0 {
		return &guichet.Error{Code: guichet.EINVALID, Fields: failed}
	}
	return nil
}

// evaluate returns why g fails ("" when it passes) and whether that is a
// matter of rights.
func evaluate(g Guard, t Ticket, a Actor) (string, bool) {
	switch g.Kind {
	case GuardRoles:
		if !a.System && !slices.ContainsFunc(a.Roles, func(r guichet.Role) bool { return slices.Contains(g.Roles, string(r)) }) {
			return "requires one of the roles " + strings.Join(g.Roles, ", "), true
		}
	case GuardMinLevel:
		if !a.System && a.level() < g.Level {
			return fmt.Sprintf("requires level %d or above", g.Level), true
		}
	case GuardMaxLevel:
		if !a.System && a.level() > g.Level {
			return fmt.Sprintf("is for level %d or below", g.Level), true
		}
	case GuardOtherAgent:
		return otherAgent(g, t, a)
	case GuardMaxTicketLevel:
		if t.Level > g.Level {
			return fmt.Sprintf("the ticket is at level %d; this needs level %d or below", t.Level, g.Level), false
		}
	case GuardCategory:
		if !slices.Contains(g.Categories, string(t.Category)) {
			return fmt.Sprintf("the ticket's category is %s; this needs %s", t.Category, strings.Join(g.Categories, " or ")), false
		}
	case GuardChannel:
		if !slices.Contains(g.Channels, string(t.Channel)) {
			return fmt.Sprintf("the ticket's channel is %s; this needs %s", t.Channel, strings.Join(g.Channels, " or ")), false
		}
	case GuardTicketFields:
		var unset []string
		for _, f := range g.Fields {
			if !t.Set[f] {
				unset = append(unset, f)
			}
		}
		if len(unset) > 0 {
			return "the ticket needs " + strings.Join(unset, ", "), false
		}
	}
	return "", false
}

// otherAgent implements "not the same agent as the one who asked" (and, with
// HigherLevel, "by the next level").
func otherAgent(g Guard, t Ticket, a Actor) (string, bool) {
	if a.System {
		return "", false
	}
	for i := len(t.History) - 1; i >= 0; i-- {
		s := t.History[i]
		if s.Transition != g.Transition {
			continue
		}
		if s.AgentID == a.AgentID {
			return fmt.Sprintf("the agent who applied %q cannot also do this", g.Transition), true
		}
		if g.HigherLevel && a.level() <= s.Level {
			return fmt.Sprintf("requires a level above %d (the level of the agent who applied %q)", s.Level, g.Transition), true
		}
		return "", false
	}
	return "", false
}

// missing lists the required inputs that are absent or empty; an input
// already refused as malformed is not reported twice.
func missing(tr Transition, v Values, refused []guichet.FieldError) []guichet.FieldError {
	var out []guichet.FieldError
	for _, name := range tr.Required() {
		if slices.ContainsFunc(refused, func(e guichet.FieldError) bool { return e.Field == "fields."+name }) {
			continue
		}
		switch x := v[name].(type) {
		case string:
			if strings.TrimSpace(x) != "" {
				continue
			}
		case []guichet.Link:
			if len(x) > 0 {
				continue
			}
		case time.Time:
			continue
		}
		out = append(out, guichet.FieldError{Field: "fields." + name, Message: "is required"})
	}
	return out
}

// decodeInputs checks each raw input against its declared type.
func decodeInputs(tr Transition, raw map[string]any) (Values, []guichet.FieldError) {
	values := Values{}
	var errs []guichet.FieldError
	for name, x := range raw {
		f, ok := tr.Field(name)
		if !ok {
			errs = append(errs, guichet.FieldError{Field: "fields." + name, Message: fmt.Sprintf("transition %q takes no such input", tr.Name)})
			continue
		}
		v, msg := decodeValue(f.Type, x)
		if msg != "" {
			errs = append(errs, guichet.FieldError{Field: "fields." + name, Message: msg})
			continue
		}
		values[name] = v
	}
	slices.SortFunc(errs, func(a, b guichet.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return values, errs
}

const maxTextInput = 20000

func decodeValue(ft FieldType, x any) (any, string) {
	if ft == FieldLinks {
		return decodeLinks(x)
	}
	s, ok := x.(string)
	if !ok {
		return nil, "must be a string"
	}
	s = strings.TrimSpace(s)
	switch {
	case len(s) > maxTextInput:
		return nil, fmt.Sprintf("must be at most %d bytes", maxTextInput)
	case s == "":
		return s, ""
	case ft == FieldURL && !validURL(s):
		return nil, "must be an http or https URL"
	case ft == FieldUrgency && !guichet.Urgency(s).Valid():
		return nil, "must be one of low, normal, high, critical"
	case ft == FieldDateTime:
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, "must be an RFC 3339 date-time"
		}
		return t, ""
	}
	return s, ""
}

func decodeLinks(x any) (any, string) {
	list, ok := x.([]any)
	if !ok {
		return nil, "must be a list of {title, url}"
	}
	out := make([]guichet.Link, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, "must be a list of {title, url}"
		}
		title, titleOK := m["title"].(string)
		u, _ := m["url"].(string)
		_, hasTitle := m["title"]
		if !validURL(u) || len(m) > 2 || (len(m) == 2 && !hasTitle) || (hasTitle && !titleOK) || len(title) > 500 {
			return nil, "each link needs an http or https url and at most a title"
		}
		out = append(out, guichet.Link{Title: strings.TrimSpace(title), URL: u})
	}
	return out, ""
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 2000
}
