package calendar_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

// "An email must be answered within 48 hours, counted as two business days."
func TestEmailAnsweredWithin48hIsTwoBusinessDays(t *testing.T) {
	t.Parallel()
	run(t, []dueCase{
		{name: "MondayMorningDueWednesdaySameTime", start: "2026-03-02 10:00", policy: email, want: "2026-03-04 10:00"},
		{name: "ThursdaySkipsWeekend", start: "2026-03-05 15:00", policy: email, want: "2026-03-09 15:00"},
		{name: "ReceivedAtLunchStartsAtAfternoonOpening", start: "2026-03-02 12:45", policy: email, want: "2026-03-04 13:30"},
		{name: "ReceivedBeforeOpeningStartsAtOpening", start: "2026-03-02 07:10", policy: email, want: "2026-03-04 09:00"},
		{name: "ReceivedOnSundayStartsMondayOpening", start: "2026-03-08 11:00", policy: email, want: "2026-03-11 09:00"},
		{name: "ThursdayBeforeEasterMondaySkipsIt", start: "2026-04-02 10:00", policy: email, want: "2026-04-07 10:00"},
		{name: "ReceivedOnEasterMondayStartsTuesday", start: "2026-04-06 10:00", policy: email, want: "2026-04-09 09:00"},
		{name: "AscensionThursday2026Skipped", start: "2026-05-13 10:00", policy: email, want: "2026-05-18 10:00"},
		{name: "WhitMonday2026Skipped", start: "2026-05-22 10:00", policy: email, want: "2026-05-27 10:00"},
		{name: "WhitMondayWorkedWhenCalendarSaysSo", start: "2026-05-22 10:00", policy: email, want: "2026-05-26 10:00",
			cal: defaultWith(func(c *calendar.Calendar) { c.WhitMondayWorked = true })},
		{name: "FourteenJuly2026TuesdaySkipped", start: "2026-07-13 10:00", policy: email, want: "2026-07-16 10:00"},
		{name: "FifteenAugust2026SaturdayChangesNothing", start: "2026-08-14 10:00", policy: email, want: "2026-08-18 10:00"},
		{name: "ArmisticeWednesdaySkipped", start: "2026-11-10 10:00", policy: email, want: "2026-11-13 10:00"},
		{name: "ChristmasFridaySkipped", start: "2026-12-24 10:00", policy: email, want: "2026-12-29 10:00"},
		{name: "AlsaceMoselleAlsoSkipsGoodFriday", start: "2026-04-02 10:00", policy: email, want: "2026-04-08 10:00",
			cal: defaultWith(func(c *calendar.Calendar) { c.Regions = []calendar.Region{calendar.AlsaceMoselle} })},
		{name: "LaReunionSkipsAbolitionDay", start: "2027-12-17 10:00", policy: email, want: "2027-12-22 10:00",
			cal: defaultWith(func(c *calendar.Calendar) { c.Regions = []calendar.Region{calendar.LaReunion} })},
		{name: "ZeroDaysIsTheEffectiveStart", start: "2026-03-06 18:30", policy: calendar.Policy{Kind: calendar.BusinessDays}, want: "2026-03-09 09:00"},
	})
}

// "A letter must be answered within 72 hours, counted as three business days."
func TestLetterAnsweredWithin72hIsThreeBusinessDays(t *testing.T) {
	t.Parallel()
	run(t, []dueCase{
		{name: "FridayEveningStartsMondayOpening", start: "2026-03-06 18:30", policy: letter, want: "2026-03-12 09:00"},
		{name: "TuesdayDueFriday", start: "2026-03-03 11:00", policy: letter, want: "2026-03-06 11:00"},
		{name: "FridayEveningBeforeEasterMondayStartsTuesday", start: "2026-04-03 18:30", policy: letter, want: "2026-04-10 09:00"},
		{name: "WednesdayBeforeAscensionSkipsThursday", start: "2026-05-13 16:00", policy: letter, want: "2026-05-19 16:00"},
	})
}

// Due dates keep their wall-clock time across daylight saving changes.
func TestDueKeepsWallClockAcrossDST(t *testing.T) {
	t.Parallel()
	run(t, []dueCase{
		{name: "SpringForward29March2026", start: "2026-03-27 10:00", policy: email, want: "2026-03-31 10:00"},
		{name: "FallBack25October2026", start: "2026-10-23 10:00", policy: email, want: "2026-10-27 10:00"},
		{name: "BusinessHoursOverSpringWeekend", start: "2026-03-27 17:00", policy: hours(time.Hour), want: "2026-03-30 09:30"},
		{name: "BusinessHoursOverAutumnWeekend", start: "2026-10-23 17:00", policy: hours(time.Hour), want: "2026-10-26 09:30"},
	})
	t.Run("ElapsedTimeIsAnHourShorterInSpring", func(t *testing.T) {
		t.Parallel()
		got, err := calendar.Default().Due(at(t, "2026-03-27 10:00"), email, nil)
		if err != nil {
			t.Fatal(err)
		}
		if elapsed := got.At.Sub(at(t, "2026-03-27 10:00")); elapsed != 4*24*time.Hour-time.Hour {
			t.Errorf("elapsed %s, want 95h (the night of 29 March has 23 h)", elapsed)
		}
	})
}

func TestClosureDaysAreSkipped(t *testing.T) {
	t.Parallel()
	august := defaultWith(func(c *calendar.Calendar) {
		c.Closures = []calendar.Closure{{From: date(t, "2026-08-10"), To: date(t, "2026-08-14"), Name: "Fermeture annuelle"}}
	})
	christmasEve := defaultWith(func(c *calendar.Calendar) {
		c.Closures = []calendar.Closure{{From: date(t, "2026-12-24"), To: date(t, "2026-12-24"), Name: "Réveillon"}}
	})
	run(t, []dueCase{
		{name: "AugustWeekSkipped", cal: august, start: "2026-08-07 10:00", policy: email, want: "2026-08-18 10:00"},
		{name: "ReceivedDuringClosureStartsAfterIt", cal: august, start: "2026-08-12 10:00", policy: email, want: "2026-08-19 09:00"},
		{name: "ChristmasEveClosureThenHolidayThenWeekend", cal: christmasEve, start: "2026-12-23 10:00", policy: email, want: "2026-12-29 10:00"},
	})
}

// "Each due date is recomputed when the calendar changes."
func TestCalendarChangeMovesDueDate(t *testing.T) {
	t.Parallel()
	before := calendar.Default()
	stored, err := before.Due(at(t, "2026-08-03 10:00"), email, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(t, "2026-08-05 10:00"); !stored.At.Equal(want) {
		t.Fatalf("before the change: due %s, want %s", stored.At, want)
	}
	after := before
	after.Version = "2"
	after.Closures = []calendar.Closure{{From: date(t, "2026-08-04"), To: date(t, "2026-08-04"), Name: "Inventaire"}}

	got, err := after.Recompute(roundTrip(t, stored.Explanation))
	if err != nil {
		t.Fatal(err)
	}
	if want := at(t, "2026-08-06 10:00"); !got.At.Equal(want) {
		t.Errorf("after adding a closure on 4 August: due %s, want %s", got.At, want)
	}
	if got.Explanation.Calendar.Version != "2" {
		t.Errorf("explanation names calendar version %q, want 2", got.Explanation.Calendar.Version)
	}
	if s := skippedStrings(got.Explanation); !slices.Contains(s, "closure: Inventaire") {
		t.Errorf("skipped days %v do not name the closure", s)
	}
}

func TestBusinessHoursCountOnlyOpenTime(t *testing.T) {
	t.Parallel()
	run(t, []dueCase{
		{name: "AcrossLunch", start: "2026-03-02 11:00", policy: hours(2 * time.Hour), want: "2026-03-02 14:00"},
		{name: "Overnight", start: "2026-03-02 17:00", policy: hours(time.Hour), want: "2026-03-03 09:30"},
		{name: "ReceivedAtLunch", start: "2026-03-02 12:45", policy: hours(time.Hour), want: "2026-03-02 14:30"},
		{name: "EndingExactlyAtClosingIsThatClosing", start: "2026-03-02 09:00", policy: hours(7*time.Hour + 30*time.Minute), want: "2026-03-02 17:30"},
		{name: "OverWeekendToMondayClosing", start: "2026-03-06 17:00", policy: hours(8 * time.Hour), want: "2026-03-09 17:30"},
		{name: "OverAscension", start: "2026-05-13 17:00", policy: hours(time.Hour), want: "2026-05-15 09:30"},
	})
}

// BusinessDays keeps the start's clock time unless the target day's hours
// do not reach it.
func TestBusinessDaysClampsClockToTargetDayHours(t *testing.T) {
	t.Parallel()
	saturdayMorning := defaultWith(func(c *calendar.Calendar) {
		c.Week[time.Saturday] = []calendar.Interval{{From: calendar.Clock(9, 0), To: calendar.Clock(12, 0)}}
	})
	lateWednesday := defaultWith(func(c *calendar.Calendar) {
		c.Week[time.Wednesday] = []calendar.Interval{{From: calendar.Clock(10, 0), To: calendar.Clock(17, 30)}}
	})
	run(t, []dueCase{
		{name: "AfterClosingBecomesClosing", cal: saturdayMorning, start: "2026-03-06 15:00", policy: calendar.Policy{Kind: calendar.BusinessDays, Days: 1}, want: "2026-03-07 12:00"},
		{name: "BeforeOpeningBecomesOpening", cal: lateWednesday, start: "2026-03-02 09:15", policy: email, want: "2026-03-04 10:00"},
	})
	got, err := saturdayMorning.Due(at(t, "2026-03-06 15:00"), calendar.Policy{Kind: calendar.BusinessDays, Days: 1}, nil)
	if err != nil || !got.Explanation.ClockAdjusted {
		t.Errorf("clamped due: ClockAdjusted = %v, err %v; want true, nil", got.Explanation.ClockAdjusted, err)
	}
}

// "No clock runs while waiting for the client."
func TestPausesStopTheClock(t *testing.T) {
	t.Parallel()
	pause := func(from, to string) calendar.Pause {
		p := calendar.Pause{From: at(t, from)}
		if to != "" {
			p.To = at(t, to)
		}
		return p
	}
	run(t, []dueCase{
		{name: "TwoDaysWaitingAddTwoDays", start: "2026-03-02 10:00", policy: email,
			pauses: []calendar.Pause{pause("2026-03-03 10:00", "2026-03-05 10:00")}, want: "2026-03-06 10:00"},
		{name: "WaitingOverWeekendCostsNothing", start: "2026-03-05 10:00", policy: email,
			pauses: []calendar.Pause{pause("2026-03-06 18:00", "2026-03-09 08:00")}, want: "2026-03-09 10:00"},
		{name: "PauseAfterDeadlineChangesNothing", start: "2026-03-02 10:00", policy: email,
			pauses: []calendar.Pause{pause("2026-03-05 10:00", "2026-03-06 10:00")}, want: "2026-03-04 10:00"},
		{name: "OverlappingPausesCountOnce", start: "2026-03-02 10:00", policy: email,
			pauses: []calendar.Pause{pause("2026-03-03 15:00", "2026-03-04 12:00"), pause("2026-03-03 10:00", "2026-03-04 10:00")}, want: "2026-03-05 12:00"},
		{name: "PauseBeganBeforeStartCountsFromStart", start: "2026-03-02 10:00", policy: email,
			pauses: []calendar.Pause{pause("2026-02-27 10:00", "2026-03-02 11:00")}, want: "2026-03-04 11:00"},
		{name: "SecondPauseCountsWhenFirstPushedDueDatePastIt", start: "2026-03-02 10:00", policy: email,
			pauses: []calendar.Pause{pause("2026-03-03 10:00", "2026-03-04 10:00"), pause("2026-03-04 14:00", "2026-03-04 15:00")}, want: "2026-03-05 11:00"},
		{name: "BusinessHoursPausedHalfAnHour", start: "2026-03-02 11:00", policy: hours(2 * time.Hour),
			pauses: []calendar.Pause{pause("2026-03-02 11:30", "2026-03-02 12:00")}, want: "2026-03-02 14:30"},
	})
	t.Run("ExplanationCountsOpenTimeOfEachPause", func(t *testing.T) {
		t.Parallel()
		got, err := calendar.Default().Due(at(t, "2026-03-02 10:00"), email, []calendar.Pause{pause("2026-03-03 10:00", "2026-03-05 10:00")})
		if err != nil {
			t.Fatal(err)
		}
		if p := got.Explanation.Pauses; len(p) != 1 || !p[0].Applied || p[0].Counted != 15*time.Hour {
			t.Errorf("pauses %+v, want one applied pause counting 15h (two days of 7h30)", p)
		}
		if want := at(t, "2026-03-04 10:00"); !got.Explanation.UnpausedAt.Equal(want) {
			t.Errorf("unpaused due %s, want %s", got.Explanation.UnpausedAt, want)
		}
	})
}

func TestStillOpenPauseHasNoDueYet(t *testing.T) {
	t.Parallel()
	c := calendar.Default()
	start := at(t, "2026-03-02 10:00")
	t.Run("OpenPauseBeforeDeadline", func(t *testing.T) {
		t.Parallel()
		got, err := c.Due(start, email, []calendar.Pause{{From: at(t, "2026-03-03 10:00")}})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Paused || !got.At.IsZero() {
			t.Errorf("got At %s, Paused %v; want zero At and Paused", got.At, got.Paused)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"at"`) || !strings.Contains(string(b), `"paused":true`) {
			t.Errorf("JSON %s: want no at and paused true", b)
		}
	})
	t.Run("OpenPauseAfterDeadlineLeavesIt", func(t *testing.T) {
		t.Parallel()
		got, err := c.Due(start, email, []calendar.Pause{{From: at(t, "2026-03-05 10:00")}})
		if err != nil {
			t.Fatal(err)
		}
		if want := at(t, "2026-03-04 10:00"); got.Paused || !got.At.Equal(want) {
			t.Errorf("got At %s, Paused %v; want %s, not paused", got.At, got.Paused, want)
		}
	})
	t.Run("EndingThePauseGivesTheDueDate", func(t *testing.T) {
		t.Parallel()
		got, err := c.Due(start, email, []calendar.Pause{{From: at(t, "2026-03-03 10:00"), To: at(t, "2026-03-03 11:00")}})
		if err != nil {
			t.Fatal(err)
		}
		if want := at(t, "2026-03-04 11:00"); !got.At.Equal(want) {
			t.Errorf("due %s, want %s", got.At, want)
		}
	})
}

func TestDueRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	start := at(t, "2026-03-02 10:00")
	broken := calendar.Default()
	broken.Week = [7][]calendar.Interval{}
	cases := []struct {
		name   string
		cal    calendar.Calendar
		start  time.Time
		policy calendar.Policy
		pauses []calendar.Pause
		want   error
	}{
		{"InvalidCalendar", broken, start, email, nil, calendar.ErrInvalidCalendar},
		{"UnknownPolicyKind", calendar.Default(), start, calendar.Policy{Kind: "weeks", Days: 1}, nil, calendar.ErrInvalidPolicy},
		{"ZeroPolicy", calendar.Default(), start, calendar.Policy{}, nil, calendar.ErrInvalidPolicy},
		{"NegativeDays", calendar.Default(), start, calendar.Policy{Kind: calendar.BusinessDays, Days: -1}, nil, calendar.ErrInvalidPolicy},
		{"DaysWithHours", calendar.Default(), start, calendar.Policy{Kind: calendar.BusinessDays, Days: 1, Hours: time.Hour}, nil, calendar.ErrInvalidPolicy},
		{"ZeroHours", calendar.Default(), start, hours(0), nil, calendar.ErrInvalidPolicy},
		{"ZeroStart", calendar.Default(), time.Time{}, email, nil, calendar.ErrOutOfRange},
		{"PauseEndsBeforeItBegins", calendar.Default(), start, email, []calendar.Pause{{From: start.Add(time.Hour), To: start}}, calendar.ErrInvalidPause},
		{"PauseWithoutStart", calendar.Default(), start, email, []calendar.Pause{{To: start}}, calendar.ErrInvalidPause},
		{"ClosedForTenYears", closedFor(t, 3700), start, email, nil, calendar.ErrOutOfRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.cal.Due(tc.start, tc.policy, tc.pauses)
			if !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			if !got.At.IsZero() {
				t.Errorf("At %s on error, want zero", got.At)
			}
		})
	}
}

// closedFor returns Default with consecutive year-long closures covering
// days from 2026-03-01.
func closedFor(t *testing.T, days int) calendar.Calendar {
	c := calendar.Default()
	for from := date(t, "2026-03-01"); days > 0; days -= 365 {
		c.Closures = append(c.Closures, calendar.Closure{From: from, To: from.AddDays(364), Name: "Travaux"})
		from = from.AddDays(365)
	}
	return c
}

func TestExplanationSaysWhy(t *testing.T) {
	t.Parallel()
	c := defaultWith(func(c *calendar.Calendar) {
		c.Name, c.Version = "siège", "7"
		c.Closures = []calendar.Closure{{From: date(t, "2026-04-07"), To: date(t, "2026-04-07"), Name: "Fermeture annuelle"}}
	})
	got, err := c.Due(at(t, "2026-04-03 18:30"), letter, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Explanation
	wantSkipped := []string{"weekend", "weekend", "holiday: Lundi de Pâques", "closure: Fermeture annuelle", "weekend", "weekend"}
	if s := skippedStrings(e); !slices.Equal(s, wantSkipped) {
		t.Errorf("skipped %v, want %v", s, wantSkipped)
	}
	if want := at(t, "2026-04-08 09:00"); !e.EffectiveStart.Equal(want) {
		t.Errorf("effective start %s, want %s", e.EffectiveStart, want)
	}
	if want := (calendar.CalendarRef{Name: "siège", Version: "7", Location: "Europe/Paris"}); e.Calendar != want {
		t.Errorf("calendar %+v, want %+v", e.Calendar, want)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"at":"2026-04-13T09:00:00+02:00"`, `"requested_start":"2026-04-03T18:30:00+02:00"`,
		`"effective_start"`, `"unpaused_at"`, `"skipped_days"`, `"policy":{"kind":"business_days","days":3}`,
		`{"date":"2026-04-06","reason":"holiday","name":"Lundi de Pâques"}`, `"calendar":{"name":"siège","version":"7","location":"Europe/Paris"}`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b)
		}
	}
}

func TestExplanationRoundTripsThroughJSON(t *testing.T) {
	t.Parallel()
	c := calendar.Default()
	pauses := []calendar.Pause{{From: at(t, "2026-03-03 10:00"), To: at(t, "2026-03-03 11:30")}, {From: at(t, "2026-03-09 10:00")}}
	for _, p := range []calendar.Policy{email, hours(90 * time.Minute)} {
		t.Run(string(p.Kind), func(t *testing.T) {
			t.Parallel()
			first, err := c.Due(at(t, "2026-03-02 10:00"), p, pauses)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.Recompute(roundTrip(t, first.Explanation))
			if err != nil {
				t.Fatal(err)
			}
			if !again.At.Equal(first.At) || again.Paused != first.Paused || again.Explanation.Policy != p {
				t.Errorf("recomputed %s (paused %v, %v), want %s (paused %v, %v)", again.At, again.Paused, again.Explanation.Policy, first.At, first.Paused, p)
			}
		})
	}
}

func roundTrip(t testing.TB, e calendar.Explanation) calendar.Explanation {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back calendar.Explanation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return back
}

func skippedStrings(e calendar.Explanation) []string {
	var out []string
	for _, s := range e.SkippedDays {
		out = append(out, s.String())
	}
	return out
}
