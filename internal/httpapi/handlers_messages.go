package httpapi

import (
	"context"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func messageDTO(m guichet.Message) api.Message {
	out := api.Message{Id: parseUUID(m.ID), From: api.MessageSender{Name: m.From.Name, Structure: optString(m.From.Structure),
		Phone: optString(m.From.Phone), Email: optString(m.From.Email)},
		ContactId: nullableUUID(m.ContactID), Reason: m.Reason, Urgency: api.Urgency(m.Urgency),
		RecipientAgentId: nullableUUID(m.RecipientAgentID), InteractionId: nullableUUID(m.InteractionID),
		TicketId: nullableUUID(m.TicketID), Status: api.MessageStatus(m.Status), RemindedAt: nullableTime(m.RemindedAt),
		EscalatedTo: nullableUUID(m.EscalatedTo), EscalatedAt: nullableTime(m.EscalatedAt),
		AcknowledgedBy: nullableUUID(m.AcknowledgedBy), AcknowledgedAt: nullableTime(m.AcknowledgedAt),
		CreatedBy: nullableUUID(m.CreatedBy), CreatedAt: m.CreatedAt}
	if m.RecipientRole != "" {
		role := api.Role(m.RecipientRole)
		out.RecipientRole = &role
	}
	return out
}

func messagePageDTO(p guichet.Page[guichet.Message], flagAbsence bool) api.MessagePage {
	out := api.MessagePage{Items: make([]api.Message, len(p.Items)), NextCursor: nullableString(p.NextCursor)}
	for i, m := range p.Items {
		out.Items[i] = messageDTO(m)
		if flagAbsence {
			during := m.ReceivedDuringAbsence
			out.Items[i].ReceivedDuringAbsence = &during
		}
	}
	return out
}

// ListMessages lists the message book; "me" by default.
func (s *Server) ListMessages(ctx context.Context, r api.ListMessagesRequestObject) (api.ListMessagesResponseObject, error) {
	p := r.Params
	f := guichet.MessageFilter{RecipientAgentID: uuidString(p.RecipientAgentId), RecipientRole: guichet.Role(enumString(p.RecipientRole)),
		ContactID: uuidString(p.ContactId), Status: guichet.MessageStatus(enumString(p.Status)),
		Urgency: guichet.Urgency(enumString(p.Urgency)), From: p.From, To: p.To, Page: pageRequest(p.Limit, p.Cursor)}
	f.Mine = f.RecipientAgentID == "" && f.RecipientRole == "" && enumString(p.Recipient) != string(api.ListMessagesParamsRecipientAll)
	page, err := s.svc.Messages.ListMessages(ctx, f)
	if err != nil {
		return nil, err
	}
	return api.ListMessages200JSONResponse(messagePageDTO(page, false)), nil
}

// CreateMessage takes a message for an agent or a role.
func (s *Server) CreateMessage(ctx context.Context, r api.CreateMessageRequestObject) (api.CreateMessageResponseObject, error) {
	b := r.Body
	in := guichet.Message{From: guichet.MessageSender{Name: b.From.Name, Structure: str(b.From.Structure),
		Phone: str(b.From.Phone), Email: emailString(b.From.Email)},
		ContactID: uuidString(b.ContactId), Reason: b.Reason, Urgency: guichet.Urgency(enumString(b.Urgency)),
		RecipientAgentID: uuidString(b.RecipientAgentId), RecipientRole: guichet.Role(enumString(b.RecipientRole)),
		InteractionID: uuidString(b.InteractionId), TicketID: uuidString(b.TicketId)}
	m, err := s.svc.Messages.CreateMessage(ctx, in)
	if err != nil {
		return nil, err
	}
	loc := "/messages/" + m.ID
	return api.CreateMessage201JSONResponse{Body: messageDTO(m), Headers: api.CreateMessage201ResponseHeaders{Location: &loc}}, nil
}

// GetMessage reads a message.
func (s *Server) GetMessage(ctx context.Context, r api.GetMessageRequestObject) (api.GetMessageResponseObject, error) {
	m, err := s.svc.Messages.GetMessage(ctx, r.MessageId.String())
	if err != nil {
		return nil, err
	}
	return api.GetMessage200JSONResponse(messageDTO(m)), nil
}

// AcknowledgeMessage records that the recipient took the message.
func (s *Server) AcknowledgeMessage(ctx context.Context, r api.AcknowledgeMessageRequestObject) (api.AcknowledgeMessageResponseObject, error) {
	m, err := s.svc.Messages.AcknowledgeMessage(ctx, r.MessageId.String())
	if err != nil {
		return nil, err
	}
	return api.AcknowledgeMessage200JSONResponse(messageDTO(m)), nil
}

// ListMyMessages lists the caller's pending messages, those received
// during their last absence first.
func (s *Server) ListMyMessages(ctx context.Context, r api.ListMyMessagesRequestObject) (api.ListMyMessagesResponseObject, error) {
	page, err := s.svc.Messages.MyMessages(ctx, pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListMyMessages200JSONResponse(messagePageDTO(page, true)), nil
}
