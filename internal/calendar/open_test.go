package calendar_test

import (
	"testing"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

func TestOpenUntil(t *testing.T) {
	t.Parallel()
	c := calendar.Default()
	touching := calendar.Default()
	touching.Week[time.Tuesday] = []calendar.Interval{{From: calendar.Clock(9, 0), To: calendar.Clock(12, 0)}, {From: calendar.Clock(12, 0), To: calendar.Clock(18, 0)}}
	cases := []struct {
		name string
		cal  calendar.Calendar
		at   string
		want string // "" when closed
	}{
		{"MorningClosesAtLunch", c, "2026-03-02 10:00", "2026-03-02 12:30"},
		{"OpeningInstantIsOpen", c, "2026-03-02 13:30", "2026-03-02 17:30"},
		{"ClosingInstantIsClosed", c, "2026-03-02 12:30", ""},
		{"LunchBreak", c, "2026-03-02 13:00", ""},
		{"Sunday", c, "2026-03-01 10:00", ""},
		{"EasterMonday", c, "2026-04-06 10:00", ""},
		{"TouchingIntervalsJoin", touching, "2026-03-03 10:00", "2026-03-03 18:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.OpenUntil(at(t, tc.at))
			if tc.want == "" {
				if !got.IsZero() {
					t.Fatalf("open until %v, want closed", got)
				}
				return
			}
			if want := at(t, tc.want); !got.Equal(want) {
				t.Fatalf("open until %v, want %v", got, want)
			}
		})
	}
}

func TestDayOff(t *testing.T) {
	t.Parallel()
	c := calendar.Default()
	c.Closures = []calendar.Closure{{From: date(t, "2026-08-10"), To: date(t, "2026-08-14"), Name: "Fermeture estivale"}}
	cases := []struct {
		at   string
		off  bool
		want string
	}{
		{"2026-03-02 20:00", false, ""},
		{"2026-03-01 10:00", true, "weekend"},
		{"2026-12-25 10:00", true, "holiday: Noël"},
		{"2026-08-12 10:00", true, "closure: Fermeture estivale"},
	}
	for _, tc := range cases {
		skip, off := c.DayOff(at(t, tc.at))
		if off != tc.off || (off && skip.String() != tc.want) {
			t.Errorf("%s: day off %t (%s), want %t (%s)", tc.at, off, skip, tc.off, tc.want)
		}
	}
}
