package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func weekDays(w *api.OpeningWeek) map[time.Weekday]*[]api.OpeningInterval {
	return map[time.Weekday]*[]api.OpeningInterval{time.Monday: &w.Monday, time.Tuesday: &w.Tuesday,
		time.Wednesday: &w.Wednesday, time.Thursday: &w.Thursday, time.Friday: &w.Friday,
		time.Saturday: &w.Saturday, time.Sunday: &w.Sunday}
}

func calendarDTO(c store.CalendarSetting) api.BusinessCalendar {
	out := api.BusinessCalendar{Timezone: "Europe/Paris", WhitMondayWorked: c.Calendar.WhitMondayWorked,
		Regions: []string{}, Closures: []api.Closure{}, Version: c.Version}
	days := weekDays(&out.Week)
	for _, wd := range weekdays {
		list := []api.OpeningInterval{}
		for _, iv := range c.Calendar.Week[wd] {
			list = append(list, api.OpeningInterval{From: iv.From.String(), To: iv.To.String()})
		}
		*days[wd] = list
	}
	for _, r := range c.Calendar.Regions {
		out.Regions = append(out.Regions, string(r))
	}
	for _, cl := range c.Calendar.Closures {
		out.Closures = append(out.Closures, api.Closure{From: apiDate(cl.From), To: apiDate(cl.To), Name: optString(cl.Name)})
	}
	return out
}

// calendarFrom maps the API calendar to the domain's; bad times are
// EINVALID naming the day.
func calendarFrom(b *api.BusinessCalendarUpdate) (calendar.Calendar, error) {
	cal := calendar.Default()
	cal.WhitMondayWorked = boolOr(b.WhitMondayWorked, false)
	days := weekDays(&b.Week)
	for _, wd := range weekdays {
		cal.Week[wd] = nil
		for i, iv := range *days[wd] {
			var from, to calendar.TimeOfDay
			if from.UnmarshalText([]byte(iv.From)) != nil || to.UnmarshalText([]byte(iv.To)) != nil {
				return cal, guichet.Invalid(fmt.Sprintf("week.%s[%d]", strings.ToLower(wd.String()), i), "times are HH:MM, 00:00 to 24:00")
			}
			cal.Week[wd] = append(cal.Week[wd], calendar.Interval{From: from, To: to})
		}
	}
	if b.Regions != nil {
		for _, r := range *b.Regions {
			cal.Regions = append(cal.Regions, calendar.Region(r))
		}
	}
	if b.Closures != nil {
		for _, cl := range *b.Closures {
			cal.Closures = append(cal.Closures, calendar.Closure{From: domainDate(cl.From), To: domainDate(cl.To), Name: str(cl.Name)})
		}
	}
	return cal, nil
}

func apiDate(d calendar.Date) openapi_types.Date {
	return openapi_types.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)}
}

func domainDate(d openapi_types.Date) calendar.Date {
	return calendar.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
}

// GetCalendar returns the business calendar.
func (s *Server) GetCalendar(ctx context.Context, _ api.GetCalendarRequestObject) (api.GetCalendarResponseObject, error) {
	c, err := s.svc.Settings.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetCalendar200JSONResponse{Body: calendarDTO(c), Headers: api.GetCalendar200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// PutCalendar replaces the calendar and recomputes open due dates.
func (s *Server) PutCalendar(ctx context.Context, r api.PutCalendarRequestObject) (api.PutCalendarResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	cal, err := calendarFrom(r.Body)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Settings.PutCalendar(ctx, version, cal)
	if err != nil {
		return nil, err
	}
	out := calendarDTO(c)
	out.RecomputedClocks = &c.Recomputed
	return api.PutCalendar200JSONResponse{Body: out, Headers: api.PutCalendar200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// channelSlots maps each channel to its member of the contract's
// ChannelPolicies.
func channelSlots(c *api.ChannelPolicies) map[guichet.Channel]**api.Policy {
	return map[guichet.Channel]**api.Policy{guichet.ChannelPhone: &c.Phone, guichet.ChannelVoicemail: &c.Voicemail,
		guichet.ChannelEmail: &c.Email, guichet.ChannelLetter: &c.Letter, guichet.ChannelRegisteredLetter: &c.RegisteredLetter,
		guichet.ChannelVisit: &c.Visit, guichet.ChannelAPI: &c.Api}
}

func channelPoliciesDTO(m map[guichet.Channel]calendar.Policy) api.ChannelPolicies {
	var out api.ChannelPolicies
	slots := channelSlots(&out)
	for ch, p := range m {
		// The policy's JSON is the contract's Policy.
		var dto api.Policy
		if b, err := json.Marshal(p); err == nil && json.Unmarshal(b, &dto) == nil {
			*slots[ch] = &dto
		}
	}
	return out
}

func channelPoliciesFrom(path string, in api.ChannelPolicies) (map[guichet.Channel]calendar.Policy, error) {
	out := map[guichet.Channel]calendar.Policy{}
	for ch, slot := range channelSlots(&in) {
		p := *slot
		if p == nil {
			continue
		}
		b, _ := json.Marshal(p)
		var pol calendar.Policy
		if err := pol.UnmarshalJSON(b); err != nil {
			return nil, guichet.Invalid(path+"."+string(ch), err.Error())
		}
		if err := pol.Validate(); err != nil {
			return nil, guichet.Invalid(path+"."+string(ch), err.Error())
		}
		out[ch] = pol
	}
	return out, nil
}

func policiesDTO(p store.ResponsePolicies) api.ResponsePolicies {
	out := api.ResponsePolicies{Channels: channelPoliciesDTO(p.Channels), Procedures: map[string]api.ChannelPolicies{}, Version: p.Version}
	for code, m := range p.Procedures {
		out.Procedures[code] = channelPoliciesDTO(m)
	}
	return out
}

// GetResponsePolicies returns the response policies.
func (s *Server) GetResponsePolicies(ctx context.Context, _ api.GetResponsePoliciesRequestObject) (api.GetResponsePoliciesResponseObject, error) {
	p, err := s.svc.Settings.ResponsePolicies(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetResponsePolicies200JSONResponse{Body: policiesDTO(p), Headers: api.GetResponsePolicies200ResponseHeaders{ETag: etag(p.Version)}}, nil
}

// PutResponsePolicies replaces the response policies.
func (s *Server) PutResponsePolicies(ctx context.Context, r api.PutResponsePoliciesRequestObject) (api.PutResponsePoliciesResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	in := store.ResponsePolicies{Procedures: map[string]map[guichet.Channel]calendar.Policy{}}
	if in.Channels, err = channelPoliciesFrom("channels", r.Body.Channels); err != nil {
		return nil, err
	}
	if r.Body.Procedures != nil {
		for code, m := range *r.Body.Procedures {
			if in.Procedures[code], err = channelPoliciesFrom("procedures."+code, m); err != nil {
				return nil, err
			}
		}
	}
	p, err := s.svc.Settings.PutResponsePolicies(ctx, version, in)
	if err != nil {
		return nil, err
	}
	return api.PutResponsePolicies200JSONResponse{Body: policiesDTO(p), Headers: api.PutResponsePolicies200ResponseHeaders{ETag: etag(p.Version)}}, nil
}

func mappingDTO(m store.ProcedureMapping) api.ProcedureMapping {
	out := api.ProcedureMapping{Mapping: map[string]string{}, Version: m.Version}
	for c, code := range m.Mapping {
		out.Mapping[string(c)] = code
	}
	return out
}

// GetProcedureMapping returns the category → procedure mapping.
func (s *Server) GetProcedureMapping(ctx context.Context, _ api.GetProcedureMappingRequestObject) (api.GetProcedureMappingResponseObject, error) {
	m, err := s.svc.Settings.ProcedureMapping(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetProcedureMapping200JSONResponse{Body: mappingDTO(m), Headers: api.GetProcedureMapping200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// PutProcedureMapping replaces the mapping.
func (s *Server) PutProcedureMapping(ctx context.Context, r api.PutProcedureMappingRequestObject) (api.PutProcedureMappingResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	in := map[guichet.Category]string{}
	for c, code := range r.Body.Mapping {
		in[guichet.Category(c)] = code
	}
	m, err := s.svc.Settings.PutProcedureMapping(ctx, version, in)
	if err != nil {
		return nil, err
	}
	return api.PutProcedureMapping200JSONResponse{Body: mappingDTO(m), Headers: api.PutProcedureMapping200ResponseHeaders{ETag: etag(m.Version)}}, nil
}
