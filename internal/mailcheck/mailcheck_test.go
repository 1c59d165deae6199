package mailcheck

import (
	"testing"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

var paris, _ = time.LoadLocation("Europe/Paris")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
	if err != nil {
		panic(err)
	}
	return t
}

func statuses(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.At.In(paris).Format("Mon 15:04") + " " + string(s.Status)
	}
	return out
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d slots %q, want %q", len(got), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("slot %d: got %q, want %q (all: %q)", i, got[i], want[i], got)
		}
	}
}

// « Consulter la boîte mail à l'arrivée, en début d'après-midi et avant de partir ».
func TestArrivalAfternoonAndEvening(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	// Monday 2026-11-23: checked at 08:55, 14:20, not in the evening.
	checks := []time.Time{at("2026-11-23 14:20"), at("2026-11-23 08:55")}
	got := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 23:00"), nil, checks)
	equal(t, statuses(got), []string{"Mon 09:00 met", "Mon 14:00 met", "Mon 17:30 missed"})
	if got[0].Check != 1 || got[1].Check != 0 || got[2].Check != -1 {
		t.Fatalf("checks matched %d %d %d", got[0].Check, got[1].Check, got[2].Check)
	}
}

func TestOneCheckMeetsOneSlot(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	// 09:20 is in the 09:00 slot's grace and in the 14:00 slot's window:
	// the earliest unmet slot takes it, a second check takes the next one.
	one := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 15:00"), nil,
		[]time.Time{at("2026-11-23 09:20")})
	equal(t, statuses(one), []string{"Mon 09:00 met", "Mon 14:00 missed", "Mon 17:30 pending"})
	two := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 15:00"), nil,
		[]time.Time{at("2026-11-23 09:20"), at("2026-11-23 09:25")})
	equal(t, statuses(two), []string{"Mon 09:00 met", "Mon 14:00 met", "Mon 17:30 pending"})
}

func TestLateCheckDoesNotMeetAClosedWindow(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	// 09:31 is past the 09:00 slot's grace: it counts for 14:00 only.
	got := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 16:00"), nil,
		[]time.Time{at("2026-11-23 09:31")})
	equal(t, statuses(got), []string{"Mon 09:00 missed", "Mon 14:00 met", "Mon 17:30 pending"})
	// Exactly at the deadline still counts.
	got = Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 16:00"), nil,
		[]time.Time{at("2026-11-23 09:30")})
	equal(t, statuses(got)[:1], []string{"Mon 09:00 met"})
}

func TestMondayMorningWindowOpensOnFridayEvening(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	// A check on Sunday evening counts for Monday's first slot.
	got := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-23 12:00"), at("2026-11-23 12:00"), nil,
		[]time.Time{at("2026-11-22 20:00")})
	equal(t, statuses(got), []string{"Mon 09:00 met"})
	// Friday 17:00 belongs to Friday 17:30, not to Monday.
	got = Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-23 12:00"), at("2026-11-23 12:00"), nil,
		[]time.Time{at("2026-11-20 17:00")})
	equal(t, statuses(got), []string{"Mon 09:00 missed"})
}

func TestNoSlotsOnHolidaysWeekendsAndClosures(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	cal.Closures = []calendar.Closure{{From: calendar.DateOf(at("2026-12-24 12:00")), To: calendar.DateOf(at("2026-12-24 12:00")), Name: "Pont"}}
	// Thursday 24 (closure), Friday 25 (Noël), weekend: no slot until Monday 28.
	got := Evaluate(cal, s, at("2026-12-24 00:00"), at("2026-12-28 12:00"), at("2026-12-28 12:00"), nil, nil)
	equal(t, statuses(got), []string{"Mon 09:00 missed"})
}

func TestExemptWhenEveryoneInChargeIsAbsent(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	responsible := []Interval{{From: at("2026-11-23 00:00"), To: at("2026-11-24 00:00")}}
	backupMorning := []Interval{{From: at("2026-11-23 00:00"), To: at("2026-11-23 12:00")}}
	got := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 23:00"),
		[][]Interval{responsible, backupMorning}, nil)
	equal(t, statuses(got), []string{"Mon 09:00 exempt", "Mon 14:00 missed", "Mon 17:30 missed"})
	if got[0].Exempt != ExemptAllAbsent {
		t.Fatalf("exempt reason %q", got[0].Exempt)
	}
	// Nobody in charge is not an exemption.
	got = Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 23:00"), [][]Interval{}, nil)
	equal(t, statuses(got), []string{"Mon 09:00 missed", "Mon 14:00 missed", "Mon 17:30 missed"})
}

func TestExemptSlotDoesNotConsumeACheck(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	away := []Interval{{From: at("2026-11-23 08:00"), To: at("2026-11-23 10:00")}}
	got := Evaluate(cal, s, at("2026-11-23 00:00"), at("2026-11-24 00:00"), at("2026-11-23 15:00"),
		[][]Interval{away}, []time.Time{at("2026-11-23 10:30")})
	equal(t, statuses(got), []string{"Mon 09:00 exempt", "Mon 14:00 met", "Mon 17:30 pending"})
}

func TestDaylightSavingDay(t *testing.T) {
	cal, s := calendar.Default(), DefaultSchedule()
	// Monday 2026-03-30 is the first business day of summer time: slots stay at 09:00 Paris.
	got := Evaluate(cal, s, at("2026-03-30 00:00"), at("2026-03-31 00:00"), at("2026-03-30 10:00"), nil, nil)
	if got[0].At.UTC().Hour() != 7 {
		t.Fatalf("09:00 Paris in summer is 07:00 UTC, got %s", got[0].At.UTC())
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultSchedule().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Schedule{
		{Grace: time.Minute},
		{Times: []calendar.TimeOfDay{calendar.Clock(9, 0), calendar.Clock(9, 0)}, Grace: time.Minute},
		{Times: []calendar.TimeOfDay{calendar.Clock(9, 0)}},
		{Times: []calendar.TimeOfDay{calendar.Clock(9, 0)}, Grace: 5 * time.Hour},
		{Times: []calendar.TimeOfDay{calendar.TimeOfDay(24 * 60)}, Grace: time.Minute},
	}
	for i, s := range bad {
		if s.Validate() == nil {
			t.Errorf("schedule %d accepted", i)
		}
	}
}
