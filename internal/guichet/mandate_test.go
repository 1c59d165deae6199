package guichet

import (
	"testing"
	"time"
)

// A mandate covers its first and last days (Paris civil days) and stops
// the instant it is revoked.
func TestMandateStanding(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	until, revoked := d("2026-12-31"), time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	m := Mandate{ValidFrom: d("2026-01-01"), ValidUntil: &until, Scope: []Category{CategoryAccountingQuestion}}
	r := m
	r.RevokedAt = &revoked
	cases := []struct {
		m    Mandate
		day  string
		at   time.Time
		want MandateStanding
	}{
		{m, "2025-12-31", revoked, StandingNotYetValid},
		{m, "2026-01-01", revoked, StandingValid},
		{m, "2026-12-31", revoked, StandingValid},
		{m, "2027-01-01", revoked, StandingExpired},
		{r, "2026-06-01", revoked.Add(-time.Second), StandingValid},
		{r, "2026-06-01", revoked, StandingRevoked},
	}
	for _, c := range cases {
		if got := c.m.StandingAt(c.at, d(c.day)); got != c.want {
			t.Errorf("%s at %s: %s, want %s", c.day, c.at, got, c.want)
		}
	}
	if !m.Covers(CategoryAccountingQuestion) || m.Covers(CategoryWorksRequest) || !m.Covers("") {
		t.Error("scope")
	}
}
