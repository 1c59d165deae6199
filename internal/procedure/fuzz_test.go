package procedure

import (
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/guichet"
)

// FuzzParseValidate: Parse and Validate never panic, a refusal lists at
// least one problem, and on a valid definition Available and Check never
// panic and agree: Check refuses an available transition only for its
// inputs, and refuses every other one for the state, a right or a guard.
func FuzzParseValidate(f *testing.F) {
	files, err := fs.Glob(shippedFS, "definitions/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("shipped definitions: %v", err)
	}
	for _, name := range files {
		b, err := shippedFS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	small, err := json.Marshal(validDefinition())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add([]byte(`{}`))

	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 {
				t.Fatalf("Validate() = %v, want a *ValidationError with problems", err)
			}
			return
		}
		for _, tk := range fuzzTickets(&d) {
			for _, a := range []Actor{plainAgent, supervisor, system} {
				checkAgreement(t, &d, tk, a)
			}
		}
	})
}

// fuzzTickets are a plain ticket and one at the top level that has every
// attribute set and has been through every transition by plainAgent.
func fuzzTickets(d *Definition) []Ticket {
	plain := Ticket{Category: guichet.CategoryBugReport, Channel: guichet.ChannelPhone, Level: 1}
	full := Ticket{Category: guichet.CategoryMailingReturn, Channel: guichet.ChannelEmail, Level: 3, Set: map[string]bool{}}
	for _, f := range TicketFields {
		full.Set[f] = true
	}
	for _, tr := range d.Transitions {
		full.History = append(full.History, Step{Transition: tr.Name, AgentID: plainAgent.AgentID, Level: 1})
	}
	return []Ticket{plain, full}
}

// checkAgreement runs Available and Check on every state and transition of
// d with no inputs.
func checkAgreement(t *testing.T, d *Definition, tk Ticket, a Actor) {
	t.Helper()
	for _, s := range append(slices.Clone(d.States), State{Name: "not_a_state"}) {
		tk.State = s.Name
		available := transitionNames(d.Available(tk, a))
		if (s.Final || s.Name == "not_a_state") && len(available) > 0 {
			t.Fatalf("%s: %v available from %s", d.Code, available, s.Name)
		}
		for _, tr := range d.Transitions {
			_, _, err := d.Check(tk, a, tr.Name, map[string]any{})
			if slices.Contains(available, tr.Name) {
				wantOnlyInputErrors(t, err, s.Name, tr.Name)
			} else {
				wantStateOrGuardRefusal(t, err, s.Name, tr.Name)
			}
		}
		if _, _, err := d.Check(tk, a, "?", nil); guichet.ErrorCode(err) != guichet.EINVALID {
			t.Fatalf("Check(unknown transition) = %v", err)
		}
	}
}

func wantOnlyInputErrors(t *testing.T, err error, state, name string) {
	t.Helper()
	if err == nil {
		return
	}
	var e *guichet.Error
	if !errors.As(err, &e) || e.Code != guichet.EINVALID {
		t.Fatalf("%s is available from %s, but Check = %v", name, state, err)
	}
	for _, f := range e.Fields {
		if !strings.HasPrefix(f.Field, "fields.") {
			t.Fatalf("%s is available from %s, but Check refuses %s", name, state, f.Field)
		}
	}
}

func wantStateOrGuardRefusal(t *testing.T, err error, state, name string) {
	t.Helper()
	var e *guichet.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s is not available from %s, but Check = %v", name, state, err)
	}
	if e.Code == guichet.ECONFLICT || e.Code == guichet.EFORBIDDEN {
		return
	}
	if !slices.ContainsFunc(e.Fields, func(f guichet.FieldError) bool { return strings.HasPrefix(f.Field, "guard.") }) {
		t.Fatalf("%s is not available from %s, but Check refuses only %v", name, state, e.Fields)
	}
}
