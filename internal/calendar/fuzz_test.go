package calendar_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

// fuzzCalendars are valid calendars of different shapes. None is open on a
// Sunday, the day of the autumn change, whose repeated hour is the one
// place where "same wall-clock time" cannot be monotonic.
func fuzzCalendars() []calendar.Calendar {
	def := calendar.Default()

	regional := calendar.Default()
	regional.WhitMondayWorked = true
	regional.Regions = []calendar.Region{calendar.AlsaceMoselle, calendar.Guyane}
	regional.Closures = []calendar.Closure{
		{From: calendar.Date{Year: 2026, Month: 8, Day: 10}, To: calendar.Date{Year: 2026, Month: 8, Day: 14}, Name: "Fermeture annuelle"},
		{From: calendar.Date{Year: 2027, Month: 12, Day: 24}, To: calendar.Date{Year: 2027, Month: 12, Day: 24}},
	}

	saturday := calendar.Default()
	saturday.Week[time.Saturday] = []calendar.Interval{{From: calendar.Clock(9, 0), To: calendar.Clock(12, 0)}}

	allDay := calendar.Calendar{Name: "24h"}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		allDay.Week[wd] = []calendar.Interval{{From: 0, To: calendar.EndOfDay}}
	}

	uneven := calendar.Calendar{Name: "uneven"}
	uneven.Week[time.Monday] = []calendar.Interval{{From: calendar.Clock(8, 0), To: calendar.Clock(12, 0)}}
	uneven.Week[time.Wednesday] = []calendar.Interval{{From: calendar.Clock(14, 0), To: calendar.Clock(18, 0)}}
	uneven.Week[time.Friday] = []calendar.Interval{
		{From: calendar.Clock(10, 0), To: calendar.Clock(11, 0)},
		{From: calendar.Clock(15, 0), To: calendar.Clock(16, 0)},
	}
	return []calendar.Calendar{def, regional, saturday, allDay, uneven}
}

// FuzzDue checks, for valid calendars: no panic; errors are this package's;
// the due date is never before the start; it does not decrease when the
// start moves later (without pauses); the explanation survives JSON and
// Recompute gives the same result.
func FuzzDue(f *testing.F) {
	cals := fuzzCalendars()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const span = 8 * 365 * 24 * 3600 // starts in 2024–2031
	f.Fuzz(func(t *testing.T, startSec int64, delta uint32, kind uint8, amount uint16, variant uint8, pauseFrom int32, pauseLen uint32) {
		c := cals[int(variant)%len(cals)]
		start := base.Add(time.Duration(((startSec%span)+span)%span) * time.Second)
		p := calendar.Policy{Kind: calendar.BusinessDays, Days: int(amount % 40)}
		if kind%2 == 1 {
			p = calendar.Policy{Kind: calendar.BusinessHours, Hours: time.Duration(amount%3000+1) * time.Minute}
		}
		var pauses []calendar.Pause
		if pauseLen > 0 {
			from := start.Add(time.Duration(pauseFrom) * time.Second)
			pause := calendar.Pause{From: from}
			if pauseLen != 1 { // 1: a pause that has not ended
				pause.To = from.Add(time.Duration(pauseLen%(30*86400)) * time.Second)
			}
			pauses = append(pauses, pause)
		}

		got := checkDue(t, c, start, p, pauses)
		if pauses != nil {
			return
		}
		later := start.Add(time.Duration(delta%(30*86400)) * time.Second)
		if next := checkDue(t, c, later, p, nil); next.At.Before(got.At) {
			t.Fatalf("%s, %s: start %s due %s, but later start %s due %s", c.Name, p, start, got.At, later, next.At)
		}
	})
}

func checkDue(t *testing.T, c calendar.Calendar, start time.Time, p calendar.Policy, pauses []calendar.Pause) calendar.Due {
	t.Helper()
	got, err := c.Due(start, p, pauses)
	if err != nil {
		t.Fatalf("%s, %s, start %s, pauses %v: %v", c.Name, p, start, pauses, err)
	}
	if got.Paused != got.At.IsZero() {
		t.Fatalf("At %s with Paused %v", got.At, got.Paused)
	}
	if !got.Paused && got.At.Before(start) {
		t.Fatalf("%s, %s: due %s before start %s", c.Name, p, got.At, start)
	}
	b, err := json.Marshal(got.Explanation)
	if err != nil {
		t.Fatal(err)
	}
	var e calendar.Explanation
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	again, err := c.Recompute(e)
	if err != nil || !again.At.Equal(got.At) || again.Paused != got.Paused {
		t.Fatalf("recomputed %s (paused %v, err %v), want %s (paused %v)", again.At, again.Paused, err, got.At, got.Paused)
	}
	return got
}

// FuzzParseTimeOfDay: no panic, and what parses prints back the same.
func FuzzParseTimeOfDay(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		tod, err := calendar.ParseTimeOfDay(s)
		if err != nil {
			return
		}
		if tod < 0 || tod > calendar.EndOfDay || tod.String() != s {
			t.Fatalf("ParseTimeOfDay(%q) = %d, printed %q", s, tod, tod)
		}
	})
}

// FuzzParseDate: no panic, and what parses is valid and prints back the same.
func FuzzParseDate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := calendar.ParseDate(s)
		if err != nil {
			return
		}
		if !d.IsValid() || d.String() != s {
			t.Fatalf("ParseDate(%q) = %#v, printed %q", s, d, d)
		}
	})
}

// FuzzPolicyJSON: no panic, and a policy read from JSON writes back the
// same policy.
func FuzzPolicyJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var p calendar.Policy
		if err := json.Unmarshal(b, &p); err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back calendar.Policy
		if err := json.Unmarshal(out, &back); err != nil || back != p {
			t.Fatalf("%s -> %+v -> %s -> %+v, %v", b, p, out, back, err)
		}
		if err := p.Validate(); err != nil && !errors.Is(err, calendar.ErrInvalidPolicy) {
			t.Fatalf("Validate: %v", err)
		}
	})
}
