package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// PolicyKind says how a Policy counts time.
type PolicyKind string

// Policy kinds; the values are stored in explanations.
const (
	// BusinessDays: the same wall-clock time N business days after the
	// effective start (see Calendar.Due).
	BusinessDays PolicyKind = "business_days"
	// BusinessHours: after Hours of open time from the effective start.
	BusinessHours PolicyKind = "business_hours"
)

// Upper bounds of a policy, far above any procedure, to keep walks short.
const (
	MaxPolicyDays  = 1000
	MaxPolicyHours = 10000 * time.Hour
)

// Policy is a response time, e.g. Policy{Kind: BusinessDays, Days: 2} for
// "an email is answered within 48 h".
type Policy struct {
	Kind  PolicyKind
	Days  int           // BusinessDays only: 0 to MaxPolicyDays
	Hours time.Duration // BusinessHours only: above 0, up to MaxPolicyHours
}

// Validate returns nil or an error wrapping ErrInvalidPolicy.
func (p Policy) Validate() error {
	switch {
	case p.Kind == BusinessDays && (p.Days < 0 || p.Days > MaxPolicyDays):
		return fmt.Errorf("%w: %s: days must be between 0 and %d", ErrInvalidPolicy, p.Kind, MaxPolicyDays)
	case p.Kind == BusinessDays && p.Hours != 0:
		return fmt.Errorf("%w: %s: hours must be zero", ErrInvalidPolicy, p.Kind)
	case p.Kind == BusinessHours && (p.Hours <= 0 || p.Hours > MaxPolicyHours):
		return fmt.Errorf("%w: %s: hours must be above 0 and at most %s", ErrInvalidPolicy, p.Kind, MaxPolicyHours)
	case p.Kind == BusinessHours && p.Days != 0:
		return fmt.Errorf("%w: %s: days must be zero", ErrInvalidPolicy, p.Kind)
	case p.Kind != BusinessDays && p.Kind != BusinessHours:
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidPolicy, p.Kind)
	}
	return nil
}

func (p Policy) String() string {
	if p.Kind == BusinessHours {
		return fmt.Sprintf("%s of business hours", p.Hours)
	}
	return fmt.Sprintf("%d business days", p.Days)
}

// policyJSON is Policy's stored form, with Hours as a duration string
// ("7h30m0s").
type policyJSON struct {
	Kind  PolicyKind `json:"kind"`
	Days  int        `json:"days,omitempty"`
	Hours string     `json:"hours,omitempty"`
}

// MarshalJSON writes {"kind":"business_hours","hours":"7h30m0s"}.
func (p Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(policyJSON{Kind: p.Kind, Days: p.Days, Hours: durationText(p.Hours)})
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown members
// (a mistyped "dayz" must not silently mean 0 days); it does not validate.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var v policyJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("calendar: policy: %w", err)
	}
	hours, err := parseDurationText(v.Hours)
	if err != nil {
		return fmt.Errorf("calendar: policy hours: %w", err)
	}
	*p = Policy{Kind: v.Kind, Days: v.Days, Hours: hours}
	return nil
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDurationText(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// Pause is a period when the clock does not run, such as waiting for the
// client. A zero To means the pause has not ended.
type Pause struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// AppliedPause is a pause as Due used it: pauses are clipped to the
// requested start and merged when they overlap or touch. Counted is the open
// time the pause covered, added to the due date when Applied; a pause that
// begins at or after the due date computed so far is not applied.
type AppliedPause struct {
	Pause
	Counted time.Duration
	Applied bool
}

// appliedPauseJSON is AppliedPause's stored form, Counted as a duration string.
type appliedPauseJSON struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to,omitzero"`
	Counted string    `json:"counted,omitempty"`
	Applied bool      `json:"applied"`
}

// MarshalJSON writes {"from":…,"to":…,"counted":"7h30m0s","applied":true}.
func (a AppliedPause) MarshalJSON() ([]byte, error) {
	return json.Marshal(appliedPauseJSON{From: a.From, To: a.To, Counted: durationText(a.Counted), Applied: a.Applied})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (a *AppliedPause) UnmarshalJSON(b []byte) error {
	var v appliedPauseJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	counted, err := parseDurationText(v.Counted)
	if err != nil {
		return fmt.Errorf("calendar: pause counted: %w", err)
	}
	*a = AppliedPause{Pause: Pause{From: v.From, To: v.To}, Counted: counted, Applied: v.Applied}
	return nil
}

// CalendarRef identifies the calendar a due date was computed with.
type CalendarRef struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Location string `json:"location"`
}

// Explanation is how a due date was reached, to store next to it and show.
type Explanation struct {
	Policy         Policy    `json:"policy"`
	RequestedStart time.Time `json:"requested_start"`
	// EffectiveStart is the requested start moved to the next opening.
	EffectiveStart time.Time `json:"effective_start"`
	// UnpausedAt is the due date before pauses.
	UnpausedAt time.Time `json:"unpaused_at"`
	// ClockAdjusted: for BusinessDays, the start's wall-clock time was
	// outside the target day's hours and was moved to its opening or closing.
	ClockAdjusted bool           `json:"clock_adjusted,omitempty"`
	Pauses        []AppliedPause `json:"pauses,omitempty"`
	// SkippedDays are the days from the requested start's date to the due
	// date that are not business days.
	SkippedDays []SkippedDay `json:"skipped_days,omitempty"`
	Calendar    CalendarRef  `json:"calendar"`
}

// Due is a due date and its explanation.
type Due struct {
	// At is the due instant in the calendar's location; zero when Paused.
	At time.Time `json:"at,omitzero"`
	// Paused: a pause with no end began before the due date, so there is no
	// due date until it ends.
	Paused      bool        `json:"paused,omitempty"`
	Explanation Explanation `json:"explanation"`
}

// Due returns when a request received at start must be answered under p,
// the clock stopping during pauses.
//
// The start first moves to the next opening (NextOpening) if c is closed
// then: the effective start. Then:
//
//   - BusinessDays: the due date is the effective start's wall-clock time
//     on the Days-th business day after the effective start's date, in
//     c.Location, so a daylight saving change keeps 10:00 at 10:00. That
//     time is clamped into the target day's hours: before its first opening
//     it becomes that opening, after its last closing it becomes that
//     closing; a time in a break within the day (lunch) is kept. Days 0
//     means the effective start.
//   - BusinessHours: the due date is when Hours of open time have elapsed
//     after the effective start; open time running out exactly at a closing
//     gives that closing.
//
// Pauses are clipped to start, merged when they overlap or touch, and taken
// in order: a pause that begins before the due date computed so far pushes
// it later by the open time the pause covers (counted as business hours
// from that due date); a pause that begins at or after it changes nothing,
// the deadline having passed first. If a pause with no end (zero To) begins
// before the due date, the result has Paused set and a zero At, with a nil
// error: the due date is computed again when the pause ends.
//
// Errors wrap ErrInvalidCalendar (c fails Validate), ErrInvalidPolicy,
// ErrInvalidPause, or ErrOutOfRange (start zero or outside MinYear–MaxYear,
// or an answer more than ten years of calendar days away).
func (c Calendar) Due(start time.Time, p Policy, pauses []Pause) (Due, error) {
	if err := c.checkInputs(start, p, pauses); err != nil {
		return Due{}, err
	}
	x := c.index()
	start = start.In(x.loc)
	e := Explanation{Policy: p, RequestedStart: start, Calendar: c.ref()}
	var err error
	if e.EffectiveStart, err = x.nextOpening(start); err != nil {
		return Due{}, err
	}
	if e.UnpausedAt, e.ClockAdjusted, err = x.unpaused(e.EffectiveStart, p); err != nil {
		return Due{}, err
	}
	at, applied, paused, err := x.applyPauses(e.UnpausedAt, mergePauses(pauses, start, x.loc))
	if err != nil {
		return Due{}, err
	}
	e.Pauses = applied
	e.SkippedDays = x.skipped(DateOf(start), DateOf(at))
	if paused {
		return Due{Paused: true, Explanation: e}, nil
	}
	return Due{At: at, Explanation: e}, nil
}

// Recompute replays a stored explanation with c, typically after the
// calendar changed: same policy, requested start and pauses. Errors are
// those of Due.
func (c Calendar) Recompute(e Explanation) (Due, error) {
	pauses := make([]Pause, len(e.Pauses))
	for i, a := range e.Pauses {
		pauses[i] = a.Pause
	}
	return c.Due(e.RequestedStart, e.Policy, pauses)
}

func (c Calendar) checkInputs(start time.Time, p Policy, pauses []Pause) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if !inYears(start) {
		return fmt.Errorf("%w: start %s: want a time between %d and %d", ErrOutOfRange, start, MinYear, MaxYear)
	}
	for i, pause := range pauses {
		switch {
		case !inYears(pause.From):
			return fmt.Errorf("%w: pause %d: from %s: want a time between %d and %d", ErrInvalidPause, i+1, pause.From, MinYear, MaxYear)
		case !pause.To.IsZero() && !inYears(pause.To):
			return fmt.Errorf("%w: pause %d: to %s: want a time between %d and %d", ErrInvalidPause, i+1, pause.To, MinYear, MaxYear)
		case !pause.To.IsZero() && pause.To.Before(pause.From):
			return fmt.Errorf("%w: pause %d: ends before it begins", ErrInvalidPause, i+1)
		}
	}
	return nil
}

func inYears(t time.Time) bool {
	y := t.UTC().Year()
	return !t.IsZero() && y >= MinYear && y < MaxYear
}

// unpaused returns the due date before pauses, and whether the BusinessDays
// clock time was clamped.
func (x *index) unpaused(eff time.Time, p Policy) (time.Time, bool, error) {
	if p.Kind == BusinessHours {
		at, err := x.addOpenTime(eff, p.Hours)
		return at, false, err
	}
	if p.Days == 0 {
		return eff, false, nil
	}
	d, spans, err := x.nthBusinessDay(DateOf(eff), p.Days)
	if err != nil {
		return time.Time{}, false, err
	}
	h, m, s := eff.Clock()
	at := time.Date(d.Year, d.Month, d.Day, h, m, s, eff.Nanosecond(), x.loc)
	switch first, last := spans[0].from, spans[len(spans)-1].to; {
	case at.Before(first):
		return first, true, nil
	case at.After(last):
		return last, true, nil
	}
	return at, false, nil
}

// nthBusinessDay returns the n-th business day after d, n > 0, and its spans.
func (x *index) nthBusinessDay(d Date, n int) (Date, []span, error) {
	for i := 1; i <= maxDays; i++ {
		spans, _ := x.day(d.AddDays(i))
		if len(spans) > 0 {
			if n--; n == 0 {
				return d.AddDays(i), spans, nil
			}
		}
	}
	return Date{}, nil, fmt.Errorf("%w: fewer than %d business days within %d days of %s", ErrOutOfRange, n, maxDays, d)
}

// applyPauses applies the merged pauses to due (see Calendar.Due). It
// returns the due date and, when an open pause stops the clock, paused true
// with the due date reached before it.
func (x *index) applyPauses(due time.Time, pauses []Pause) (time.Time, []AppliedPause, bool, error) {
	var applied []AppliedPause
	paused := false
	for _, p := range pauses {
		a := AppliedPause{Pause: p}
		if !paused && p.From.Before(due) {
			if p.To.IsZero() {
				paused = true
			} else if err := x.applyPause(&due, &a); err != nil {
				return time.Time{}, nil, false, err
			}
		}
		applied = append(applied, a)
	}
	return due, applied, paused, nil
}

func (x *index) applyPause(due *time.Time, a *AppliedPause) error {
	counted, err := x.openTime(a.From, a.To)
	if err != nil {
		return err
	}
	at, err := x.addOpenTime(*due, counted)
	if err != nil {
		return err
	}
	*due, a.Counted, a.Applied = at, counted, true
	return nil
}

// mergePauses drops pauses that end by start, clips the others to start,
// sorts them and merges those that overlap or touch. Times are put in loc.
func mergePauses(pauses []Pause, start time.Time, loc *time.Location) []Pause {
	var clipped []Pause
	for _, p := range pauses {
		if !p.To.IsZero() && !p.To.After(start) {
			continue
		}
		p.From = later(p.From, start).In(loc)
		if !p.To.IsZero() {
			p.To = p.To.In(loc)
		}
		clipped = append(clipped, p)
	}
	slices.SortStableFunc(clipped, func(a, b Pause) int { return a.From.Compare(b.From) })
	var merged []Pause
	for _, p := range clipped {
		n := len(merged)
		if n == 0 || (!merged[n-1].To.IsZero() && merged[n-1].To.Before(p.From)) {
			merged = append(merged, p)
			continue
		}
		if last := &merged[n-1]; !last.To.IsZero() && (p.To.IsZero() || p.To.After(last.To)) {
			last.To = p.To
		}
	}
	return merged
}
