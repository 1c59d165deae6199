package calendar

import (
	"fmt"
	"time"
)

// SkipReason says why a day is not a business day.
type SkipReason string

// Reasons, in the order they are checked: a day closed every week is
// reported as such even when it is also a holiday (15 August 2026 is a
// Saturday: "weekend").
const (
	SkipWeekend       SkipReason = "weekend"        // Saturday or Sunday without opening hours
	SkipWeeklyClosing SkipReason = "weekly_closing" // another weekday without opening hours
	SkipHoliday       SkipReason = "holiday"
	SkipClosure       SkipReason = "closure"
)

// SkippedDay is a day that did not count, and why.
type SkippedDay struct {
	Date   Date       `json:"date"`
	Reason SkipReason `json:"reason"`
	Name   string     `json:"name,omitempty"` // holiday or closure name, French weekday
}

// String returns e.g. "weekend", "holiday: Lundi de Pâques" or
// "closure: Fermeture annuelle".
func (s SkippedDay) String() string {
	if s.Name == "" || s.Reason == SkipWeekend {
		return string(s.Reason)
	}
	return string(s.Reason) + ": " + s.Name
}

var frenchWeekdays = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// span is an open period [from, to) as instants.
type span struct{ from, to time.Time }

// index answers day questions for one Calendar, caching holidays by year.
// It lives for one call: a Calendar stays a plain value.
type index struct {
	c        Calendar
	loc      *time.Location
	holidays map[int]map[Date]string
}

func (c Calendar) index() *index {
	return &index{c: c, loc: c.location(), holidays: make(map[int]map[Date]string)}
}

// day returns the open spans of d in order, or none and why.
func (x *index) day(d Date) ([]span, SkippedDay) {
	spans := x.weekly(d)
	if len(spans) == 0 {
		return nil, x.weeklySkip(d)
	}
	if name, ok := x.holiday(d); ok {
		return nil, SkippedDay{Date: d, Reason: SkipHoliday, Name: name}
	}
	if name, ok := x.closure(d); ok {
		return nil, SkippedDay{Date: d, Reason: SkipClosure, Name: name}
	}
	return spans, SkippedDay{}
}

// weekly returns the spans of d's weekday hours, leaving out any that a
// daylight saving change makes empty.
func (x *index) weekly(d Date) []span {
	var spans []span
	for _, iv := range x.c.Week[d.Weekday()] {
		s := span{from: d.At(iv.From, x.loc), to: d.At(iv.To, x.loc)}
		if s.from.Before(s.to) {
			spans = append(spans, s)
		}
	}
	return spans
}

func (x *index) weeklySkip(d Date) SkippedDay {
	wd := d.Weekday()
	reason := SkipWeeklyClosing
	if wd == time.Saturday || wd == time.Sunday {
		reason = SkipWeekend
	}
	return SkippedDay{Date: d, Reason: reason, Name: frenchWeekdays[wd]}
}

func (x *index) holiday(d Date) (string, bool) {
	names, ok := x.holidays[d.Year]
	if !ok {
		names = x.c.holidayNames(d.Year)
		x.holidays[d.Year] = names
	}
	name, ok := names[d]
	return name, ok
}

func (x *index) closure(d Date) (string, bool) {
	for _, cl := range x.c.Closures {
		if !d.Before(cl.From) && !d.After(cl.To) {
			if cl.Name == "" {
				return "Fermeture", true
			}
			return cl.Name, true
		}
	}
	return "", false
}

func (x *index) dateOf(t time.Time) Date { return DateOf(t.In(x.loc)) }

// IsBusinessDay reports whether the date of day in c.Location has opening
// hours and is neither a holiday nor a closure day.
func (c Calendar) IsBusinessDay(day time.Time) bool {
	x := c.index()
	spans, _ := x.day(x.dateOf(day))
	return len(spans) > 0
}

// IsOpen reports whether t falls inside an opening interval of a business
// day (opening time included, closing time excluded).
func (c Calendar) IsOpen(t time.Time) bool {
	x := c.index()
	spans, _ := x.day(x.dateOf(t))
	for _, s := range spans {
		if !t.Before(s.from) && t.Before(s.to) {
			return true
		}
	}
	return false
}

// NextOpening returns t (in c.Location) if c is open at t, else the start
// of the next opening interval. It returns the zero Time if there is none
// within ten years, which a calendar passing Validate cannot cause unless
// its closures cover that long.
func (c Calendar) NextOpening(t time.Time) time.Time {
	next, err := c.index().nextOpening(t)
	if err != nil {
		return time.Time{}
	}
	return next
}

func (x *index) nextOpening(t time.Time) (time.Time, error) {
	t = t.In(x.loc)
	first := DateOf(t)
	for i := range maxDays {
		spans, _ := x.day(first.AddDays(i))
		for _, s := range spans {
			if t.Before(s.to) {
				return later(t, s.from), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: no opening within %d days of %s", ErrOutOfRange, maxDays, t)
}

// addOpenTime returns the instant at which dur of open time has elapsed
// after t. Open time running out exactly at a closing returns that closing,
// not the next opening.
func (x *index) addOpenTime(t time.Time, dur time.Duration) (time.Time, error) {
	t = t.In(x.loc)
	if dur <= 0 {
		return t, nil
	}
	first := DateOf(t)
	for i := range maxDays {
		spans, _ := x.day(first.AddDays(i))
		for _, s := range spans {
			if !t.Before(s.to) {
				continue
			}
			from := later(t, s.from)
			if avail := s.to.Sub(from); dur > avail {
				dur -= avail
				continue
			}
			return from.Add(dur), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: open time runs past %d days after %s", ErrOutOfRange, maxDays, t)
}

// openTime returns the open time between from and to.
func (x *index) openTime(from, to time.Time) (time.Duration, error) {
	first, last := x.dateOf(from), x.dateOf(to)
	if first.DaysUntil(last) > maxDays {
		return 0, fmt.Errorf("%w: %s to %s is longer than %d days", ErrOutOfRange, from, to, maxDays)
	}
	var total time.Duration
	for d := first; !d.After(last); d = d.AddDays(1) {
		spans, _ := x.day(d)
		for _, s := range spans {
			if lo, hi := later(from, s.from), earlier(to, s.to); lo.Before(hi) {
				total += hi.Sub(lo)
			}
		}
	}
	return total, nil
}

// skipped lists the days from first to last, both included, that are not
// business days.
func (x *index) skipped(first, last Date) []SkippedDay {
	var out []SkippedDay
	for i := 0; i <= maxDays && !first.AddDays(i).After(last); i++ {
		if spans, why := x.day(first.AddDays(i)); len(spans) == 0 {
			out = append(out, why)
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
