package calendar_test

import (
	"testing"
	"time"

	"github.com/guichet/guichet/internal/calendar"
)

// paris loads from the tzdata that package calendar embeds.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

const wall = "2006-01-02 15:04"

// at parses a Paris wall-clock time such as "2026-03-02 10:00".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation(wall, s, paris)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func date(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Policies of the company's procedures.
var (
	email  = calendar.Policy{Kind: calendar.BusinessDays, Days: 2} // "48 h"
	letter = calendar.Policy{Kind: calendar.BusinessDays, Days: 3} // "72 h"
)

func hours(d time.Duration) calendar.Policy {
	return calendar.Policy{Kind: calendar.BusinessHours, Hours: d}
}

// defaultWith returns Default changed by edit, for a case's calendar.
func defaultWith(edit func(*calendar.Calendar)) *calendar.Calendar {
	c := calendar.Default()
	edit(&c)
	return &c
}

type dueCase struct {
	name   string
	cal    *calendar.Calendar // nil: Default
	start  string
	policy calendar.Policy
	pauses []calendar.Pause
	want   string
}

// run checks each case's due date, in Paris wall-clock time.
func run(t *testing.T, cases []dueCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := calendar.Default()
			if tc.cal != nil {
				c = *tc.cal
			}
			got, err := c.Due(at(t, tc.start), tc.policy, tc.pauses)
			if err != nil {
				t.Fatalf("Due: %v", err)
			}
			if want := at(t, tc.want); !got.At.Equal(want) || got.At.Location().String() != "Europe/Paris" {
				t.Errorf("due %s, want %s\nexplanation: %+v", got.At.Format(wall+" MST"), want.Format(wall+" MST"), got.Explanation)
			}
		})
	}
}
