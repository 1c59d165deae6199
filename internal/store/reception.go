package store

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
)

const settingReception = "reception"

// ReceptionDocumentKinds are the kinds of reception documents.
var ReceptionDocumentKinds = []string{"brochure", "tariffs", "welcome_booklet", "tax_benefits", "other"}

// ReceptionDocument is a document handed out at the reception (brochure,
// tariffs…) and when it was last updated.
type ReceptionDocument struct {
	Title     string         `json:"title"`
	URL       string         `json:"url"`
	Kind      string         `json:"kind"`
	UpdatedOn *calendar.Date `json:"updated_on,omitempty"`
}

// ReceptionSettings are the reception's own settings; its opening hours
// are the business calendar's.
type ReceptionSettings struct {
	// PhoneSlots are the phone reception's weekly slots, indexed by
	// time.Weekday; holidays and closures are the calendar's.
	PhoneSlots [7][]calendar.Interval `json:"phone_slots"`
	Greeting   string                 `json:"greeting"`
	Documents  []ReceptionDocument    `json:"documents"`
	// Message delays in minutes of wall time: a message still not
	// acknowledged is reminded, then escalated.
	RemindAfterMinutes   int `json:"remind_after_minutes"`
	EscalateAfterMinutes int `json:"escalate_after_minutes"`
	// MessageEscalation names, per role, the agent who receives the role's
	// unacknowledged messages.
	MessageEscalation map[guichet.Role]string `json:"message_escalation"`
	Version           int                     `json:"-"`
}

// ReceptionView is what GET /settings/reception shows: the settings and
// the calendar whose opening hours apply.
type ReceptionView struct {
	Settings ReceptionSettings
	Calendar calendar.Calendar
}

// defaultReception: phone reception during the default opening hours, a
// reminder after 30 minutes and an escalation after two hours.
func defaultReception() ReceptionSettings {
	return ReceptionSettings{PhoneSlots: calendar.Default().Week, Documents: []ReceptionDocument{},
		RemindAfterMinutes: 30, EscalateAfterMinutes: 120, MessageEscalation: map[guichet.Role]string{}}
}

// loadReception returns the stored reception settings, or the defaults.
func loadReception(ctx context.Context, db bun.IDB) (ReceptionSettings, error) {
	var stored ReceptionSettings
	v, err := loadSetting(ctx, db, settingReception, &stored)
	if err != nil || v == 0 {
		return defaultReception(), err
	}
	stored.Version = v
	if stored.Documents == nil {
		stored.Documents = []ReceptionDocument{}
	}
	if stored.MessageEscalation == nil {
		stored.MessageEscalation = map[guichet.Role]string{}
	}
	return stored, nil
}

// ReceptionSettings returns the reception settings and the calendar.
func (s *Store) ReceptionSettings(ctx context.Context) (ReceptionView, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return ReceptionView{}, err
	}
	rs, err := loadReception(ctx, s.db.read)
	if err != nil {
		return ReceptionView{}, wrap("load reception settings", err)
	}
	cal, _, _, err := s.loadSettings(ctx, s.db.read)
	return ReceptionView{Settings: rs, Calendar: cal.Calendar}, wrap("load reception settings", err)
}

// PutReceptionSettings replaces the reception settings (managers, admins).
// EINVALID names the bad field; each escalation agent must be active.
func (s *Store) PutReceptionSettings(ctx context.Context, ifMatch int, in ReceptionSettings) (ReceptionView, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeSettingsWrite, settingsWriters...); err != nil {
		return ReceptionView{}, err
	}
	if err := validateReception(&in); err != nil {
		return ReceptionView{}, err
	}
	var out ReceptionView
	err := s.inTx(ctx, func(tx *Tx) error {
		for _, role := range slices.Sorted(maps.Keys(in.MessageEscalation)) {
			if err := checkActiveAgent(ctx, tx, in.MessageEscalation[role], "message_escalation."+string(role)); err != nil {
				return err
			}
		}
		before, err := loadReception(ctx, tx)
		if err != nil {
			return err
		}
		if in.Version, err = saveSetting(ctx, tx, settingReception, ifMatch, in); err != nil {
			return err
		}
		cal, _, _, err := s.loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		out = ReceptionView{Settings: in, Calendar: cal.Calendar}
		return audit(ctx, tx, "update", "reception_settings", "", before, in)
	})
	return out, wrap("update reception settings", err)
}

// validateReception checks what needs no database and fills the defaults
// of empty lists.
func validateReception(in *ReceptionSettings) error {
	if err := validateSlots(in.PhoneSlots); err != nil {
		return err
	}
	if in.RemindAfterMinutes < 1 {
		return guichet.Invalid("remind_after_minutes", "must be at least one minute")
	}
	if in.EscalateAfterMinutes <= in.RemindAfterMinutes {
		return guichet.Invalid("escalate_after_minutes", "must be after the reminder (remind_after_minutes)")
	}
	for i, d := range in.Documents {
		field := fmt.Sprintf("documents[%d]", i)
		if strings.TrimSpace(d.Title) == "" {
			return guichet.Invalid(field+".title", "must not be empty")
		}
		if !slices.Contains(ReceptionDocumentKinds, d.Kind) {
			return guichet.Invalid(field+".kind", "unknown kind")
		}
		if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return guichet.Invalid(field+".url", "must be an http or https address")
		}
	}
	for role := range in.MessageEscalation {
		if !role.Valid() {
			return guichet.Invalid("message_escalation."+string(role), "unknown role")
		}
	}
	if in.Documents == nil {
		in.Documents = []ReceptionDocument{}
	}
	if in.MessageEscalation == nil {
		in.MessageEscalation = map[guichet.Role]string{}
	}
	return nil
}

// validateSlots checks that each day's slots lie within the day, end
// after they start and follow each other without overlapping. A week
// without any slot is allowed: no phone reception.
func validateSlots(week [7][]calendar.Interval) error {
	for wd, day := range week {
		for i, iv := range day {
			field := fmt.Sprintf("phone_slots.%s[%d]", strings.ToLower(time.Weekday(wd).String()), i)
			switch {
			case iv.From < 0 || iv.To > calendar.EndOfDay:
				return guichet.Invalid(field, "times are between 00:00 and 24:00")
			case iv.From >= iv.To:
				return guichet.Invalid(field, "must end after it starts")
			case i > 0 && iv.From < day[i-1].To:
				return guichet.Invalid(field, "must start at or after the end of the previous slot")
			}
		}
	}
	return nil
}

// checkActiveAgent is EINVALID on field unless id is an active agent.
func checkActiveAgent(ctx context.Context, db bun.IDB, id, field string) error {
	agent, err := loadAgent(ctx, db, id)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return guichet.Invalid(field, "no such agent")
	} else if err != nil {
		return err
	}
	if !agent.Active {
		return guichet.Invalid(field, "the agent is not active")
	}
	return nil
}

// Opening says whether something is open at an instant: when open, until
// when; when closed, when it opens next (nil if not within ten years) and
// why the whole day is off, if it is.
type Opening struct {
	Open         bool
	ClosesAt     *time.Time
	OpensAt      *time.Time
	ClosedReason string
}

// ReceptionStatus is whether the phone reception and the premises are open.
type ReceptionStatus struct {
	At              time.Time
	Phone, Premises Opening
}

// ReceptionStatus says whether the phone reception (its slots) and the
// premises (the calendar's opening hours) are open at at (zero: now); both
// follow the calendar's holidays and closures.
func (s *Store) ReceptionStatus(ctx context.Context, at time.Time) (ReceptionStatus, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return ReceptionStatus{}, err
	}
	cal, _, _, err := s.settings(ctx)
	if err != nil {
		return ReceptionStatus{}, wrap("reception status", err)
	}
	rs, err := loadReception(ctx, s.db.read)
	if err != nil {
		return ReceptionStatus{}, wrap("reception status", err)
	}
	if at.IsZero() {
		at = s.now()
	}
	phone := cal.Calendar
	phone.Week = rs.PhoneSlots
	at = at.UTC()
	return ReceptionStatus{At: at, Phone: openingAt(phone, at), Premises: openingAt(cal.Calendar, at)}, nil
}

func openingAt(c calendar.Calendar, at time.Time) Opening {
	if until := c.OpenUntil(at); !until.IsZero() {
		until = until.UTC()
		return Opening{Open: true, ClosesAt: &until}
	}
	var o Opening
	if next := c.NextOpening(at); !next.IsZero() {
		next = next.UTC()
		o.OpensAt = &next
	}
	if skip, off := c.DayOff(at); off {
		o.ClosedReason = skip.String()
	}
	return o
}
