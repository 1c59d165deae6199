package httpapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

// Reception holds the reception settings and says whether the reception
// is open.
type Reception interface {
	ReceptionSettings(ctx context.Context) (store.ReceptionView, error)
	PutReceptionSettings(ctx context.Context, ifMatch int, in store.ReceptionSettings) (store.ReceptionView, error)
	ReceptionStatus(ctx context.Context, at time.Time) (store.ReceptionStatus, error)
}

// weekDTO maps weekly intervals (indexed by time.Weekday) to the contract.
func weekDTO(week [7][]calendar.Interval) api.OpeningWeek {
	var out api.OpeningWeek
	days := weekDays(&out)
	for _, wd := range weekdays {
		list := []api.OpeningInterval{}
		for _, iv := range week[wd] {
			list = append(list, api.OpeningInterval{From: iv.From.String(), To: iv.To.String()})
		}
		*days[wd] = list
	}
	return out
}

// weekFrom maps the contract's week to intervals; bad times are EINVALID
// naming path and the day.
func weekFrom(path string, w api.OpeningWeek) ([7][]calendar.Interval, error) {
	var week [7][]calendar.Interval
	days := weekDays(&w)
	for _, wd := range weekdays {
		for i, iv := range *days[wd] {
			from, errFrom := calendar.ParseTimeOfDay(iv.From)
			to, errTo := calendar.ParseTimeOfDay(iv.To)
			if errFrom != nil || errTo != nil {
				return week, guichet.Invalid(fmt.Sprintf("%s.%s[%d]", path, strings.ToLower(wd.String()), i), "times are HH:MM, 00:00 to 24:00")
			}
			week[wd] = append(week[wd], calendar.Interval{From: from, To: to})
		}
	}
	return week, nil
}

func receptionDTO(v store.ReceptionView) api.ReceptionSettings {
	rs := v.Settings
	out := api.ReceptionSettings{PhoneSlots: weekDTO(rs.PhoneSlots), Greeting: rs.Greeting,
		Documents: make([]api.ReceptionDocument, len(rs.Documents)), RemindAfterMinutes: rs.RemindAfterMinutes,
		EscalateAfterMinutes: rs.EscalateAfterMinutes, MessageEscalation: map[string]openapi_types.UUID{},
		OpeningHours: weekDTO(v.Calendar.Week), Version: rs.Version}
	for i, d := range rs.Documents {
		out.Documents[i] = api.ReceptionDocument{Title: d.Title, Url: d.URL, Kind: api.ReceptionDocumentKind(d.Kind)}
		if d.UpdatedOn != nil {
			on := apiDate(*d.UpdatedOn)
			out.Documents[i].UpdatedOn = &on
		}
	}
	for role, id := range rs.MessageEscalation {
		out.MessageEscalation[string(role)] = parseUUID(id)
	}
	return out
}

// GetReceptionSettings returns the reception settings and opening hours.
func (s *Server) GetReceptionSettings(ctx context.Context, _ api.GetReceptionSettingsRequestObject) (api.GetReceptionSettingsResponseObject, error) {
	v, err := s.svc.Reception.ReceptionSettings(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetReceptionSettings200JSONResponse{Body: receptionDTO(v),
		Headers: api.GetReceptionSettings200ResponseHeaders{ETag: etag(v.Settings.Version)}}, nil
}

// PutReceptionSettings replaces the reception settings.
func (s *Server) PutReceptionSettings(ctx context.Context, r api.PutReceptionSettingsRequestObject) (api.PutReceptionSettingsResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := store.ReceptionSettings{Greeting: str(b.Greeting), RemindAfterMinutes: b.RemindAfterMinutes,
		EscalateAfterMinutes: b.EscalateAfterMinutes, MessageEscalation: map[guichet.Role]string{}}
	if in.PhoneSlots, err = weekFrom("phone_slots", b.PhoneSlots); err != nil {
		return nil, err
	}
	if b.Documents != nil {
		for _, d := range *b.Documents {
			doc := store.ReceptionDocument{Title: d.Title, URL: d.Url, Kind: string(d.Kind)}
			if d.UpdatedOn != nil {
				on := domainDate(*d.UpdatedOn)
				doc.UpdatedOn = &on
			}
			in.Documents = append(in.Documents, doc)
		}
	}
	if b.MessageEscalation != nil {
		for role, id := range *b.MessageEscalation {
			in.MessageEscalation[guichet.Role(role)] = id.String()
		}
	}
	v, err := s.svc.Reception.PutReceptionSettings(ctx, version, in)
	if err != nil {
		return nil, err
	}
	return api.PutReceptionSettings200JSONResponse{Body: receptionDTO(v),
		Headers: api.PutReceptionSettings200ResponseHeaders{ETag: etag(v.Settings.Version)}}, nil
}

func openingDTO(o store.Opening) api.ReceptionOpening {
	return api.ReceptionOpening{Open: o.Open, ClosesAt: nullableTime(o.ClosesAt), OpensAt: nullableTime(o.OpensAt),
		ClosedReason: nullableString(o.ClosedReason)}
}

// GetReceptionStatus says whether the phone reception and the premises
// are open.
func (s *Server) GetReceptionStatus(ctx context.Context, r api.GetReceptionStatusRequestObject) (api.GetReceptionStatusResponseObject, error) {
	var at time.Time
	if r.Params.At != nil {
		at = *r.Params.At
	}
	st, err := s.svc.Reception.ReceptionStatus(ctx, at)
	if err != nil {
		return nil, err
	}
	return api.GetReceptionStatus200JSONResponse{At: st.At, Phone: openingDTO(st.Phone), Premises: openingDTO(st.Premises)}, nil
}
