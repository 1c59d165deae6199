// Package calendar computes due dates in business time for Guichet's
// procedures ("an email is answered within 48 h" means two business days):
// weekly opening hours, French public holidays, closure days and pauses
// while the client is being waited for, in one time zone (Europe/Paris by
// default, daylight saving time included).
//
// Every due date comes with an Explanation (policy, start, pauses, skipped
// days, calendar name and version) that can be stored as JSON, shown to an
// agent, and replayed with Calendar.Recompute when the calendar changes.
//
// The package is pure: no clock, no I/O, no mutable globals. A Calendar is a
// plain value; build one with Default and adjust it, then check it with
// Validate.
package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris must load even on a host without zoneinfo.
)

// Errors returned by this package; test them with errors.Is.
var (
	// ErrInvalidCalendar: Calendar.Validate failed (see ValidationError).
	ErrInvalidCalendar = errors.New("calendar: invalid calendar")
	// ErrInvalidPolicy: the policy kind is unknown or its amount is out of range.
	ErrInvalidPolicy = errors.New("calendar: invalid policy")
	// ErrInvalidPause: a pause has no start, ends before it starts, or lies
	// outside the supported years.
	ErrInvalidPause = errors.New("calendar: invalid pause")
	// ErrOutOfRange: the start is zero or outside the supported years
	// (MinYear to MaxYear), or no answer was found within ten years of
	// calendar days.
	ErrOutOfRange = errors.New("calendar: out of range")
)

// Supported years for start and pause times.
const (
	MinYear = 1900
	MaxYear = 9000
)

// maxDays bounds every walk over calendar days (about ten years), so that a
// calendar closed for ever cannot loop for ever.
const maxDays = 3660

// paris is the default Calendar.Location.
var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // unreachable: time/tzdata is embedded
	}
	return loc
}

// Calendar says when the company is open. The zero value has French public
// holidays and Europe/Paris but no opening hours, so it fails Validate;
// start from Default.
type Calendar struct {
	// Name and Version identify the calendar in explanations; bump Version
	// whenever the calendar changes so that stored due dates can be found
	// and recomputed.
	Name    string `json:"name"`
	Version string `json:"version"`
	// Location is the time zone of the opening hours and dates; nil means
	// Europe/Paris.
	Location *time.Location `json:"-"`
	// Week holds the opening hours indexed by time.Weekday (Sunday is 0).
	// A day with no interval is closed.
	Week [7][]Interval `json:"week"`
	// WhitMondayWorked makes Whit Monday (lundi de Pentecôte) a working day,
	// as in companies that use it as their "journée de solidarité". By
	// default it is a holiday.
	WhitMondayWorked bool `json:"whit_monday_worked,omitempty"`
	// Regions adds regional holidays to the national ones.
	Regions []Region `json:"regions,omitempty"`
	// Closures are days when the company is closed (bridges, annual closure).
	Closures []Closure `json:"closures,omitempty"`
}

// Interval is an opening interval within a day, From included, To excluded.
type Interval struct {
	From TimeOfDay `json:"from"`
	To   TimeOfDay `json:"to"`
}

func (iv Interval) String() string { return iv.From.String() + "–" + iv.To.String() }

// Closure closes every day from From to To, both included.
type Closure struct {
	From Date   `json:"from"`
	To   Date   `json:"to"`
	Name string `json:"name"` // shown in explanations; "Fermeture" when empty
}

// maxClosureDays bounds one closure, to catch a mistyped year.
const maxClosureDays = 366

// Default returns Guichet's standard calendar: Monday to Friday 09:00–12:30
// and 13:30–17:30, French national holidays (Whit Monday included), no
// closure, in Europe/Paris.
func Default() Calendar {
	var week [7][]Interval
	for wd := time.Monday; wd <= time.Friday; wd++ {
		week[wd] = []Interval{{Clock(9, 0), Clock(12, 30)}, {Clock(13, 30), Clock(17, 30)}}
	}
	return Calendar{Name: "default", Version: "1", Location: paris, Week: week}
}

// Loc is the calendar's time zone: Location, or Europe/Paris when unset.
func (c Calendar) Loc() *time.Location { return c.location() }

func (c Calendar) location() *time.Location {
	if c.Location == nil {
		return paris
	}
	return c.Location
}

// ValidationError lists every problem found by Calendar.Validate. It matches
// ErrInvalidCalendar with errors.Is.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return ErrInvalidCalendar.Error() + ": " + strings.Join(e.Problems, "; ")
}

// Is reports whether target is ErrInvalidCalendar.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidCalendar }

// Validate returns nil or a *ValidationError naming every problem: an
// interval outside 00:00–24:00, empty, or not after the previous one of its
// day; a week with no opening; a closure with an invalid date, ending before
// it starts or longer than 366 days; an unknown or repeated region.
func (c Calendar) Validate() error {
	var problems []string
	problems = append(problems, c.weekProblems()...)
	problems = append(problems, c.closureProblems()...)
	problems = append(problems, c.regionProblems()...)
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: problems}
}

func (c Calendar) weekProblems() []string {
	var problems []string
	open := false
	for wd, day := range c.Week {
		for i, iv := range day {
			name := fmt.Sprintf("%s interval %d (%s)", strings.ToLower(time.Weekday(wd).String()), i+1, iv)
			problems = append(problems, intervalProblems(name, iv)...)
			if i > 0 && iv.From < day[i-1].To {
				problems = append(problems, name+": must start at or after the end of the previous interval")
			}
		}
		open = open || len(day) > 0
	}
	if !open {
		problems = append(problems, "week: at least one day must have opening hours")
	}
	return problems
}

func intervalProblems(name string, iv Interval) []string {
	var problems []string
	if iv.From < 0 || iv.From >= EndOfDay {
		problems = append(problems, name+": start must be between 00:00 and 23:59")
	}
	if iv.To <= 0 || iv.To > EndOfDay {
		problems = append(problems, name+": end must be between 00:01 and 24:00")
	}
	if iv.From >= iv.To {
		problems = append(problems, name+": must end after it starts")
	}
	return problems
}

func (c Calendar) closureProblems() []string {
	var problems []string
	for i, cl := range c.Closures {
		name := fmt.Sprintf("closure %d (%q)", i+1, cl.Name)
		switch {
		case !cl.From.IsValid():
			problems = append(problems, fmt.Sprintf("%s: from %s is not a date", name, cl.From))
		case !cl.To.IsValid():
			problems = append(problems, fmt.Sprintf("%s: to %s is not a date", name, cl.To))
		case cl.To.Before(cl.From):
			problems = append(problems, name+": must end on or after its first day")
		case cl.From.DaysUntil(cl.To) >= maxClosureDays:
			problems = append(problems, fmt.Sprintf("%s: longer than %d days", name, maxClosureDays))
		}
	}
	return problems
}

func (c Calendar) regionProblems() []string {
	var problems []string
	for i, r := range c.Regions {
		if _, ok := regional[r]; !ok {
			problems = append(problems, fmt.Sprintf("region %q: unknown (want one of %s)", r, strings.Join(regionNames(), ", ")))
		} else if slices.Contains(c.Regions[:i], r) {
			problems = append(problems, fmt.Sprintf("region %q: listed twice", r))
		}
	}
	return problems
}

// ref identifies c in explanations.
func (c Calendar) ref() CalendarRef {
	return CalendarRef{Name: c.Name, Version: c.Version, Location: c.location().String()}
}
