package calendar

import (
	"fmt"
	"time"
)

// Date is a civil date with no time zone, as holidays and closures are
// written. Its text form (and JSON) is "2006-01-02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location; call t.In(loc) first
// for another zone.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses "2006-01-02"; the error says what was wrong.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// IsValid reports whether d names a day of the Gregorian calendar, such as
// 2028-02-29 but not 2026-02-29 or the zero Date.
func (d Date) IsValid() bool {
	return d.Month >= time.January && d.Month <= time.December &&
		d.Day >= 1 && d.Day <= time.Date(d.Year, d.Month+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// utc is noon of d in UTC, a time that no calendar arithmetic moves to
// another day.
func (d Date) utc() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

// AddDays returns the date n days after d (before it if n is negative).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// DaysUntil returns the number of days from d to e, negative if e is before d.
func (d Date) DaysUntil(e Date) int { return int((e.utc().Unix() - d.utc().Unix()) / 86400) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.utc().Compare(e.utc()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// At returns the instant of wall-clock time tod on d in loc. A wall-clock
// time skipped by a daylight saving change is normalised by time.Date.
func (d Date) At(tod TimeOfDay, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, int(tod)/60, int(tod)%60, 0, 0, loc)
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDate.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// TimeOfDay is a wall-clock time in minutes since midnight, from 0 (00:00)
// to EndOfDay (24:00). Its text form (and JSON) is "HH:MM".
type TimeOfDay int

// EndOfDay is 24:00, the end of an interval that closes at midnight.
const EndOfDay TimeOfDay = 24 * 60

// Clock returns the TimeOfDay hour:minute.
func Clock(hour, minute int) TimeOfDay { return TimeOfDay(hour*60 + minute) }

// ParseTimeOfDay parses "HH:MM" from "00:00" to "24:00".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	bad := fmt.Errorf("calendar: time of day %q: want HH:MM between 00:00 and 24:00", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	h, okH := twoDigits(s[0:2])
	m, okM := twoDigits(s[3:5])
	if !okH || !okM || m > 59 || Clock(h, m) > EndOfDay {
		return 0, bad
	}
	return Clock(h, m), nil
}

func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func (t TimeOfDay) String() string {
	if t < 0 || t > EndOfDay {
		return fmt.Sprintf("TimeOfDay(%d)", int(t))
	}
	return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60)
}

// MarshalText implements encoding.TextMarshaler.
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseTimeOfDay.
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
