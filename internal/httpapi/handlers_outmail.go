package httpapi

import (
	"context"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// SendEmailReply records an agent's reply and queues its mail.
func (s *Server) SendEmailReply(ctx context.Context, r api.SendEmailReplyRequestObject) (api.SendEmailReplyResponseObject, error) {
	b := r.Body
	in := guichet.EmailReply{Text: b.Text, AttachmentIDs: uuidStrings(b.AttachmentIds), MailboxID: uuidString(b.MailboxId)}
	if b.Cc != nil {
		for _, e := range *b.Cc {
			in.Cc = append(in.Cc, string(e))
		}
	}
	m, err := s.svc.OutMail.SendEmailReply(ctx, r.TicketId, in)
	if err != nil {
		return nil, err
	}
	return api.SendEmailReply202JSONResponse(outgoingMailDTO(m)), nil
}

// ListOutgoingMails pages the mail sent about a ticket.
func (s *Server) ListOutgoingMails(ctx context.Context, r api.ListOutgoingMailsRequestObject) (api.ListOutgoingMailsResponseObject, error) {
	page, err := s.svc.OutMail.ListOutgoingMails(ctx, r.TicketId, pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.OutgoingMailPage{Items: make([]api.OutgoingMail, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, m := range page.Items {
		out.Items = append(out.Items, outgoingMailDTO(m))
	}
	return api.ListOutgoingMails200JSONResponse(out), nil
}

// ForwardMailItem forwards a queue item's mail.
func (s *Server) ForwardMailItem(ctx context.Context, r api.ForwardMailItemRequestObject) (api.ForwardMailItemResponseObject, error) {
	in := guichet.MailForward{To: string(r.Body.To)}
	if r.Body.Note != nil {
		in.Note = *r.Body.Note
	}
	m, err := s.svc.OutMail.ForwardMailItem(ctx, r.MailItemId.String(), in)
	if err != nil {
		return nil, err
	}
	return api.ForwardMailItem202JSONResponse(outgoingMailDTO(m)), nil
}

func outgoingMailDTO(m guichet.OutgoingMail) api.OutgoingMail {
	rcpts := m.Recipients
	if rcpts == nil {
		rcpts = []string{}
	}
	return api.OutgoingMail{Id: parseUUID(m.ID), Kind: api.OutgoingMailKind(m.Kind), MailboxId: parseUUID(m.MailboxID),
		TicketId: nullableUUID(m.TicketID), NotificationId: nullableUUID(m.NotificationID), MailItemId: nullableUUID(m.MailItemID),
		AuthorId: nullableUUID(m.AuthorID), From: m.From, Recipients: rcpts, Subject: m.Subject, MessageId: m.MessageID,
		Status: api.OutgoingMailStatus(m.Status), Reason: nullableString(m.Reason), Attempts: m.Attempts,
		LastError: nullableString(m.LastError), SentAt: nullableTime(m.SentAt),
		SentFolderState: api.OutgoingMailSentFolderState(m.SentFolderState), SentFolderError: nullableString(m.SentFolderError),
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}
