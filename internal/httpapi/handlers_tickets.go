package httpapi

import (
	"context"
	"encoding/json"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func ticketDTO(t guichet.Ticket, now time.Time) api.Ticket {
	out := api.Ticket{Id: parseUUID(t.ID), Number: t.Number, Subject: t.Subject, Description: optString(t.Description),
		Channel: api.Channel(t.Channel), Category: api.Category(t.Category), Urgency: api.Urgency(t.Urgency),
		Level: t.Level, Status: api.TicketStatus(t.Status), State: t.State,
		Procedure:  api.ProcedureRef{Code: t.Procedure.Code, Version: t.Procedure.Version},
		AssigneeId: nullableUUID(t.AssigneeID), ContactId: nullableUUID(t.ContactID), OrganisationId: nullableUUID(t.OrganisationID),
		FileReference: optString(t.FileReference), Tags: t.Tags, Links: []api.TicketLink{}, ExternalLinks: []api.ExternalLink{},
		DueAt: nullableTime(t.DueAt), Overdue: t.Overdue(now), AwaitingRegisteredReply: t.AwaitingRegisteredReply,
		ReceivedAt: t.ReceivedAt, MergedIntoId: nullableUUID(t.MergedIntoID), CreatedBy: nullableUUID(t.CreatedBy),
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ClosedAt: nullableTime(t.ClosedAt),
		RequestedByIntervenantId: nullableUUID(t.RequestedByIntervenantID)}
	if t.Works != nil {
		out.Works = &api.TicketWorks{IntervenantId: parseUUID(t.Works.IntervenantID), ExternalProject: t.Works.ExternalProject}
	}
	for _, l := range t.Links {
		out.Links = append(out.Links, api.TicketLink{TicketId: parseUUID(l.TicketID), Number: l.Number, Relation: api.TicketLinkRelation(l.Relation)})
	}
	for _, l := range t.ExternalLinks {
		out.ExternalLinks = append(out.ExternalLinks, api.ExternalLink{System: l.System, Id: l.ID, Url: optString(l.URL)})
	}
	if t.Clocks != nil {
		clocks := make([]api.Clock, len(t.Clocks))
		for i, c := range t.Clocks {
			clocks[i] = clockDTO(c)
		}
		out.Clocks = &clocks
	}
	if t.DevTickets != nil {
		devs := make([]api.DevTicket, len(t.DevTickets))
		for i, d := range t.DevTickets {
			devs[i] = api.DevTicket{Id: parseUUID(d.ID), Title: d.Title, Description: d.Description,
				ReproductionSteps: d.ReproductionSteps, Environment: d.Environment, ObservedResults: d.ObservedResults,
				ExpectedResults: d.ExpectedResults, Urgency: api.Urgency(d.Urgency), DeveloperId: parseUUID(d.DeveloperID),
				DueAt: d.DueAt, Status: api.DevTicketStatus(d.Status), CreatedAt: d.CreatedAt, DoneAt: nullableTime(d.DoneAt)}
		}
		out.DevTickets = &devs
	}
	return out
}

func clockDTO(c guichet.Clock) api.Clock {
	out := api.Clock{Id: parseUUID(c.ID), Kind: c.Kind, StartedAt: c.StartedAt, DueAt: nullableTime(c.DueAt),
		ClosedAt: nullableTime(c.ClosedAt), Explanation: jsonObject(c.Explanation)}
	out.Paused = c.DueAt == nil && c.ClosedAt == nil
	if c.Channel != "" {
		out.Channel.Set(api.ClockChannel(c.Channel))
	}
	return out
}

// jsonObject decodes a stored JSON object for a free-form response member.
func jsonObject(b []byte) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}

func eventDTO(e guichet.TimelineEvent) api.TimelineEvent {
	return api.TimelineEvent{Id: parseUUID(e.ID), Kind: api.TimelineEventKind(e.Kind), Internal: e.Internal,
		ActorId: nullableUUID(e.ActorID), Body: e.Body, Data: jsonObject(e.Data), CreatedAt: e.CreatedAt}
}

func links(in *[]api.ExternalLink) []guichet.Link {
	if in == nil {
		return nil
	}
	out := make([]guichet.Link, len(*in))
	for i, l := range *in {
		out[i] = guichet.Link{System: l.System, ID: l.Id, URL: str(l.Url)}
	}
	return out
}

func docLinks(in *[]api.DocumentationLink) []guichet.Link {
	if in == nil {
		return nil
	}
	out := make([]guichet.Link, len(*in))
	for i, l := range *in {
		out[i] = guichet.Link{Title: str(l.Title), URL: l.Url}
	}
	return out
}

func uuidStrings(list *[]openapi_types.UUID) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(*list))
	for i, u := range *list {
		out[i] = u.String()
	}
	return out
}

func uuidString(u *openapi_types.UUID) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// ListTickets lists or searches tickets.
func (s *Server) ListTickets(ctx context.Context, r api.ListTicketsRequestObject) (api.ListTicketsResponseObject, error) {
	p := r.Params
	f := guichet.TicketFilter{Query: str(p.Q), Status: guichet.Status(enumString(p.Status)), State: str(p.State),
		Channel: guichet.Channel(enumString(p.Channel)), Category: guichet.Category(enumString(p.Category)),
		AssigneeID: uuidString(p.AssigneeId), ContactID: uuidString(p.ContactId), OrganisationID: uuidString(p.OrganisationId),
		Overdue: p.Overdue, DueBefore: p.DueBefore, Sort: enumString(p.Sort), Page: pageRequest(p.Limit, p.Cursor)}
	if p.Level != nil {
		f.Level = *p.Level
	}
	page, err := s.svc.Tickets.ListTickets(ctx, f)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := api.TicketPage{Items: make([]api.Ticket, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, t := range page.Items {
		out.Items = append(out.Items, ticketDTO(t, now))
	}
	return api.ListTickets200JSONResponse(out), nil
}

// CreateTicket opens a ticket.
func (s *Server) CreateTicket(ctx context.Context, r api.CreateTicketRequestObject) (api.CreateTicketResponseObject, error) {
	b := r.Body
	in := guichet.TicketCreate{Subject: b.Subject, Description: str(b.Description), Channel: guichet.Channel(b.Channel),
		Category: guichet.Category(b.Category), Urgency: guichet.Urgency(enumString(b.Urgency)),
		AssigneeID: uuidString(b.AssigneeId), ContactID: uuidString(b.ContactId), OrganisationID: uuidString(b.OrganisationId),
		FileReference: str(b.FileReference), ExternalLinks: links(b.ExternalLinks), ReceivedAt: b.ReceivedAt,
		NeedsAnswer: b.NeedsAnswer, TrackingNumber: str(b.TrackingNumber), RequestedByIntervenantID: uuidString(b.RequestedByIntervenantId)}
	if b.Works != nil {
		in.Works = &guichet.TicketWorks{IntervenantID: b.Works.IntervenantId.String(), ExternalProject: str(b.Works.ExternalProject)}
	}
	if b.Tags != nil {
		in.Tags = *b.Tags
	}
	if b.Links != nil {
		for _, l := range *b.Links {
			in.Related = append(in.Related, l.TicketId)
		}
	}
	t, err := s.svc.Tickets.CreateTicket(ctx, in)
	if err != nil {
		return nil, err
	}
	loc := "/tickets/" + t.ID
	return api.CreateTicket201JSONResponse{Body: ticketDTO(t, time.Now()),
		Headers: api.CreateTicket201ResponseHeaders{ETag: etag(t.Version), Location: &loc}}, nil
}

// GetTicket reads a ticket.
func (s *Server) GetTicket(ctx context.Context, r api.GetTicketRequestObject) (api.GetTicketResponseObject, error) {
	t, err := s.svc.Tickets.GetTicket(ctx, r.TicketId)
	if err != nil {
		return nil, err
	}
	return api.GetTicket200JSONResponse{Body: ticketDTO(t, time.Now()), Headers: api.GetTicket200ResponseHeaders{ETag: etag(t.Version)}}, nil
}

// UpdateTicket changes a ticket.
func (s *Server) UpdateTicket(ctx context.Context, r api.UpdateTicketRequestObject) (api.UpdateTicketResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := guichet.TicketUpdate{Subject: b.Subject, Description: b.Description, AssigneeID: patchUUID(b.AssigneeId),
		ContactID: patchUUID(b.ContactId), OrganisationID: patchUUID(b.OrganisationId), FileReference: patchString(b.FileReference),
		Tags: b.Tags}
	if b.Category != nil {
		c := guichet.Category(*b.Category)
		in.Category = &c
	}
	if b.Urgency != nil {
		u := guichet.Urgency(*b.Urgency)
		in.Urgency = &u
	}
	if b.ExternalLinks != nil {
		l := links(b.ExternalLinks)
		in.ExternalLinks = &l
	}
	t, err := s.svc.Tickets.UpdateTicket(ctx, r.TicketId, version, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateTicket200JSONResponse{Body: ticketDTO(t, time.Now()), Headers: api.UpdateTicket200ResponseHeaders{ETag: etag(t.Version)}}, nil
}

// GetTicketTimeline pages a ticket's timeline.
func (s *Server) GetTicketTimeline(ctx context.Context, r api.GetTicketTimelineRequestObject) (api.GetTicketTimelineResponseObject, error) {
	page, err := s.svc.Tickets.Timeline(ctx, r.TicketId, pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.TimelinePage{Items: make([]api.TimelineEvent, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, e := range page.Items {
		out.Items = append(out.Items, eventDTO(e))
	}
	return api.GetTicketTimeline200JSONResponse(out), nil
}

// AddTicketNote adds an internal note.
func (s *Server) AddTicketNote(ctx context.Context, r api.AddTicketNoteRequestObject) (api.AddTicketNoteResponseObject, error) {
	e, err := s.svc.Tickets.AddNote(ctx, r.TicketId, r.Body.Body)
	if err != nil {
		return nil, err
	}
	return api.AddTicketNote201JSONResponse(eventDTO(e)), nil
}

// AddTicketReply records a reply to the client.
func (s *Server) AddTicketReply(ctx context.Context, r api.AddTicketReplyRequestObject) (api.AddTicketReplyResponseObject, error) {
	b := r.Body
	e, err := s.svc.Tickets.AddReply(ctx, r.TicketId, guichet.Reply{Channel: guichet.Channel(b.Channel), Body: b.Body,
		SentAt: b.SentAt, TrackingNumber: str(b.TrackingNumber), FileReference: str(b.FileReference),
		DocumentationLinks: docLinks(b.DocumentationLinks), AttachmentIDs: uuidStrings(b.AttachmentIds)})
	if err != nil {
		return nil, err
	}
	return api.AddTicketReply201JSONResponse(eventDTO(e)), nil
}

// AddClientMessage records a message from the client.
func (s *Server) AddClientMessage(ctx context.Context, r api.AddClientMessageRequestObject) (api.AddClientMessageResponseObject, error) {
	b := r.Body
	e, err := s.svc.Tickets.AddClientMessage(ctx, r.TicketId, guichet.ClientMessage{Channel: guichet.Channel(b.Channel),
		Body: b.Body, ReceivedAt: b.ReceivedAt, NeedsAnswer: b.NeedsAnswer, TrackingNumber: str(b.TrackingNumber)})
	if err != nil {
		return nil, err
	}
	return api.AddClientMessage201JSONResponse(eventDTO(e)), nil
}

// ListTicketTransitions says what the caller may do next.
func (s *Server) ListTicketTransitions(ctx context.Context, r api.ListTicketTransitionsRequestObject) (api.ListTicketTransitionsResponseObject, error) {
	opts, err := s.svc.Tickets.Transitions(ctx, r.TicketId)
	if err != nil {
		return nil, err
	}
	out := api.TransitionList{State: opts.State, Procedure: api.ProcedureRef{Code: opts.Procedure.Code, Version: opts.Procedure.Version},
		Transitions: make([]api.AvailableTransition, 0, len(opts.Transitions))}
	for _, t := range opts.Transitions {
		at := api.AvailableTransition{Name: t.Name, Title: t.Title, To: nullableString(t.To), Fields: make([]api.TransitionField, 0, len(t.Fields))}
		for _, f := range t.Fields {
			at.Fields = append(at.Fields, api.TransitionField{Name: f.Name, Title: f.Title, Type: api.TransitionFieldType(f.Type), Required: f.Required})
		}
		out.Transitions = append(out.Transitions, at)
	}
	return api.ListTicketTransitions200JSONResponse{Body: out, Headers: api.ListTicketTransitions200ResponseHeaders{ETag: etag(opts.Version)}}, nil
}

// ApplyTicketTransition applies a procedure transition.
func (s *Server) ApplyTicketTransition(ctx context.Context, r api.ApplyTicketTransitionRequestObject) (api.ApplyTicketTransitionResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	in := guichet.TransitionRequest{Name: r.Body.Transition, Comment: str(r.Body.Comment)}
	if r.Body.Fields != nil {
		in.Fields = *r.Body.Fields
	}
	t, err := s.svc.Tickets.ApplyTransition(ctx, r.TicketId, version, in)
	if err != nil {
		return nil, err
	}
	return api.ApplyTicketTransition200JSONResponse{Body: ticketDTO(t, time.Now()),
		Headers: api.ApplyTicketTransition200ResponseHeaders{ETag: etag(t.Version)}}, nil
}

// ListClientNotifications lists the ticket's outbox.
func (s *Server) ListClientNotifications(ctx context.Context, r api.ListClientNotificationsRequestObject) (api.ListClientNotificationsResponseObject, error) {
	page, err := s.svc.Tickets.ClientNotifications(ctx, r.TicketId, pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.ClientNotificationPage{Items: make([]api.ClientNotification, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, n := range page.Items {
		out.Items = append(out.Items, api.ClientNotification{Id: parseUUID(n.ID), TicketId: parseUUID(n.TicketID),
			ContactId: nullableUUID(n.ContactID), Template: n.Template, Data: jsonObject(n.Data),
			Status: api.ClientNotificationStatus(n.Status), Reason: nullableString(n.Reason),
			OutgoingMailId: nullableUUID(n.OutboxID), CreatedAt: n.CreatedAt})
	}
	return api.ListClientNotifications200JSONResponse(out), nil
}

func agentNotificationDTO(n guichet.AgentNotification) api.AgentNotification {
	return api.AgentNotification{Id: parseUUID(n.ID), Kind: api.AgentNotificationKind(n.Kind), TicketId: nullableUUID(n.TicketID),
		Message: n.Message, Read: n.ReadAt != nil, ReadAt: nullableTime(n.ReadAt), CreatedAt: n.CreatedAt}
}

// ListMyNotifications lists the caller's notifications.
func (s *Server) ListMyNotifications(ctx context.Context, r api.ListMyNotificationsRequestObject) (api.ListMyNotificationsResponseObject, error) {
	page, err := s.svc.Tickets.MyNotifications(ctx, r.Params.Unread, pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.AgentNotificationPage{Items: make([]api.AgentNotification, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, n := range page.Items {
		out.Items = append(out.Items, agentNotificationDTO(n))
	}
	return api.ListMyNotifications200JSONResponse(out), nil
}

// MarkNotificationRead marks one of the caller's notifications read.
func (s *Server) MarkNotificationRead(ctx context.Context, r api.MarkNotificationReadRequestObject) (api.MarkNotificationReadResponseObject, error) {
	n, err := s.svc.Tickets.MarkNotificationRead(ctx, r.NotificationId.String())
	if err != nil {
		return nil, err
	}
	return api.MarkNotificationRead200JSONResponse(agentNotificationDTO(n)), nil
}

// MergeTicket merges a ticket into another.
func (s *Server) MergeTicket(ctx context.Context, r api.MergeTicketRequestObject) (api.MergeTicketResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.Tickets.MergeTicket(ctx, r.TicketId, version, r.Body.Into)
	if err != nil {
		return nil, err
	}
	return api.MergeTicket200JSONResponse{Body: ticketDTO(t, time.Now()), Headers: api.MergeTicket200ResponseHeaders{ETag: etag(t.Version)}}, nil
}

// SplitTicket opens a ticket for a second subject.
func (s *Server) SplitTicket(ctx context.Context, r api.SplitTicketRequestObject) (api.SplitTicketResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	in := guichet.TicketSplit{Subject: r.Body.Subject, Description: str(r.Body.Description), Category: guichet.Category(r.Body.Category)}
	if r.Body.EventIds != nil {
		for _, id := range *r.Body.EventIds {
			in.EventIDs = append(in.EventIDs, id.String())
		}
	}
	t, err := s.svc.Tickets.SplitTicket(ctx, r.TicketId, version, in)
	if err != nil {
		return nil, err
	}
	loc := "/tickets/" + t.ID
	return api.SplitTicket201JSONResponse{Body: ticketDTO(t, time.Now()),
		Headers: api.SplitTicket201ResponseHeaders{ETag: etag(t.Version), Location: &loc}}, nil
}
