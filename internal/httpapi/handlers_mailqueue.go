package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// The mail queue's operations: each action takes the item's ETag in
// If-Match and answers the item with its new one.

// GetMailItem reads a queue item.
func (s *Server) GetMailItem(ctx context.Context, r api.GetMailItemRequestObject) (api.GetMailItemResponseObject, error) {
	d, err := s.svc.MailQueue.GetMailItem(ctx, r.MailItemId.String())
	if err != nil {
		return nil, err
	}
	return api.GetMailItem200JSONResponse{Body: mailItemDetailDTO(d), Headers: api.GetMailItem200ResponseHeaders{ETag: etag(d.Version)}}, nil
}

// ClaimMailItem takes a queue item.
func (s *Server) ClaimMailItem(ctx context.Context, r api.ClaimMailItemRequestObject) (api.ClaimMailItemResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.MailQueue.ClaimMailItem(ctx, r.MailItemId.String(), version)
	if err != nil {
		return nil, err
	}
	return api.ClaimMailItem200JSONResponse{Body: mailItemDetailDTO(d), Headers: api.ClaimMailItem200ResponseHeaders{ETag: etag(d.Version)}}, nil
}

// ReleaseMailItem gives a claimed item back to the queue.
func (s *Server) ReleaseMailItem(ctx context.Context, r api.ReleaseMailItemRequestObject) (api.ReleaseMailItemResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.MailQueue.ReleaseMailItem(ctx, r.MailItemId.String(), version)
	if err != nil {
		return nil, err
	}
	return api.ReleaseMailItem200JSONResponse{Body: mailItemDetailDTO(d), Headers: api.ReleaseMailItem200ResponseHeaders{ETag: etag(d.Version)}}, nil
}

// ProcessMailItem processes an item, removing it from the queue.
func (s *Server) ProcessMailItem(ctx context.Context, r api.ProcessMailItemRequestObject) (api.ProcessMailItemResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.MailQueue.ProcessMailItem(ctx, r.MailItemId.String(), version, mailProcessing(r.Body))
	if err != nil {
		return nil, err
	}
	return api.ProcessMailItem200JSONResponse{Body: mailItemDetailDTO(d), Headers: api.ProcessMailItem200ResponseHeaders{ETag: etag(d.Version)}}, nil
}

func mailProcessing(b *api.MailItemProcessing) guichet.MailProcessing {
	in := guichet.MailProcessing{CloseReason: str(b.CloseReason), Note: str(b.Note), KeepTicket: b.KeepTicket != nil && bool(*b.KeepTicket)}
	if b.TicketIds != nil {
		for _, id := range *b.TicketIds {
			in.TicketIDs = append(in.TicketIDs, id.String())
		}
	}
	if b.NewTickets != nil {
		for _, t := range *b.NewTickets {
			in.NewTickets = append(in.NewTickets, guichet.MailNewTicket{Subject: t.Subject,
				Category: guichet.Category(enumString(t.Category)), Description: str(t.Description)})
		}
	}
	return in
}

// ReassignMailItem gives an item to another agent.
func (s *Server) ReassignMailItem(ctx context.Context, r api.ReassignMailItemRequestObject) (api.ReassignMailItemResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.MailQueue.ReassignMailItem(ctx, r.MailItemId.String(), version, r.Body.AgentId.String())
	if err != nil {
		return nil, err
	}
	return api.ReassignMailItem200JSONResponse{Body: mailItemDetailDTO(d), Headers: api.ReassignMailItem200ResponseHeaders{ETag: etag(d.Version)}}, nil
}

// MoveMailItem moves an item to another shared mailbox's queue.
func (s *Server) MoveMailItem(ctx context.Context, r api.MoveMailItemRequestObject) (api.MoveMailItemResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.MailQueue.MoveMailItem(ctx, r.MailItemId.String(), version, r.Body.MailboxId.String())
	if err != nil {
		return nil, err
	}
	return api.MoveMailItem200JSONResponse{Body: mailItemDetailDTO(d), Headers: api.MoveMailItem200ResponseHeaders{ETag: etag(d.Version)}}, nil
}

func mailItemDetailDTO(d guichet.MailItemDetail) api.MailItem {
	out := mailItemDTO(d.MailItem)
	out.ProcessedReason = nullableString(d.ProcessedReason)
	tickets := make([]api.MailItemTicket, 0, len(d.Tickets))
	for _, t := range d.Tickets {
		tickets = append(tickets, api.MailItemTicket{TicketId: parseUUID(t.TicketID), Number: t.Number,
			How: api.MailItemTicketHow(t.How), Note: t.Note})
	}
	out.Tickets = &tickets
	if a := d.Archive; a != nil {
		out.Archive = nullable.NewNullableWithValue(api.MailItemArchive{State: api.MailItemArchiveState(a.State),
			Error: nullableString(a.Error), ArchivedAt: nullableTime(a.ArchivedAt)})
	} else {
		out.Archive = nullable.NewNullNullable[api.MailItemArchive]()
	}
	return out
}
