package httpapi

import (
	"context"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func appointmentDTO(a guichet.Appointment) api.Appointment {
	return api.Appointment{Id: parseUUID(a.ID), ContactId: parseUUID(a.ContactID), AgentId: parseUUID(a.AgentID),
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, Reason: optString(a.Reason), Location: optString(a.Location),
		Notes: optString(a.Notes), TicketId: nullableUUID(a.TicketID), Status: api.AppointmentStatus(a.Status),
		PreparedBy: nullableUUID(a.PreparedBy), PreparedAt: nullableTime(a.PreparedAt), VisitId: nullableUUID(a.VisitID),
		OutsideOpeningHours: a.OutsideOpeningHours, CreatedBy: nullableUUID(a.CreatedBy), Version: a.Version,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// ListAppointments lists the planning by start.
func (s *Server) ListAppointments(ctx context.Context, r api.ListAppointmentsRequestObject) (api.ListAppointmentsResponseObject, error) {
	p := r.Params
	page, err := s.svc.Appointments.ListAppointments(ctx, guichet.AppointmentFilter{AgentID: uuidString(p.AgentId),
		ContactID: uuidString(p.ContactId), Status: guichet.AppointmentStatus(enumString(p.Status)),
		From: p.From, To: p.To, Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.AppointmentPage{Items: make([]api.Appointment, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for i, a := range page.Items {
		out.Items[i] = appointmentDTO(a)
	}
	return api.ListAppointments200JSONResponse(out), nil
}

// CreateAppointment plans an appointment; overlaps are 409.
func (s *Server) CreateAppointment(ctx context.Context, r api.CreateAppointmentRequestObject) (api.CreateAppointmentResponseObject, error) {
	b := r.Body
	a, err := s.svc.Appointments.CreateAppointment(ctx, guichet.Appointment{ContactID: b.ContactId.String(),
		AgentID: uuidString(b.AgentId), StartsAt: b.StartsAt, EndsAt: b.EndsAt, Reason: str(b.Reason),
		Location: str(b.Location), Notes: str(b.Notes), TicketID: uuidString(b.TicketId)})
	if err != nil {
		return nil, err
	}
	loc := "/appointments/" + a.ID
	return api.CreateAppointment201JSONResponse{Body: appointmentDTO(a),
		Headers: api.CreateAppointment201ResponseHeaders{ETag: etag(a.Version), Location: &loc}}, nil
}

// GetAppointment reads an appointment.
func (s *Server) GetAppointment(ctx context.Context, r api.GetAppointmentRequestObject) (api.GetAppointmentResponseObject, error) {
	a, err := s.svc.Appointments.GetAppointment(ctx, r.AppointmentId.String())
	if err != nil {
		return nil, err
	}
	return api.GetAppointment200JSONResponse{Body: appointmentDTO(a), Headers: api.GetAppointment200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// UpdateAppointment moves, reassigns, completes or cancels an appointment.
func (s *Server) UpdateAppointment(ctx context.Context, r api.UpdateAppointmentRequestObject) (api.UpdateAppointmentResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := guichet.AppointmentUpdate{StartsAt: b.StartsAt, EndsAt: b.EndsAt, Reason: patchString(b.Reason),
		Location: patchString(b.Location), Notes: patchString(b.Notes), TicketID: patchUUID(b.TicketId)}
	if b.ContactId != nil {
		id := b.ContactId.String()
		in.ContactID = &id
	}
	if b.AgentId != nil {
		id := b.AgentId.String()
		in.AgentID = &id
	}
	if b.Status != nil {
		st := guichet.AppointmentStatus(*b.Status)
		in.Status = &st
	}
	a, err := s.svc.Appointments.UpdateAppointment(ctx, r.AppointmentId.String(), version, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateAppointment200JSONResponse{Body: appointmentDTO(a), Headers: api.UpdateAppointment200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// GetAppointmentPreparation returns the client's file and records that the
// caller read it.
func (s *Server) GetAppointmentPreparation(ctx context.Context, r api.GetAppointmentPreparationRequestObject) (api.GetAppointmentPreparationResponseObject, error) {
	p, err := s.svc.Appointments.PrepareAppointment(ctx, r.AppointmentId.String())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := api.AppointmentPreparation{Appointment: appointmentDTO(p.Appointment), Contact: contactDTO(p.Contact),
		OpenTickets: make([]api.Ticket, len(p.OpenTickets)), PendingMessages: make([]api.Message, len(p.PendingMessages)),
		RecentInteractions: make([]api.Interaction, len(p.RecentInteractions))}
	for i, it := range p.RecentInteractions {
		out.RecentInteractions[i] = interactionDTO(it)
	}
	if p.Organisation != nil {
		o := organisationDTO(*p.Organisation)
		out.Organisation = &o
	}
	for i, t := range p.OpenTickets {
		out.OpenTickets[i] = ticketDTO(t, now)
	}
	for i, m := range p.PendingMessages {
		out.PendingMessages[i] = messageDTO(m)
	}
	return api.GetAppointmentPreparation200JSONResponse(out), nil
}
