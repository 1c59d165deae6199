package httpapi

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/oapi-codegen/nullable"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// FetchMailbox enqueues a fetch of the mailbox.
func (s *Server) FetchMailbox(ctx context.Context, r api.FetchMailboxRequestObject) (api.FetchMailboxResponseObject, error) {
	if err := s.svc.Mail.RequestFetch(ctx, r.MailboxId.String()); err != nil {
		return nil, err
	}
	return api.FetchMailbox202JSONResponse{MailboxId: r.MailboxId, Status: "enqueued"}, nil
}

// ListMailItems pages the mailbox's queue.
func (s *Server) ListMailItems(ctx context.Context, r api.ListMailItemsRequestObject) (api.ListMailItemsResponseObject, error) {
	p := r.Params
	page, err := s.svc.Mail.ListMailItems(ctx, r.MailboxId.String(), guichet.MailItemFilter{Status: enumString(p.Status),
		Quarantined: p.Quarantined, Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.MailItemPage{Items: make([]api.MailItem, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, it := range page.Items {
		out.Items = append(out.Items, mailItemDTO(it))
	}
	return api.ListMailItems200JSONResponse(out), nil
}

func mailItemDTO(it guichet.MailItem) api.MailItem {
	return api.MailItem{Id: parseUUID(it.ID), MailboxId: parseUUID(it.MailboxID), MessageId: parseUUID(it.MessageID),
		Status: api.MailItemStatus(it.Status), ReceivedAt: it.ReceivedAt, RoutingReason: it.RoutingReason,
		Quarantined: it.Quarantined, TicketId: nullableUUID(it.TicketID), From: mailAddress(it.From), Subject: it.Subject,
		Excerpt: it.Excerpt, ClaimedBy: nullableUUID(it.ClaimedBy), ClaimedAt: nullableTime(it.ClaimedAt),
		ProcessedBy: nullableUUID(it.ProcessedBy), ProcessedAt: nullableTime(it.ProcessedAt), Version: it.Version,
		CreatedAt: it.CreatedAt}
}

func mailAddress(a *guichet.MailAddress) nullable.Nullable[api.MailAddress] {
	if a == nil {
		return nullable.NewNullNullable[api.MailAddress]()
	}
	return nullable.NewNullableWithValue(api.MailAddress{Name: strPtr(a.Name), Email: a.Email})
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func mailAddresses(as []guichet.MailAddress) []api.MailAddress {
	out := make([]api.MailAddress, 0, len(as))
	for _, a := range as {
		out = append(out, api.MailAddress{Name: strPtr(a.Name), Email: a.Email})
	}
	return out
}

// GetMailMessage reads an ingested mail.
func (s *Server) GetMailMessage(ctx context.Context, r api.GetMailMessageRequestObject) (api.GetMailMessageResponseObject, error) {
	m, err := s.svc.Mail.GetMailMessage(ctx, r.MailMessageId.String())
	if err != nil {
		return nil, err
	}
	return api.GetMailMessage200JSONResponse(mailMessageDTO(m)), nil
}

func mailMessageDTO(m guichet.MailMessage) api.MailMessage {
	out := api.MailMessage{Id: parseUUID(m.ID), MessageId: m.MessageID, SyntheticId: m.SyntheticID,
		MailboxId: nullableUUID(m.MailboxID), Direction: api.MailMessageDirection(m.Direction),
		InReplyTo: nullableString(m.InReplyTo), References: m.References, Subject: m.Subject, From: mailAddress(m.From),
		To: mailAddresses(m.To), Cc: mailAddresses(m.Cc), SentAt: nullableTime(m.SentAt), ReceivedAt: m.ReceivedAt,
		Excerpt: m.Excerpt, Text: m.Text, Html: nullableString(m.HTML), Headers: m.Headers,
		Classification: api.MailClassification{AutoReply: m.AutoReply, AutoReplyReason: nullableString(m.AutoReplyReason),
			SuppressAutoResponse: m.SuppressAutoResp, Loop: m.Loop},
		BounceOfId: nullableUUID(m.BounceOfID), Backfill: m.Backfill, Warnings: m.Warnings, RawSize: m.RawSize,
		RawSha256: m.RawSHA256, RawHeaderOnly: m.RawHeaderOnly, ContactId: nullableUUID(m.ContactID),
		TicketId: nullableUUID(m.TicketID), RoutingReason: m.RoutingReason, CreatedAt: m.CreatedAt,
		Attachments: make([]api.MailAttachment, 0, len(m.Attachments))}
	if m.Bounce != nil {
		out.Bounce = nullable.NewNullableWithValue(m.Bounce)
	}
	if m.QuarantineReason != "" {
		out.QuarantineReason = nullable.NewNullableWithValue(api.MailMessageQuarantineReason(m.QuarantineReason))
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, api.MailAttachment{Id: parseUUID(a.ID), Filename: strPtr(a.Filename),
			ContentType: a.ContentType, ContentId: strPtr(a.ContentID), Inline: a.Inline, Size: a.Size})
	}
	return out
}

// DownloadMailMessageRaw streams the mail's source.
func (s *Server) DownloadMailMessageRaw(ctx context.Context, r api.DownloadMailMessageRawRequestObject) (api.DownloadMailMessageRawResponseObject, error) {
	m, rc, err := s.svc.Mail.OpenMailRaw(ctx, r.MailMessageId.String())
	if err != nil {
		return nil, err
	}
	return mailSource{m: m, rc: rc}, nil
}

// mailSource writes a mail's source as message/rfc822.
type mailSource struct {
	m  guichet.MailMessage
	rc io.ReadCloser
}

func (m mailSource) VisitDownloadMailMessageRawResponse(w http.ResponseWriter) error {
	defer m.rc.Close()
	h := w.Header()
	h.Set("Content-Type", "message/rfc822")
	if !m.m.RawHeaderOnly {
		h.Set("Content-Length", strconv.FormatInt(m.m.RawSize, 10))
	}
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.m.ID + ".eml"}))
	h.Set("ETag", `"`+m.m.RawSHA256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := io.Copy(w, m.rc)
	return err
}
