package calendar

import "time"

// OpenUntil returns the end of the opening that t falls in (in
// c.Location), following intervals that touch (12:00–14:00 then
// 14:00–18:00 closes at 18:00), or the zero Time when c is closed at t.
// An interval that ends at 24:00 does not continue into the next day.
func (c Calendar) OpenUntil(t time.Time) time.Time {
	x := c.index()
	spans, _ := x.day(x.dateOf(t))
	for i, s := range spans {
		if t.Before(s.from) || !t.Before(s.to) {
			continue
		}
		end := s.to
		for _, next := range spans[i+1:] {
			if !next.from.Equal(end) {
				break
			}
			end = next.to
		}
		return end
	}
	return time.Time{}
}

// DayOff reports whether the date of t in c.Location has no opening at
// all, and why (weekend, weekly closing, holiday or closure).
func (c Calendar) DayOff(t time.Time) (SkippedDay, bool) {
	x := c.index()
	spans, skip := x.day(x.dateOf(t))
	return skip, len(spans) == 0
}
