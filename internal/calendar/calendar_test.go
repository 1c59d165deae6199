package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

func TestDefaultCalendarIsValid(t *testing.T) {
	t.Parallel()
	c := calendar.Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Location.String() != "Europe/Paris" || c.WhitMondayWorked || len(c.Closures) != 0 {
		t.Errorf("Default() = %+v, want Europe/Paris, Whit Monday off, no closures", c)
	}
	var zoneless calendar.Calendar
	zoneless.Week = c.Week
	if got := zoneless.NextOpening(at(t, "2026-03-07 10:00")); !got.Equal(at(t, "2026-03-09 09:00")) {
		t.Errorf("nil Location: next opening %s, want Monday 09:00 in Paris", got)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	t.Parallel()
	iv := func(from, to calendar.TimeOfDay) calendar.Interval { return calendar.Interval{From: from, To: to} }
	cases := []struct {
		name string
		edit func(*calendar.Calendar)
		want []string
	}{
		{"IntervalEndsBeforeItStarts", func(c *calendar.Calendar) {
			c.Week[time.Monday] = []calendar.Interval{iv(calendar.Clock(12, 0), calendar.Clock(9, 0))}
		}, []string{"monday interval 1 (12:00–09:00): must end after it starts"}},
		{"IntervalsOverlap", func(c *calendar.Calendar) {
			c.Week[time.Tuesday] = []calendar.Interval{iv(calendar.Clock(9, 0), calendar.Clock(13, 0)), iv(calendar.Clock(12, 0), calendar.Clock(17, 0))}
		}, []string{"tuesday interval 2 (12:00–17:00): must start at or after the end of the previous interval"}},
		{"IntervalsOutOfOrder", func(c *calendar.Calendar) {
			c.Week[time.Friday] = []calendar.Interval{iv(calendar.Clock(14, 0), calendar.Clock(17, 0)), iv(calendar.Clock(9, 0), calendar.Clock(12, 0))}
		}, []string{"friday interval 2 (09:00–12:00): must start at or after"}},
		{"IntervalPastMidnight", func(c *calendar.Calendar) {
			c.Week[time.Saturday] = []calendar.Interval{iv(calendar.Clock(20, 0), calendar.Clock(26, 0))}
		}, []string{"saturday interval 1 (20:00–TimeOfDay(1560)): end must be between 00:01 and 24:00"}},
		{"NegativeStart", func(c *calendar.Calendar) {
			c.Week[time.Sunday] = []calendar.Interval{iv(-10, calendar.Clock(1, 0))}
		}, []string{"sunday interval 1 (TimeOfDay(-10)–01:00): start must be between 00:00 and 23:59"}},
		{"NoOpenDay", func(c *calendar.Calendar) { c.Week = [7][]calendar.Interval{} },
			[]string{"week: at least one day must have opening hours"}},
		{"ClosureEndsBeforeItStarts", func(c *calendar.Calendar) {
			c.Closures = []calendar.Closure{{From: date(t, "2026-08-14"), To: date(t, "2026-08-10"), Name: "Été"}}
		}, []string{`closure 1 ("Été"): must end on or after its first day`}},
		{"ClosureWithInvalidDate", func(c *calendar.Calendar) {
			c.Closures = []calendar.Closure{{From: calendar.Date{Year: 2026, Month: 2, Day: 29}, To: date(t, "2026-03-01")}}
		}, []string{`closure 1 (""): from 2026-02-29 is not a date`}},
		{"ClosureLongerThanAYear", func(c *calendar.Calendar) {
			c.Closures = []calendar.Closure{{From: date(t, "2026-01-01"), To: date(t, "2027-06-01"), Name: "Travaux"}}
		}, []string{`closure 1 ("Travaux"): longer than 366 days`}},
		{"UnknownRegion", func(c *calendar.Calendar) { c.Regions = []calendar.Region{"bretagne"} },
			[]string{`region "bretagne": unknown`}},
		{"RegionTwice", func(c *calendar.Calendar) { c.Regions = []calendar.Region{calendar.Mayotte, calendar.Mayotte} },
			[]string{`region "mayotte": listed twice`}},
		{"SeveralProblemsAllNamed", func(c *calendar.Calendar) {
			c.Week = [7][]calendar.Interval{}
			c.Regions = []calendar.Region{"corse"}
			c.Closures = []calendar.Closure{{Name: "vide"}}
		}, []string{"week: at least one day", `region "corse"`, `closure 1 ("vide"): from 0000-00-00 is not a date`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := calendar.Default()
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, calendar.ErrInvalidCalendar) {
				t.Fatalf("Validate() = %v, want ErrInvalidCalendar", err)
			}
			var verr *calendar.ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != len(tc.want) {
				t.Fatalf("problems %q, want %d", verr.Problems, len(tc.want))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestValidateAcceptsUsualCalendars(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*calendar.Calendar){
		"TouchingIntervals": func(c *calendar.Calendar) {
			c.Week[time.Monday] = []calendar.Interval{{From: 0, To: calendar.Clock(12, 0)}, {From: calendar.Clock(12, 0), To: calendar.EndOfDay}}
		},
		"SaturdayMorning": func(c *calendar.Calendar) {
			c.Week[time.Saturday] = []calendar.Interval{{From: calendar.Clock(9, 0), To: calendar.Clock(12, 0)}}
		},
		"AllRegions": func(c *calendar.Calendar) {
			c.Regions = []calendar.Region{calendar.AlsaceMoselle, calendar.Guadeloupe, calendar.Martinique, calendar.Guyane, calendar.LaReunion, calendar.Mayotte}
		},
		"LeapDayClosure": func(c *calendar.Calendar) {
			c.Closures = []calendar.Closure{{From: calendar.Date{Year: 2028, Month: 2, Day: 29}, To: calendar.Date{Year: 2028, Month: 2, Day: 29}}}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := calendar.Default()
			edit(&c)
			if err := c.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestIsBusinessDay(t *testing.T) {
	t.Parallel()
	closure := defaultWith(func(c *calendar.Calendar) {
		c.Closures = []calendar.Closure{{From: date(t, "2026-05-15"), To: date(t, "2026-05-15"), Name: "Pont de l'Ascension"}}
	})
	cases := []struct {
		name string
		cal  *calendar.Calendar
		day  time.Time
		want bool
	}{
		{"Monday", nil, at(t, "2026-03-02 00:00"), true},
		{"Saturday", nil, at(t, "2026-03-07 12:00"), false},
		{"Sunday", nil, at(t, "2026-03-08 12:00"), false},
		{"EasterMonday", nil, at(t, "2026-04-06 12:00"), false},
		{"GoodFridayOutsideAlsace", nil, at(t, "2026-04-03 12:00"), true},
		{"Ascension", nil, at(t, "2026-05-14 12:00"), false},
		{"AscensionBridgeClosure", closure, at(t, "2026-05-15 12:00"), false},
		{"WhitMonday", nil, at(t, "2026-05-25 12:00"), false},
		{"WhitMondayWorked", defaultWith(func(c *calendar.Calendar) { c.WhitMondayWorked = true }), at(t, "2026-05-25 12:00"), true},
		{"FourteenJuly", nil, at(t, "2026-07-14 12:00"), false},
		{"UTCEveningIsParisNextDay", nil, time.Date(2026, 5, 13, 22, 30, 0, 0, time.UTC), false}, // 00:30 on Ascension in Paris
		{"UTCEveningBeforeIsStillWednesdayInParis", nil, time.Date(2026, 5, 13, 21, 30, 0, 0, time.UTC), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := calendar.Default()
			if tc.cal != nil {
				c = *tc.cal
			}
			if got := c.IsBusinessDay(tc.day); got != tc.want {
				t.Errorf("IsBusinessDay(%s) = %v, want %v", tc.day, got, tc.want)
			}
		})
	}
}

func TestIsOpenAndNextOpening(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		t        string
		wantOpen bool
		wantNext string
	}{
		{"AtOpening", "2026-03-02 09:00", true, "2026-03-02 09:00"},
		{"BeforeOpening", "2026-03-02 08:59", false, "2026-03-02 09:00"},
		{"AtLunchClosing", "2026-03-02 12:30", false, "2026-03-02 13:30"},
		{"AtClosing", "2026-03-02 17:30", false, "2026-03-03 09:00"},
		{"JustBeforeClosing", "2026-03-02 17:29", true, "2026-03-02 17:29"},
		{"FridayEvening", "2026-03-06 18:30", false, "2026-03-09 09:00"},
		{"EveOfAscensionBridge", "2026-05-13 18:00", false, "2026-05-15 09:00"},
		{"ChristmasWeekend", "2026-12-24 18:00", false, "2026-12-28 09:00"},
		{"SundayOfSpringForward", "2026-03-29 02:30", false, "2026-03-30 09:00"},
	}
	c := calendar.Default()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tt := at(t, tc.t)
			if got := c.IsOpen(tt); got != tc.wantOpen {
				t.Errorf("IsOpen(%s) = %v, want %v", tc.t, got, tc.wantOpen)
			}
			if got, want := c.NextOpening(tt), at(t, tc.wantNext); !got.Equal(want) {
				t.Errorf("NextOpening(%s) = %s, want %s", tc.t, got, want)
			}
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want calendar.TimeOfDay
		ok   bool
	}{
		{"09:00", calendar.Clock(9, 0), true},
		{"13:30", calendar.Clock(13, 30), true},
		{"00:00", 0, true},
		{"24:00", calendar.EndOfDay, true},
		{"24:01", 0, false},
		{"9:00", 0, false},
		{"09h00", 0, false},
		{"12:60", 0, false},
		{"-1:00", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseTimeOfDay(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in string
		ok bool
	}{
		{"2026-05-14", true},
		{"2028-02-29", true},
		{"2026-02-29", false},
		{"2026-5-14", false},
		{"14/05/2026", false},
		{"", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseDate(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseDate(%q) error %v, want ok %v", tc.in, err, tc.ok)
			}
			if tc.ok && got.String() != tc.in {
				t.Errorf("ParseDate(%q).String() = %q", tc.in, got)
			}
		})
	}
}
