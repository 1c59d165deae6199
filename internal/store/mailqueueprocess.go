package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/guichet/guichet/internal/guichet"
)

// archiveMaxAttempts bounds the retries of an archive move that keeps
// failing for a temporary reason (server down).
const archiveMaxAttempts = 10

// ProcessMailItem processes an item completely, which alone removes it
// from the queue: only the agent holding it (ECONFLICT "claim it first"
// for an unclaimed item, naming the holder for someone else's), and for a
// personal mailbox only its owner (EFORBIDDEN for a delegate). When the
// mailbox archives, the archive move is enqueued in the same transaction.
func (s *Store) ProcessMailItem(ctx context.Context, id string, ifMatch int, in guichet.MailProcessing) (guichet.MailItemDetail, error) {
	c := guichet.CallerFrom(ctx)
	if err := checkProcessing(&in); err != nil {
		return guichet.MailItemDetail{}, err
	}
	if len(in.TicketIDs) > 0 || len(in.NewTickets) > 0 {
		if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
			return guichet.MailItemDetail{}, err
		}
	}
	set, err := s.ingestSettings(ctx)
	if err != nil {
		return guichet.MailItemDetail{}, wrap("process mail item", err)
	}
	return s.itemStep(ctx, id, ifMatch, "process", func(tx *Tx, q *queueItem) error {
		if err := mayProcess(ctx, tx, q, c.Agent.ID); err != nil {
			return err
		}
		msg, err := loadByID[mailMessageRow](ctx, tx, q.row.MailMessageID, "mail message")
		if err != nil {
			return err
		}
		p := &processing{s: s, tx: tx, q: q, msg: &msg, set: set, note: strings.TrimSpace(in.Note)}
		if err := p.apply(ctx, in); err != nil {
			return err
		}
		return p.finish(ctx, strings.TrimSpace(in.CloseReason))
	})
}

// checkProcessing is EINVALID unless exactly one way of processing is set.
func checkProcessing(in *guichet.MailProcessing) error {
	n := 0
	for _, set := range []bool{len(in.TicketIDs) > 0, len(in.NewTickets) > 0, strings.TrimSpace(in.CloseReason) != "", in.KeepTicket} {
		if set {
			n++
		}
	}
	if n != 1 {
		return guichet.Invalid("ticket_ids", "give exactly one of ticket_ids, new_tickets, close_reason and keep_ticket")
	}
	for i, t := range in.NewTickets {
		if strings.TrimSpace(t.Subject) == "" {
			return guichet.Invalid(fmt.Sprintf("new_tickets[%d].subject", i), "must not be empty")
		}
	}
	return nil
}

// mayProcess: the holder alone processes; a personal mailbox's mail is
// converted by its owner alone.
func mayProcess(ctx context.Context, tx *Tx, q *queueItem, me string) error {
	r := &q.row
	switch {
	case q.box.personal() && me != deref(q.box.OwnerID):
		return guichet.Errorf(guichet.EFORBIDDEN, "a personal mailbox's mail is processed by its owner only")
	case r.Status == guichet.MailItemProcessed:
		return guichet.Errorf(guichet.ECONFLICT, "this mail is already processed")
	case r.Status == guichet.MailItemNew:
		return guichet.Errorf(guichet.ECONFLICT, "this mail is not claimed: claim it first (POST …/claim); the person who processes a mail removes it from the queue")
	case deref(r.ClaimedBy) != me:
		return heldBy(ctx, tx, r, ": only the person holding a mail processes it")
	}
	return nil
}

// processing is one item being processed.
type processing struct {
	s     *Store
	tx    *Tx
	q     *queueItem
	msg   *mailMessageRow
	set   ticketSettings
	note  string
	first string // the first ticket the mail went to
}

func (p *processing) apply(ctx context.Context, in guichet.MailProcessing) error {
	switch {
	case len(in.TicketIDs) > 0:
		return p.join(ctx, in.TicketIDs)
	case len(in.NewTickets) > 0:
		return p.open(ctx, in.NewTickets)
	case in.KeepTicket:
		if p.q.row.TicketID == nil {
			return guichet.Invalid("keep_ticket", "this mail has no ticket to keep: link it (ticket_ids), open tickets (new_tickets) or close it with a reason")
		}
		return p.link(ctx, *p.q.row.TicketID, guichet.MailLinkKept)
	}
	return nil
}

// join makes the mail the client's message on each ticket, never across
// clients: the sender must be the ticket's contact, another contact of
// its organisation, or an intervenant mandated for that client.
func (p *processing) join(ctx context.Context, refs []string) error {
	seen := map[string]bool{}
	for _, ref := range refs {
		t, err := findTicket(ctx, p.tx, ref)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return guichet.Invalid("ticket_ids", fmt.Sprintf("no ticket %q", ref))
		} else if err != nil {
			return err
		}
		if t, err = followMerges(ctx, p.tx, t); err != nil {
			return err
		}
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if t.Status == string(guichet.StatusClosed) {
			return guichet.Invalid("ticket_ids", fmt.Sprintf("ticket %s is closed: open a new ticket for a new subject", t.Number))
		}
		ok, err := p.s.senderMayWrite(ctx, p.tx, t, p.msg.FromEmail)
		if err != nil {
			return err
		}
		if !ok {
			return guichet.Invalid("ticket_ids", fmt.Sprintf("ticket %s is another client's: the sender is neither its contact, nor a contact of its organisation, nor an intervenant mandated for it", t.Number))
		}
		if err := p.clientMessage(ctx, t); err != nil {
			return err
		}
		if err := p.link(ctx, t.ID, guichet.MailLinkJoined); err != nil {
			return err
		}
	}
	return nil
}

// clientMessage records the mail on the ticket as ingestion's joinTicket
// does: a response clock from the mail's reception, and a ticket waiting
// for the client moves on.
func (p *processing) clientMessage(ctx context.Context, t *ticketRow) error {
	received := p.q.row.ReceivedAt
	needs := guichet.NeedsAnswerByDefault(guichet.ChannelEmail)
	_, err := addEvent(ctx, p.tx, t.ID, guichet.EventClientMessage, false, rowBody(p.msg), map[string]any{
		"channel": guichet.ChannelEmail, "received_at": received, "needs_answer": needs, "mail_message_id": p.msg.ID,
		"from": p.msg.FromEmail, "subject": p.msg.Subject, "routing_reason": "processed", "mail_item_id": p.q.row.ID})
	if err != nil {
		return err
	}
	if err := indexTicket(ctx, p.tx, t.ID); err != nil {
		return err
	}
	return p.s.afterClientMessage(ctx, p.tx, t, guichet.ChannelEmail, received, needs, p.set.cal, p.set.pols)
}

// rowBody is what a stored mail says on a timeline.
func rowBody(m *mailMessageRow) string {
	for _, s := range []string{m.Excerpt, m.TextBody, m.Subject} {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return "(mail sans texte)"
}

// open opens one ticket per subject on channel email, for the mail's
// contact (an unknown sender becomes an unidentified contact), received
// when the mail was: the response clock starts at the mail's reception.
func (p *processing) open(ctx context.Context, subjects []guichet.MailNewTicket) error {
	if p.msg.ContactID == nil && p.msg.FromEmail != "" {
		id, err := p.s.senderAsContact(ctx, p.tx, p.msg.FromEmail, p.msg.FromName)
		if err != nil {
			return err
		}
		p.msg.ContactID = &id
		if _, err := p.tx.NewUpdate().Model(p.msg).Column("contact_id").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("mail contact: %w", err)
		}
	}
	for i, spec := range subjects {
		in := guichet.TicketCreate{Subject: spec.Subject, Description: spec.Description, Channel: guichet.ChannelEmail,
			Category: spec.Category, ContactID: deref(p.msg.ContactID), ReceivedAt: &p.q.row.ReceivedAt}
		if in.Category == "" {
			in.Category = mailCategory(&p.q.box)
		}
		if strings.TrimSpace(in.Description) == "" {
			in.Description = truncateText(rowBody(p.msg), 20000)
		}
		t, err := newTicketRow(in, p.tx.Now)
		if err == nil {
			t.CreatedBy = nullable(guichet.CallerFrom(ctx).Agent.ID)
			_, err = p.s.openTicket(ctx, p.tx, t, in, p.set)
		}
		if err != nil {
			return atIndex(err, fmt.Sprintf("new_tickets[%d].", i))
		}
		if err := p.link(ctx, t.ID, guichet.MailLinkOpened); err != nil {
			return err
		}
	}
	return nil
}

// link records that the mail went to the ticket, and how.
func (p *processing) link(ctx context.Context, ticketID, how string) error {
	l := &mailItemTicketRow{MailItemID: p.q.row.ID, TicketID: ticketID, How: how, Note: p.note, CreatedAt: p.tx.Now}
	if _, err := p.tx.NewInsert().Model(l).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("link mail item ticket: %w", err)
	}
	if p.first == "" {
		p.first = ticketID
	}
	if how == guichet.MailLinkKept {
		return nil // ingestion gave that ticket the attachments
	}
	var files []mailAttachmentRow
	if err := p.tx.NewSelect().Model(&files).Where("mail_message_id = ?", p.msg.ID).Order("position").Scan(ctx); err != nil {
		return fmt.Errorf("mail attachments: %w", err)
	}
	return attachMailFiles(ctx, p.tx, ticketID, p.msg.ID, files)
}

// finish marks the item processed, points it (and its message, when it
// had none) at its first ticket, and enqueues the archive move.
func (p *processing) finish(ctx context.Context, closeReason string) error {
	r, now := &p.q.row, p.tx.Now
	me := guichet.CallerFrom(ctx).Agent.ID
	r.Status, r.ProcessedBy, r.ProcessedAt = guichet.MailItemProcessed, &me, &now
	r.ProcessedReason = nullable(closeReason)
	if closeReason == "" {
		r.ProcessedReason = nullable(p.note)
	}
	if p.first != "" && r.TicketID == nil {
		r.TicketID = &p.first
	}
	if p.first != "" && p.msg.TicketID == nil {
		p.msg.TicketID = &p.first
		if _, err := p.tx.NewUpdate().Model(p.msg).Column("ticket_id").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("mail ticket: %w", err)
		}
	}
	if archiveFolder(&p.q.box) == "" {
		return nil
	}
	r.ArchiveState, r.ArchiveError, r.ArchivedAt = nullable(guichet.ArchivePending), nil, nil
	return p.tx.InsertJob(ctx, guichet.MailArchiveJob{MailItemID: r.ID}, &river.InsertOpts{MaxAttempts: archiveMaxAttempts})
}
