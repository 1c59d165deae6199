package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

// Setting keys.
const (
	settingCalendar = "calendar"
	settingPolicies = "response_policies"
	settingMapping  = "procedure_mapping"
)

type settingRow struct {
	bun.BaseModel `bun:"table:settings"`

	Key       string    `bun:"key,pk"`
	Value     string    `bun:"value"`
	Version   int       `bun:"version"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// ResponsePolicies say how long the company has to answer a client
// message, per channel, with per-procedure overrides.
type ResponsePolicies struct {
	Channels   map[guichet.Channel]calendar.Policy            `json:"channels"`
	Procedures map[string]map[guichet.Channel]calendar.Policy `json:"procedures"`
	Version    int                                            `json:"-"`
}

// For returns the policy for a message on channel in procedure code.
func (p ResponsePolicies) For(code string, ch guichet.Channel) (calendar.Policy, bool) {
	if pol, ok := p.Procedures[code][ch]; ok {
		return pol, true
	}
	pol, ok := p.Channels[ch]
	return pol, ok
}

// defaultPolicies: "48 heures" for an email, "72 heures" for a letter
// (gérance procedure), counted as business days; two business days for
// the calls and visits an agent says need an answer.
func defaultPolicies() ResponsePolicies {
	days := func(n int) calendar.Policy { return calendar.Policy{Kind: calendar.BusinessDays, Days: n} }
	return ResponsePolicies{Channels: map[guichet.Channel]calendar.Policy{
		guichet.ChannelEmail: days(2), guichet.ChannelLetter: days(3), guichet.ChannelRegisteredLetter: days(3),
		guichet.ChannelPhone: days(2), guichet.ChannelVoicemail: days(2), guichet.ChannelVisit: days(2), guichet.ChannelAPI: days(2),
	}, Procedures: map[string]map[guichet.Channel]calendar.Policy{}}
}

// ProcedureMapping says which procedure each category follows.
type ProcedureMapping struct {
	Mapping map[guichet.Category]string
	Version int
}

// CalendarSetting is the business calendar and its settings version.
type CalendarSetting struct {
	Calendar calendar.Calendar
	Version  int
	// Recomputed counts the open clocks an update moved.
	Recomputed int
}

// settingsCache keeps the settings a ticket creation reads for a second:
// creates must not pay three queries, and a change made on another replica
// shows within that second.
type settingsCache struct {
	mu       sync.Mutex
	loadedAt time.Time
	calendar CalendarSetting
	policies ResponsePolicies
	mapping  ProcedureMapping
	// published maps each procedure code to its published version id.
	published map[string]string
}

const settingsCacheTTL = time.Second

func (c *settingsCache) forget() {
	c.mu.Lock()
	c.loadedAt = time.Time{}
	c.mu.Unlock()
}

// publishedID returns the cached id of the code's published version.
func (s *Store) publishedID(code string) (string, bool) {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	id, ok := s.cache.published[code]
	return id, ok
}

// loadSetting decodes a setting into v; a missing row leaves v as it is
// (the default) with version 0.
func loadSetting(ctx context.Context, db bun.IDB, key string, v any) (int, error) {
	var row settingRow
	err := db.NewSelect().Model(&row).Where("key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("load setting %s: %w", key, err)
	}
	if err := json.Unmarshal([]byte(row.Value), v); err != nil {
		return 0, fmt.Errorf("decode setting %s: %w", key, err)
	}
	return row.Version, nil
}

// saveSetting writes a setting when ifMatch is its current version (0 for
// a setting never written) and returns the new version.
func saveSetting(ctx context.Context, tx *Tx, key string, ifMatch int, v any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	var current settingRow
	err = tx.NewSelect().Model(&current).Where("key = ?", key).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("load setting %s: %w", key, err)
	}
	if current.Version != ifMatch {
		return 0, stale(current.Version)
	}
	row := settingRow{Key: key, Value: string(b), Version: ifMatch + 1, UpdatedAt: tx.Now}
	_, err = tx.NewInsert().Model(&row).On("CONFLICT (key) DO UPDATE").
		Set("value = EXCLUDED.value, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("save setting %s: %w", key, err)
	}
	return row.Version, nil
}

// seedSettings writes the defaults of the settings never written, so that
// their first version is 1 (an ETag a client can send back).
func (s *Store) seedSettings(ctx context.Context) error {
	defaults := map[string]any{settingCalendar: calendar.Default(), settingPolicies: defaultPolicies(),
		settingMapping: procedure.DefaultMapping(), settingReception: defaultReception()}
	return s.inTx(ctx, func(tx *Tx) error {
		for key, v := range defaults {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			row := settingRow{Key: key, Value: string(b), Version: 1, UpdatedAt: tx.Now}
			if _, err := tx.NewInsert().Model(&row).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("seed setting %s: %w", key, err)
			}
		}
		return nil
	})
}

// settings returns the cached calendar, policies and mapping. It never
// holds its lock while it queries: a caller that holds a connection must
// not wait on one that waits for a connection.
func (s *Store) settings(ctx context.Context) (CalendarSetting, ResponsePolicies, ProcedureMapping, error) {
	c := &s.cache
	c.mu.Lock()
	fresh := time.Since(c.loadedAt) <= settingsCacheTTL
	cal, pol, mapping := c.calendar, c.policies, c.mapping
	c.mu.Unlock()
	if fresh {
		return cal, pol, mapping, nil
	}
	cal, pol, mapping, err := s.loadSettings(ctx, s.db.read)
	if err != nil {
		return cal, pol, mapping, err
	}
	var rows []procedureRow
	if err := s.db.read.NewSelect().Model(&rows).Column("id", "code").Where("status = ?", guichet.ProcedurePublished).Scan(ctx); err != nil {
		return cal, pol, mapping, err
	}
	published := make(map[string]string, len(rows))
	for _, r := range rows {
		published[r.Code] = r.ID
	}
	c.mu.Lock()
	c.calendar, c.policies, c.mapping, c.published, c.loadedAt = cal, pol, mapping, published, time.Now()
	c.mu.Unlock()
	return cal, pol, mapping, nil
}

func (s *Store) loadSettings(ctx context.Context, db bun.IDB) (CalendarSetting, ResponsePolicies, ProcedureMapping, error) {
	cal := CalendarSetting{Calendar: calendar.Default()}
	pol := defaultPolicies()
	mapping := ProcedureMapping{Mapping: procedure.DefaultMapping()}
	// Each stored setting replaces its default whole: decoding into the
	// default would merge maps (a channel removed would stay).
	var storedCal calendar.Calendar
	var storedPol ResponsePolicies
	var storedMap map[guichet.Category]string
	v, err := loadSetting(ctx, db, settingCalendar, &storedCal)
	if err != nil {
		return cal, pol, mapping, err
	}
	if v > 0 {
		cal = CalendarSetting{Calendar: storedCal, Version: v}
	}
	cal.Calendar.Version = strconv.Itoa(max(cal.Version, 1))
	if v, err = loadSetting(ctx, db, settingPolicies, &storedPol); err != nil {
		return cal, pol, mapping, err
	}
	if v > 0 {
		pol, pol.Version = storedPol, v
		if pol.Channels == nil {
			pol.Channels = map[guichet.Channel]calendar.Policy{}
		}
		if pol.Procedures == nil {
			pol.Procedures = map[string]map[guichet.Channel]calendar.Policy{}
		}
	}
	if v, err = loadSetting(ctx, db, settingMapping, &storedMap); err != nil {
		return cal, pol, mapping, err
	}
	if v > 0 {
		mapping = ProcedureMapping{Mapping: storedMap, Version: v}
	}
	return cal, pol, mapping, nil
}

var settingsWriters = []guichet.Role{guichet.RoleManager, guichet.RoleAdmin}

// Calendar returns the business calendar.
func (s *Store) Calendar(ctx context.Context) (CalendarSetting, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return CalendarSetting{}, err
	}
	cal, _, _, err := s.loadSettings(ctx, s.db.read)
	return cal, wrap("load calendar", err)
}

// PutCalendar replaces the calendar (managers, admins) and recomputes the
// due date of every open clock in the same transaction. EINVALID lists
// the calendar's problems.
func (s *Store) PutCalendar(ctx context.Context, ifMatch int, cal calendar.Calendar) (CalendarSetting, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeSettingsWrite, settingsWriters...); err != nil {
		return CalendarSetting{}, err
	}
	if err := cal.Validate(); err != nil {
		return CalendarSetting{}, calendarProblem(err)
	}
	out := CalendarSetting{Calendar: cal}
	err := s.inTx(ctx, func(tx *Tx) error {
		before, _, _, err := s.loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		if out.Version, err = saveSetting(ctx, tx, settingCalendar, ifMatch, cal); err != nil {
			return err
		}
		out.Calendar.Version = strconv.Itoa(out.Version)
		if out.Recomputed, err = recomputeOpenClocks(ctx, tx, out.Calendar); err != nil {
			return err
		}
		return audit(ctx, tx, "update", "calendar", "", before.Calendar, cal)
	})
	s.cache.forget()
	return out, wrap("update calendar", err)
}

func calendarProblem(err error) error {
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) {
		return guichet.Invalid("calendar", err.Error())
	}
	e := &guichet.Error{Code: guichet.EINVALID, Message: "invalid calendar: " + err.Error()}
	for _, p := range ve.Problems {
		e.Fields = append(e.Fields, guichet.FieldError{Field: "calendar", Message: p})
	}
	return e
}

// ResponsePolicies returns the response policies.
func (s *Store) ResponsePolicies(ctx context.Context) (ResponsePolicies, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return ResponsePolicies{}, err
	}
	_, pol, _, err := s.loadSettings(ctx, s.db.read)
	return pol, wrap("load response policies", err)
}

// PutResponsePolicies replaces the response policies (managers, admins);
// they apply to clocks opened from then on.
func (s *Store) PutResponsePolicies(ctx context.Context, ifMatch int, p ResponsePolicies) (ResponsePolicies, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeSettingsWrite, settingsWriters...); err != nil {
		return ResponsePolicies{}, err
	}
	if p.Procedures == nil {
		p.Procedures = map[string]map[guichet.Channel]calendar.Policy{}
	}
	err := s.inTx(ctx, func(tx *Tx) error {
		for code := range p.Procedures {
			if _, err := publishedVersion(ctx, tx, code); err != nil {
				return guichet.Invalid("procedures."+code, "no published procedure has this code")
			}
		}
		var err error
		if p.Version, err = saveSetting(ctx, tx, settingPolicies, ifMatch, p); err != nil {
			return err
		}
		return audit(ctx, tx, "update", "response_policies", "", nil, p)
	})
	s.cache.forget()
	return p, wrap("update response policies", err)
}

// ProcedureMapping returns which procedure each category follows.
func (s *Store) ProcedureMapping(ctx context.Context) (ProcedureMapping, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return ProcedureMapping{}, err
	}
	_, _, m, err := s.loadSettings(ctx, s.db.read)
	return m, wrap("load procedure mapping", err)
}

// PutProcedureMapping replaces the mapping (managers, admins). Every
// category must map to a procedure with a published version.
func (s *Store) PutProcedureMapping(ctx context.Context, ifMatch int, m map[guichet.Category]string) (ProcedureMapping, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeSettingsWrite, settingsWriters...); err != nil {
		return ProcedureMapping{}, err
	}
	out := ProcedureMapping{Mapping: m}
	err := s.inTx(ctx, func(tx *Tx) error {
		if err := checkMapping(ctx, tx, m); err != nil {
			return err
		}
		var err error
		if out.Version, err = saveSetting(ctx, tx, settingMapping, ifMatch, m); err != nil {
			return err
		}
		return audit(ctx, tx, "update", "procedure_mapping", "", nil, m)
	})
	s.cache.forget()
	return out, wrap("update procedure mapping", err)
}

func checkMapping(ctx context.Context, tx *Tx, m map[guichet.Category]string) error {
	e := &guichet.Error{Code: guichet.EINVALID, Message: "invalid procedure mapping"}
	for _, c := range guichet.Categories {
		if _, ok := m[c]; !ok {
			e.Fields = append(e.Fields, guichet.FieldError{Field: "mapping." + string(c), Message: "every category needs a procedure"})
		}
	}
	for c, code := range m {
		if !c.Valid() {
			e.Fields = append(e.Fields, guichet.FieldError{Field: "mapping." + string(c), Message: "unknown category"})
		} else if _, err := publishedVersion(ctx, tx, code); err != nil {
			e.Fields = append(e.Fields, guichet.FieldError{Field: "mapping." + string(c), Message: fmt.Sprintf("no published procedure %q", code)})
		}
	}
	if len(e.Fields) > 0 {
		return e
	}
	return nil
}
