package httpapi

import (
	"context"
	"time"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func mailboxDTO(m guichet.Mailbox) api.Mailbox {
	out := api.Mailbox{Id: parseUUID(m.ID), Kind: api.MailboxKind(m.Kind), Purpose: nullableString(m.Purpose),
		Name: m.Name, Address: openapi_types.Email(m.Address), OwnerId: nullableUUID(m.OwnerID), DelegateId: nullableUUID(m.DelegateID),
		ResponsibleId: nullableUUID(m.ResponsibleID), BackupId: nullableUUID(m.BackupID),
		IngestionEnabled: m.IngestionEnabled, AutoTickets: m.AutoTickets, Priority: m.Priority,
		CheckSchedule:  api.CheckSchedule{Times: m.CheckSchedule.Times, GraceMinutes: m.CheckSchedule.GraceMinutes},
		AbsenceMessage: nullableString(m.AbsenceMessage),
		Status: api.MailboxStatus{State: api.MailboxStatusState(m.State), LastError: nullableString(m.LastError),
			LastFetchAt: nullableTime(m.LastFetchAt), NextFetchAt: nullableTime(m.NextFetchAt), FetchFailures: &m.FetchFailures},
		Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, QueueReminderMinutes: &m.QueueReminderMinutes}
	if d, err := time.Parse(time.DateOnly, m.BackfillSince); err == nil {
		out.BackfillSince = nullable.NewNullableWithValue(openapi_types.Date{Time: d})
	}
	if i := m.Imap; i != nil {
		out.Imap = nullable.NewNullableWithValue(api.ImapSettings{Host: i.Host, Port: i.Port, Security: api.MailSecurity(i.Security),
			Username: i.Username, PasswordSet: i.PasswordSet, Folders: i.Folders, WatchedFolders: i.WatchedFolders,
			SentFolder: i.SentFolder, ArchiveFolder: nullableString(i.ArchiveFolder), FetchIntervalSeconds: i.FetchIntervalSeconds})
	}
	if m := m.Smtp; m != nil {
		out.Smtp = nullable.NewNullableWithValue(api.SmtpSettings{Host: m.Host, Port: m.Port, Security: api.MailSecurity(m.Security),
			Username: m.Username, PasswordSet: m.PasswordSet})
	}
	return out
}

func imapInput(in *api.ImapSettingsInput) *guichet.ImapInput {
	if in == nil {
		return nil
	}
	out := &guichet.ImapInput{ImapSettings: guichet.ImapSettings{Host: in.Host, Username: in.Username,
		Security: guichet.MailSecurity(enumString(in.Security)), SentFolder: str(in.SentFolder)}}
	if in.Port != nil {
		out.Port = *in.Port
	}
	if in.FetchIntervalSeconds != nil {
		out.FetchIntervalSeconds = *in.FetchIntervalSeconds
	}
	if in.Folders != nil {
		out.Folders = *in.Folders
	}
	if in.WatchedFolders != nil {
		out.WatchedFolders = *in.WatchedFolders
	}
	if v := patchString(in.ArchiveFolder); v != nil {
		out.ArchiveFolder, out.ArchiveSet = *v, true
	}
	out.Password, out.ClearPassword = secretPatch(in.Password)
	return out
}

func smtpInput(in *api.SmtpSettingsInput) *guichet.SmtpInput {
	if in == nil {
		return nil
	}
	out := &guichet.SmtpInput{SmtpSettings: guichet.SmtpSettings{Host: in.Host, Username: str(in.Username),
		Security: guichet.MailSecurity(enumString(in.Security))}}
	if in.Port != nil {
		out.Port = *in.Port
	}
	out.Password, out.ClearPassword = secretPatch(in.Password)
	return out
}

// secretPatch reads a write-only password: absent keeps, null clears.
func secretPatch(n nullable.Nullable[string]) (*string, bool) {
	if !n.IsSpecified() {
		return nil, false
	}
	if n.IsNull() {
		return nil, true
	}
	v := n.MustGet()
	return &v, false
}

func checkSchedule(in *api.CheckSchedule) *guichet.CheckSchedule {
	if in == nil {
		return nil
	}
	return &guichet.CheckSchedule{Times: in.Times, GraceMinutes: in.GraceMinutes}
}

// ListMailboxes lists the mailboxes the caller may see.
func (s *Server) ListMailboxes(ctx context.Context, r api.ListMailboxesRequestObject) (api.ListMailboxesResponseObject, error) {
	p := r.Params
	page, err := s.svc.Mailboxes.ListMailboxes(ctx, guichet.MailboxFilter{Kind: guichet.MailboxKind(enumString(p.Kind)),
		Purpose: str(p.Purpose), Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.MailboxPage{Items: []api.Mailbox{}, NextCursor: nullableString(page.NextCursor)}
	for _, m := range page.Items {
		out.Items = append(out.Items, mailboxDTO(m))
	}
	return api.ListMailboxes200JSONResponse(out), nil
}

// CreateMailbox creates a shared mailbox or the caller's personal one.
func (s *Server) CreateMailbox(ctx context.Context, r api.CreateMailboxRequestObject) (api.CreateMailboxResponseObject, error) {
	b := r.Body
	in := guichet.MailboxCreate{Kind: guichet.MailboxKind(b.Kind), Purpose: str(b.Purpose), Name: b.Name,
		Address: string(b.Address), DelegateID: uuidString(b.DelegateId), ResponsibleID: uuidString(b.ResponsibleId),
		BackupID: uuidString(b.BackupId), IngestionEnabled: b.IngestionEnabled, AutoTickets: b.AutoTickets,
		Imap: imapInput(b.Imap), Smtp: smtpInput(b.Smtp), CheckSchedule: checkSchedule(b.CheckSchedule),
		AbsenceMessage: str(b.AbsenceMessage), QueueReminderMinutes: b.QueueReminderMinutes}
	if b.Priority != nil {
		in.Priority = *b.Priority
	}
	if b.BackfillSince != nil {
		in.BackfillSince = b.BackfillSince.String()
	}
	m, err := s.svc.Mailboxes.CreateMailbox(ctx, in)
	if err != nil {
		return nil, err
	}
	loc := "/mailboxes/" + m.ID
	return api.CreateMailbox201JSONResponse{Body: mailboxDTO(m),
		Headers: api.CreateMailbox201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// GetMailbox reads a mailbox the caller may see.
func (s *Server) GetMailbox(ctx context.Context, r api.GetMailboxRequestObject) (api.GetMailboxResponseObject, error) {
	m, err := s.svc.Mailboxes.GetMailbox(ctx, r.MailboxId.String())
	if err != nil {
		return nil, err
	}
	return api.GetMailbox200JSONResponse{Body: mailboxDTO(m), Headers: api.GetMailbox200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// UpdateMailbox changes a mailbox.
func (s *Server) UpdateMailbox(ctx context.Context, r api.UpdateMailboxRequestObject) (api.UpdateMailboxResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := guichet.MailboxUpdate{Name: b.Name, DelegateID: patchUUID(b.DelegateId), BackupID: patchUUID(b.BackupId),
		IngestionEnabled: b.IngestionEnabled, AutoTickets: b.AutoTickets, Priority: b.Priority,
		CheckSchedule: checkSchedule(b.CheckSchedule), AbsenceMessage: patchString(b.AbsenceMessage),
		QueueReminderMinutes: b.QueueReminderMinutes}
	if b.Address != nil {
		a := string(*b.Address)
		in.Address = &a
	}
	if b.ResponsibleId != nil {
		id := b.ResponsibleId.String()
		in.ResponsibleID = &id
	}
	if b.Imap.IsSpecified() {
		if b.Imap.IsNull() {
			in.ClearImap = true
		} else {
			v := b.Imap.MustGet()
			in.Imap = imapInput(&v)
		}
	}
	if b.Smtp.IsSpecified() {
		if b.Smtp.IsNull() {
			in.ClearSmtp = true
		} else {
			v := b.Smtp.MustGet()
			in.Smtp = smtpInput(&v)
		}
	}
	m, err := s.svc.Mailboxes.UpdateMailbox(ctx, r.MailboxId.String(), version, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateMailbox200JSONResponse{Body: mailboxDTO(m), Headers: api.UpdateMailbox200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DeleteMailbox deletes a mailbox.
func (s *Server) DeleteMailbox(ctx context.Context, r api.DeleteMailboxRequestObject) (api.DeleteMailboxResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Mailboxes.DeleteMailbox(ctx, r.MailboxId.String(), version); err != nil {
		return nil, err
	}
	return api.DeleteMailbox204Response{}, nil
}

// ListMailboxAuditEvents reads a mailbox's own audit trail.
func (s *Server) ListMailboxAuditEvents(ctx context.Context, r api.ListMailboxAuditEventsRequestObject) (api.ListMailboxAuditEventsResponseObject, error) {
	page, err := s.svc.Mailboxes.ListMailboxAuditEvents(ctx, r.MailboxId.String(), pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListMailboxAuditEvents200JSONResponse(auditPageDTO(page)), nil
}
