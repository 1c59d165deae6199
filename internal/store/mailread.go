package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/guichet"
)

var _ guichet.MailService = (*Store)(nil)

// mailItemView is a queue item with what the queue shows of its message.
type mailItemView struct {
	mailItemRow `bun:",extend"`

	FromName  string `bun:"from_name"`
	FromEmail string `bun:"from_email"`
	Subject   string `bun:"subject"`
	Excerpt   string `bun:"excerpt"`
}

func (v *mailItemView) domain() guichet.MailItem {
	r := &v.mailItemRow
	it := guichet.MailItem{ID: r.ID, MailboxID: r.MailboxID, MessageID: r.MailMessageID, Status: r.Status,
		ReceivedAt: r.ReceivedAt, RoutingReason: r.RoutingReason, Quarantined: r.Quarantined, TicketID: deref(r.TicketID),
		Subject: v.Subject, Excerpt: truncateText(v.Excerpt, 500), ClaimedBy: deref(r.ClaimedBy), ClaimedAt: r.ClaimedAt,
		ProcessedBy: deref(r.ProcessedBy), ProcessedAt: r.ProcessedAt, Version: r.Version, CreatedAt: r.CreatedAt}
	if v.FromEmail != "" || v.FromName != "" {
		it.From = &guichet.MailAddress{Name: v.FromName, Email: v.FromEmail}
	}
	return it
}

var mailItemStatuses = []string{guichet.MailItemNew, guichet.MailItemClaimed, guichet.MailItemProcessed}

// ListMailItems pages a mailbox's queue, newest first. A personal
// mailbox's queue is its owner's (and, during the owner's absence, the
// delegate's, whose read is audited for the owner).
func (s *Store) ListMailItems(ctx context.Context, mailboxID string, f guichet.MailItemFilter) (guichet.Page[guichet.MailItem], error) {
	var page guichet.Page[guichet.MailItem]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesRead); err != nil {
		return page, err
	}
	if f.Status != "" && !slices.Contains(mailItemStatuses, f.Status) {
		return page, guichet.Invalid("status", "new, claimed or processed")
	}
	const order = "mail_items:received_at"
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, order, &cur); err != nil {
		return page, err
	}
	mb, acc, err := s.loadVisibleMailbox(ctx, s.db.read, mailboxID)
	if err != nil {
		return page, wrap("list mail items", err)
	}
	q := s.db.read.NewSelect().Model((*mailItemView)(nil)).
		ColumnExpr("mi.*, mm.from_name, mm.from_email, mm.subject, mm.excerpt").
		Join("JOIN mail_messages AS mm ON mm.id = mi.mail_message_id").Where("mi.mailbox_id = ?", mb.ID)
	if f.Status != "" {
		q = q.Where("mi.status = ?", f.Status)
	}
	if f.Quarantined != nil {
		q = q.Where("mi.quarantined = ?", *f.Quarantined)
	}
	if cur.ID != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			return page, badCursor()
		}
		q = q.Where("(mi.received_at < ?) OR (mi.received_at = ? AND mi.id < ?)", at, at, cur.ID)
	}
	var rows []mailItemView
	n := f.Page.Size()
	if err := q.OrderExpr("mi.received_at DESC, mi.id DESC").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list mail items", err)
	}
	page.Items = make([]guichet.MailItem, 0, len(rows))
	for i := range rows {
		if i == n {
			last := &rows[n-1]
			page.NextCursor = encodeCursor(order, last.ReceivedAt.UTC().Format(time.RFC3339Nano), last.ID)
			break
		}
		page.Items = append(page.Items, rows[i].domain())
	}
	if acc == accessDelegate {
		err = s.inTx(ctx, func(tx *Tx) error { return auditMailbox(ctx, tx, &mb, "read_queue", nil, nil) })
	}
	return page, wrap("list mail items", err)
}

// visibleMessage loads a mail message the caller may see: through its
// owning mailbox or any mailbox whose queue holds it. A personal
// mailbox's mail is its owner's alone (404 to anyone else, admins
// included); a delegate's read during the owner's absence is audited for
// the owner, in the same call.
func (s *Store) visibleMessage(ctx context.Context, id string) (mailMessageRow, error) {
	row, err := loadByID[mailMessageRow](ctx, s.db.read, id, "mail message")
	if err != nil {
		return row, err
	}
	ids := []string{}
	if row.MailboxID != nil {
		ids = append(ids, *row.MailboxID)
	}
	var more []string
	if err := s.db.read.NewSelect().Table("mail_items").Column("mailbox_id").Where("mail_message_id = ?", row.ID).Scan(ctx, &more); err != nil {
		return row, err
	}
	var boxes []mailboxRow
	if ids = append(ids, more...); len(ids) > 0 {
		if err := s.db.read.NewSelect().Model(&boxes).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return row, err
		}
	}
	// Seen through a shared mailbox or as an owner, a read is plain; seen
	// only as a delegate, it is audited for the owner.
	plain, via := false, -1
	for i := range boxes {
		acc, err := s.accessTo(ctx, s.db.read, &boxes[i])
		if err != nil {
			return row, err
		}
		switch acc {
		case accessRead, accessManage:
			plain = true
		case accessDelegate:
			via = i
		}
	}
	switch {
	case plain:
	case via < 0:
		return row, notFound("mail message")
	default:
		err = s.inTx(ctx, func(tx *Tx) error {
			return auditMailbox(ctx, tx, &boxes[via], "read_mail", nil, map[string]any{"mail_message_id": row.ID})
		})
	}
	return row, err
}

// GetMailMessage returns a parsed mail with its attachments.
func (s *Store) GetMailMessage(ctx context.Context, id string) (guichet.MailMessage, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesRead); err != nil {
		return guichet.MailMessage{}, err
	}
	row, err := s.visibleMessage(ctx, id)
	if err != nil {
		return guichet.MailMessage{}, wrap("get mail message", err)
	}
	var atts []mailAttachmentRow
	if err := s.db.read.NewSelect().Model(&atts).Where("mail_message_id = ?", row.ID).Order("position").Scan(ctx); err != nil {
		return guichet.MailMessage{}, wrap("get mail message", err)
	}
	out := row.domain()
	for _, a := range atts {
		out.Attachments = append(out.Attachments, guichet.MailAttachment{ID: a.ID, Filename: a.Filename,
			ContentType: a.ContentType, ContentID: a.ContentID, Inline: a.Inline, Size: a.Size})
	}
	return out, nil
}

// OpenMailRaw returns a mail's raw source (its header alone for a mail
// too large to fetch whole) to stream; the caller closes it.
func (s *Store) OpenMailRaw(ctx context.Context, id string) (guichet.MailMessage, io.ReadCloser, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesRead); err != nil {
		return guichet.MailMessage{}, nil, err
	}
	row, err := s.visibleMessage(ctx, id)
	if err != nil {
		return guichet.MailMessage{}, nil, wrap("open mail source", err)
	}
	if row.RawBlobKey == nil {
		return guichet.MailMessage{}, nil, guichet.Errorf(guichet.ENOTFOUND, "this mail has no source kept (it was empty)")
	}
	rc, err := s.opts.Blobs.Open(ctx, *row.RawBlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return guichet.MailMessage{}, nil, fmt.Errorf("mail message %s: blob %s is missing", row.ID, *row.RawBlobKey)
	}
	return row.domain(), rc, wrap("open mail source", err)
}

func (r *mailMessageRow) domain() guichet.MailMessage {
	m := guichet.MailMessage{ID: r.ID, MessageID: r.MessageID, SyntheticID: r.SyntheticID, MailboxID: deref(r.MailboxID),
		Direction: r.Direction, InReplyTo: r.InReplyTo, Subject: r.Subject, SentAt: r.SentAt, ReceivedAt: r.ReceivedAt,
		Excerpt: r.Excerpt, Text: r.TextBody, HTML: r.HTMLBody, BounceOfID: deref(r.BounceOfID),
		QuarantineReason: deref(r.QuarantineReason), Backfill: r.Backfill, RawSize: r.RawSize, RawSHA256: r.RawSHA256,
		RawHeaderOnly: r.RawHeaderOnly, ContactID: deref(r.ContactID), TicketID: deref(r.TicketID),
		RoutingReason: r.RoutingReason, CreatedAt: r.CreatedAt, References: []string{}, To: []guichet.MailAddress{},
		Cc: []guichet.MailAddress{}, Headers: map[string]string{}, Warnings: []string{}, Attachments: []guichet.MailAttachment{}}
	if r.FromEmail != "" || r.FromName != "" {
		m.From = &guichet.MailAddress{Name: r.FromName, Email: r.FromEmail}
	}
	_ = json.Unmarshal([]byte(r.Refs), &m.References)
	_ = json.Unmarshal([]byte(r.ToList), &m.To)
	_ = json.Unmarshal([]byte(r.CcList), &m.Cc)
	_ = json.Unmarshal([]byte(r.Headers), &m.Headers)
	_ = json.Unmarshal([]byte(r.Warnings), &m.Warnings)
	var c struct {
		AutoReply            bool   `json:"auto_reply"`
		AutoReplyReason      string `json:"auto_reply_reason"`
		SuppressAutoResponse bool   `json:"suppress_auto_response"`
		Loop                 bool   `json:"loop"`
	}
	_ = json.Unmarshal([]byte(r.Classification), &c)
	m.AutoReply, m.AutoReplyReason, m.SuppressAutoResp, m.Loop = c.AutoReply, c.AutoReplyReason, c.SuppressAutoResponse, c.Loop
	if r.Bounce != nil {
		_ = json.Unmarshal([]byte(*r.Bounce), &m.Bounce)
	}
	return m
}
