// Package mailcheck decides which mailbox check slots were met, missed or
// exempt. Procedure #46 asks that mailboxes be looked at on arrival, early
// in the afternoon and before leaving; the auditor wants to see that it was
// done. The rules live here, free of storage, so that they can be tested
// on their own:
//
//   - slots are the schedule's times of day on the calendar's business days;
//   - a slot is exempt when every person in charge is absent at its time;
//   - a check meets at most one slot: the earliest unmet, non-exempt slot
//     whose window contains it. A slot's window runs from the previous slot
//     (excluded) to the slot plus the grace period (included);
//   - an unmet, non-exempt slot whose window has closed is missed.
package mailcheck

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

// Schedule is when a mailbox must be checked.
type Schedule struct {
	// Times are times of day in the calendar's time zone, in any order.
	Times []calendar.TimeOfDay `json:"times"`
	// Grace is how long after a slot a check still counts for it.
	Grace time.Duration `json:"-"`
}

// DefaultSchedule is procedure #46's: on arrival, early afternoon and
// before leaving, with half an hour's grace.
func DefaultSchedule() Schedule {
	return Schedule{
		Times: []calendar.TimeOfDay{calendar.Clock(9, 0), calendar.Clock(14, 0), calendar.Clock(17, 30)},
		Grace: 30 * time.Minute,
	}
}

// Limits of a schedule: a few slots a day, a grace shorter than the day.
const (
	MaxTimes = 12
	MaxGrace = 4 * time.Hour
)

// ErrInvalidSchedule is matched by every Validate error.
var ErrInvalidSchedule = errors.New("mailcheck: invalid schedule")

// Validate refuses an empty or oversized schedule, repeated times and a
// grace outside (0, MaxGrace].
func (s Schedule) Validate() error {
	switch {
	case len(s.Times) == 0:
		return fmt.Errorf("%w: at least one check time is needed", ErrInvalidSchedule)
	case len(s.Times) > MaxTimes:
		return fmt.Errorf("%w: at most %d check times", ErrInvalidSchedule, MaxTimes)
	case s.Grace <= 0 || s.Grace > MaxGrace:
		return fmt.Errorf("%w: the grace period must be between 1 minute and %s", ErrInvalidSchedule, MaxGrace)
	}
	times := slices.Clone(s.Times)
	slices.Sort(times)
	for i, t := range times {
		if t < 0 || t >= calendar.Clock(24, 0) {
			return fmt.Errorf("%w: %s is not a time of day", ErrInvalidSchedule, t)
		}
		if i > 0 && times[i-1] == t {
			return fmt.Errorf("%w: %s is listed twice", ErrInvalidSchedule, t)
		}
	}
	return nil
}

// Status of a slot.
type Status string

const (
	StatusMet     Status = "met"
	StatusMissed  Status = "missed"
	StatusExempt  Status = "exempt"
	StatusPending Status = "pending" // its window is still open
)

// Exemption reasons.
const (
	ExemptAllAbsent = "everyone_in_charge_absent"
)

// Slot is one expected check.
type Slot struct {
	At       time.Time
	Deadline time.Time // At + grace: the end of its window
	Status   Status
	// Check is the index, in the checks given to Evaluate, of the check
	// that met the slot; -1 otherwise.
	Check int
	// Exempt says why an exempt slot is.
	Exempt string
}

// Interval is a period of absence, From included, To excluded.
type Interval struct{ From, To time.Time }

// Evaluate lists the slots at or after from and before to, each with its
// status at now. absences holds, for each person in charge of the mailbox,
// their absences; checks are the recorded checks in any order.
func Evaluate(cal calendar.Calendar, s Schedule, from, to, now time.Time, absences [][]Interval, checks []time.Time) []Slot {
	all := slotsBetween(cal, s, from, to)
	if len(all) == 0 {
		return nil
	}
	// The first slot's window opens at the slot before it.
	prev := previousSlot(cal, s, all[0])
	order := make([]int, len(checks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return checks[a].Compare(checks[b]) })

	out := make([]Slot, len(all))
	for i, at := range all {
		out[i] = Slot{At: at, Deadline: at.Add(s.Grace), Check: -1}
		if everyoneAbsent(absences, at) {
			out[i].Status, out[i].Exempt = StatusExempt, ExemptAllAbsent
		}
	}
	starts := make([]time.Time, len(all)) // window i is (starts[i], Deadline]
	for i := range all {
		if i == 0 {
			starts[i] = prev
		} else {
			starts[i] = all[i-1]
		}
	}
	first := 0 // slots before first are met, exempt or closed for good
	for _, ci := range order {
		c := checks[ci]
		for first < len(out) && (out[first].Status != "" || out[first].Deadline.Before(c)) {
			first++
		}
		for i := first; i < len(out) && c.After(starts[i]); i++ {
			if out[i].Status == "" && !c.After(out[i].Deadline) {
				out[i].Status, out[i].Check = StatusMet, ci
				break
			}
		}
	}
	for i := range out {
		if out[i].Status != "" {
			continue
		}
		if now.After(out[i].Deadline) {
			out[i].Status = StatusMissed
		} else {
			out[i].Status = StatusPending
		}
	}
	return out
}

// maxScanDays bounds the search for slots and for the previous slot, so a
// calendar closed for a long time cannot loop for ever.
const maxScanDays = 400

// slotsBetween lists the slot instants in [from, to), on business days.
func slotsBetween(cal calendar.Calendar, s Schedule, from, to time.Time) []time.Time {
	loc := cal.Loc()
	times := slices.Clone(s.Times)
	slices.Sort(times)
	var out []time.Time
	day := calendar.DateOf(from.In(loc))
	for n := 0; n < maxScanDays*8; n++ {
		d := day.AddDays(n)
		if d.At(0, loc).After(to) {
			break
		}
		if !cal.IsBusinessDay(d.At(calendar.Clock(12, 0), loc)) {
			continue
		}
		for _, tod := range times {
			at := d.At(tod, loc)
			if !at.Before(from) && at.Before(to) {
				out = append(out, at)
			}
		}
	}
	return out
}

// previousSlot is the last slot strictly before at, or at minus a day when
// none is found within maxScanDays.
func previousSlot(cal calendar.Calendar, s Schedule, at time.Time) time.Time {
	loc := cal.Loc()
	times := slices.Clone(s.Times)
	slices.Sort(times)
	day := calendar.DateOf(at.In(loc))
	for n := 0; n < maxScanDays; n++ {
		d := day.AddDays(-n)
		if !cal.IsBusinessDay(d.At(calendar.Clock(12, 0), loc)) {
			continue
		}
		for i := len(times) - 1; i >= 0; i-- {
			if t := d.At(times[i], loc); t.Before(at) {
				return t
			}
		}
	}
	return at.Add(-24 * time.Hour)
}

// everyoneAbsent reports whether every person in charge is absent at t.
// Nobody in charge is not "everyone absent": the slot is still due, and
// missing it alerts whoever configures the mailbox.
func everyoneAbsent(people [][]Interval, t time.Time) bool {
	if len(people) == 0 {
		return false
	}
	for _, absences := range people {
		if !slices.ContainsFunc(absences, func(a Interval) bool { return !t.Before(a.From) && t.Before(a.To) }) {
			return false
		}
	}
	return true
}
