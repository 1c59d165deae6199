package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailparse"
	"github.com/guichet/guichet/internal/textsearch"
)

// gatherFacts reads what the routing of a mail depends on, and the ticket
// it refers to.
func (s *Store) gatherFacts(ctx context.Context, tx *Tx, mc *mailCtx) (routeFacts, *ticketRow, error) {
	m, mb := mc.in.Msg, mc.mb
	f := routeFacts{Personal: mb.personal(), AutoTickets: mb.AutoTickets && !mb.personal(), Sent: mc.in.Sent,
		OwnLoop: m.Loop && m.LoopID == s.opts.InstanceID, AutoReply: m.AutoReply, Bounce: m.Bounce != nil,
		Quarantined: mc.in.Quarantine != "", Backfill: mc.in.Backfill, NoSender: mc.from == "",
		FromMailbox: mc.from != "" && mc.from == mb.Address}
	if f.Quarantined || f.OwnLoop || f.Personal {
		return f, nil, nil
	}
	if c, ok := mc.batch.sender(mc.from); ok && !f.NoSender {
		mc.row.ContactID, mc.senderOrg, mc.senderKnown = &c.id, c.org, true
	}
	t, byHeader, err := findThread(ctx, tx, m)
	if err != nil || t == nil {
		return f, nil, err
	}
	allowed := f.Sent && f.FromMailbox
	if !allowed && !f.NoSender {
		if allowed, err = s.senderMayWrite(ctx, tx, t, mc.from); err != nil {
			return f, nil, err
		}
	}
	f.Thread = &threadFacts{ByHeader: byHeader, Allowed: allowed, Closed: t.Status == string(guichet.StatusClosed)}
	return f, t, nil
}

// maxThreadIDs bounds the References looked up.
const maxThreadIDs = 50

// findThread finds the ticket a mail answers: through a message of the
// thread already linked to a ticket (In-Reply-To first, then References
// from the latest), else through a ticket number in the subject. A merged
// ticket leads to the one it was merged into.
func findThread(ctx context.Context, tx *Tx, m *mailparse.Message) (*ticketRow, bool, error) {
	var ids []string
	if m.InReplyTo != "" {
		ids = append(ids, m.InReplyTo)
	}
	for i := len(m.References) - 1; i >= 0 && len(ids) < maxThreadIDs; i-- {
		ids = append(ids, m.References[i])
	}
	if len(ids) > 0 {
		var hits []struct {
			MessageID string `bun:"message_id"`
			TicketID  string `bun:"ticket_id"`
		}
		err := tx.NewSelect().Table("mail_messages").Column("message_id", "ticket_id").
			Where("message_id IN (?) AND ticket_id IS NOT NULL", bun.List(ids)).Scan(ctx, &hits)
		if err != nil {
			return nil, false, fmt.Errorf("find thread: %w", err)
		}
		for _, id := range ids {
			for _, h := range hits {
				if h.MessageID == id {
					t, err := liveTicket(ctx, tx, h.TicketID)
					return t, true, err
				}
			}
		}
	}
	for _, n := range mailparse.TicketNumbers(m.Subject) {
		t, err := findTicket(ctx, tx, n)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		t, err = followMerges(ctx, tx, t)
		return t, false, err
	}
	return nil, false, nil
}

func liveTicket(ctx context.Context, tx *Tx, id string) (*ticketRow, error) {
	t, err := findTicket(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return followMerges(ctx, tx, t)
}

// followMerges leads from a merged ticket to the one it lives on in.
func followMerges(ctx context.Context, tx *Tx, t *ticketRow) (*ticketRow, error) {
	for i := 0; i < 5 && t.MergedIntoID != nil; i++ {
		next, err := findTicket(ctx, tx, *t.MergedIntoID)
		if err != nil {
			return nil, err
		}
		t = next
	}
	return t, nil
}

// senderMayWrite tells whether the sender may write on the ticket's file:
// the ticket's contact, another contact of its organisation, or an
// intervenant with a valid mandate for that client (or an authority
// acting by law). A ticket with no client is nobody's in particular.
func (s *Store) senderMayWrite(ctx context.Context, tx *Tx, t *ticketRow, email string) (bool, error) {
	if t.ContactID == nil && t.OrganisationID == nil {
		return true, nil
	}
	var contacts []struct {
		ID  string  `bun:"id"`
		Org *string `bun:"organisation_id"`
	}
	if err := tx.NewSelect().Table("contacts").Column("id", "organisation_id").Where("email = ? AND email <> ''", email).Scan(ctx, &contacts); err != nil {
		return false, fmt.Errorf("sender contacts: %w", err)
	}
	for _, c := range contacts {
		if c.ID == deref(t.ContactID) || (c.Org != nil && t.OrganisationID != nil && *c.Org == *t.OrganisationID) {
			return true, nil
		}
	}
	var ivs []string
	if err := tx.NewSelect().Table("intervenants").Column("id").Where("email = ? AND email <> ''", email).Scan(ctx, &ivs); err != nil {
		return false, fmt.Errorf("sender intervenants: %w", err)
	}
	for _, iv := range ivs {
		chk, err := s.CheckMandate(ctx, tx, iv, deref(t.ContactID), deref(t.OrganisationID), guichet.Category(t.Category), tx.Now)
		if guichet.ErrorCode(err) == guichet.EINVALID || guichet.ErrorCode(err) == guichet.ENOTFOUND {
			continue
		} else if err != nil {
			return false, err
		}
		if chk.Status == guichet.MandateValid || chk.Status == guichet.MandateAuthority {
			return true, nil
		}
	}
	return false, nil
}

// applyRoute carries out the routing decision on tickets: the message row
// gets its ticket and contact.
func (s *Store) applyRoute(ctx context.Context, tx *Tx, mc *mailCtx, r route, target *ticketRow) error {
	var err error
	switch r.Effect {
	case effectLink:
		mc.row.TicketID = &target.ID
	case effectJoin:
		mc.row.TicketID = &target.ID
		err = s.joinTicket(ctx, tx, mc, target, r.Reason)
	case effectReply:
		mc.row.TicketID = &target.ID
		err = s.replyFromSent(ctx, tx, mc, target)
	case effectOpen:
		var related *ticketRow
		if r.Related {
			related = target
		}
		err = s.openMailTicket(ctx, tx, mc, related)
	}
	if err != nil {
		return err
	}
	if mc.in.Msg.Bounce != nil && !mc.mb.personal() {
		return bounceEffects(ctx, tx, mc)
	}
	return nil
}

// mailBody is what a mail says on a timeline: what the sender wrote, not
// the quoted history.
func mailBody(m *mailparse.Message) string {
	for _, s := range []string{m.Excerpt, mailText(m), m.Subject} {
		if strings.TrimSpace(s) != "" {
			return noNUL(s)
		}
	}
	return "(mail sans texte)"
}

// openMailTicket opens a ticket for the mail on channel email, its
// response clock starting at the mail's reception; a backfill's old mail
// gets no clock. The sender becomes an unidentified contact when unknown.
func (s *Store) openMailTicket(ctx context.Context, tx *Tx, mc *mailCtx, related *ticketRow) error {
	m := mc.in.Msg
	if mc.row.ContactID == nil && mc.from != "" {
		id, err := s.senderAsContact(ctx, tx, mc.from, m.From.Name)
		if err != nil {
			return err
		}
		mc.row.ContactID, mc.senderOrg, mc.senderKnown = &id, nil, true
		mc.batch.addSender(mc.from, id)
	}
	needs := !mc.in.Backfill
	in := guichet.TicketCreate{Subject: ticketSubject(m.Subject), Description: truncateText(mailBody(m), 20000),
		Channel: guichet.ChannelEmail, Category: mailCategory(mc.mb), ContactID: deref(mc.row.ContactID),
		ReceivedAt: &mc.row.ReceivedAt, NeedsAnswer: &needs}
	if mc.in.Backfill {
		in.Tags = []string{"backfill"}
	}
	if related != nil {
		in.Related = []string{related.ID}
	}
	t, err := newTicketRow(in, tx.Now)
	if err != nil {
		return err
	}
	if mc.senderKnown { // the organisation is known: no query for it
		t.OrganisationID, t.organisationSet = mc.senderOrg, true
	}
	if _, err := s.openTicket(ctx, tx, t, in, mc.set); err != nil {
		return err
	}
	mc.row.TicketID = &t.ID
	return attachMailFiles(ctx, tx, t.ID, mc.row.ID, mailAttachments(mc.row.ID, mc.in.Files))
}

func ticketSubject(subject string) string {
	subject = strings.TrimSpace(noNUL(subject))
	if subject == "" {
		return "(sans objet)"
	}
	return truncateText(subject, 500)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// mailCategory: compta's mail is about accounting; any other mailbox's
// waits for its processor to say.
func mailCategory(mb *mailboxRow) guichet.Category {
	if deref(mb.Purpose) == "compta" {
		return guichet.CategoryAccountingQuestion
	}
	return guichet.CategoryOther
}

// senderAsContact creates the contact of an unknown sender: an
// address and a display name, no structure yet (« savoir qui, de quelle
// structure »).
func (s *Store) senderAsContact(ctx context.Context, tx *Tx, email, name string) (string, error) {
	row, err := s.normaliseContact(guichet.Contact{ID: newID(), Version: 1, Email: email, LastName: truncateText(noNUL(name), 200)})
	if err != nil {
		row, err = s.normaliseContact(guichet.Contact{ID: newID(), Version: 1, Email: email})
	}
	if err != nil {
		return "", err
	}
	row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
	return row.ID, s.insertContact(ctx, tx, &row)
}

// joinTicket records the mail as the client's message on its ticket: a
// response clock, and a ticket waiting for the client moves on
// (on_client_message, e.g. an answer to request_complement).
func (s *Store) joinTicket(ctx context.Context, tx *Tx, mc *mailCtx, t *ticketRow, reason string) error {
	received := mc.row.ReceivedAt
	needs := guichet.NeedsAnswerByDefault(guichet.ChannelEmail)
	_, err := addEvent(ctx, tx, t.ID, guichet.EventClientMessage, false, mailBody(mc.in.Msg), map[string]any{
		"channel": guichet.ChannelEmail, "received_at": received, "needs_answer": needs, "mail_message_id": mc.row.ID,
		"from": mc.from, "subject": mc.row.Subject, "routing_reason": reason})
	if err != nil {
		return err
	}
	if err := indexTicket(ctx, tx, t.ID); err != nil {
		return err
	}
	if err := s.afterClientMessage(ctx, tx, t, guichet.ChannelEmail, received, needs, mc.set.cal, mc.set.pols); err != nil {
		return err
	}
	return attachMailFiles(ctx, tx, t.ID, mc.row.ID, mailAttachments(mc.row.ID, mc.in.Files))
}

// replyFromSent counts a mail of the Sent folder as the answer on its
// ticket, as AddReply would: the response clock closes.
func (s *Store) replyFromSent(ctx context.Context, tx *Tx, mc *mailCtx, t *ticketRow) error {
	sent := mc.row.ReceivedAt
	if d := mc.row.SentAt; d != nil && d.Before(sent) {
		sent = *d
	}
	_, err := s.recordReply(ctx, tx, t, guichet.Reply{Channel: guichet.ChannelEmail, Body: mailBody(mc.in.Msg),
		FileReference: t.FileReference}, sent)
	return err
}

// attachMailFiles gives the ticket the mail's attachments (inline images
// stay with the mail): new attachment rows on the same blobs, none twice.
func attachMailFiles(ctx context.Context, tx *Tx, ticketID, messageID string, files []mailAttachmentRow) error {
	for i, f := range files {
		if f.Inline || f.BlobKey == nil || f.SHA256 == "" {
			continue
		}
		has, err := tx.NewSelect().Model((*attachmentRow)(nil)).Where("ticket_id = ? AND sha256 = ?", ticketID, f.SHA256).Exists(ctx)
		if err != nil || has {
			if err != nil {
				return err
			}
			continue
		}
		name, err := cleanFilename(f.Filename)
		if err != nil {
			name = fmt.Sprintf("piece-jointe-%d", i+1)
		}
		a := attachmentRow{ID: newID(), TicketID: ticketID, Filename: name, ContentType: f.ContentType, Size: f.Size,
			SHA256: f.SHA256, BlobKey: *f.BlobKey, Direction: attachmentIncoming, CreatedAt: tx.Now}
		ev := newEvent(ctx, tx, ticketID, guichet.EventAttachment, false, a.Filename, map[string]any{"attachment_id": a.ID,
			"filename": a.Filename, "content_type": a.ContentType, "size": a.Size, "sha256": a.SHA256, "direction": a.Direction,
			"mail_message_id": messageID})
		q, err := auditQuery(ctx, tx, "create", "attachment", a.ID, nil, a.domain())
		if err != nil {
			return err
		}
		if err := tx.execAll(ctx, tx.NewInsert().Model(&a), tx.NewInsert().Model(ev), q); err != nil {
			return err
		}
	}
	return nil
}

// bounceEffects links a delivery status notification to the mail it
// bounces and, when delivery failed, flags the address on the contacts
// that have it (contacts.email_bounced_at).
func bounceEffects(ctx context.Context, tx *Tx, mc *mailCtx) error {
	dsn := mc.in.Msg.Bounce
	if dsn.OriginalMessageID != "" {
		var ids []string
		err := tx.NewSelect().Table("mail_messages").Column("id").Where("message_id = ?", stableMessageID(dsn.OriginalMessageID)).
			Limit(1).Scan(ctx, &ids)
		if err != nil {
			return fmt.Errorf("bounced message: %w", err)
		}
		if len(ids) > 0 {
			mc.row.BounceOfID = &ids[0]
		}
	}
	email, ok := textsearch.NormalizeEmail(dsn.FinalRecipient)
	if !ok || (dsn.Action != "failed" && dsn.Action != "") {
		return nil
	}
	_, err := tx.NewUpdate().Table("contacts").Set("email_bounced_at = ?", tx.Now).Where("email = ? AND email <> ''", email).Exec(ctx)
	return err
}

// alsoReceived handles a mail whose Message-ID is known: one message,
// an item in each mailbox's queue, one ticket owned by the mailbox with
// the highest priority. Its ticket is opened now if the mailbox that
// knew it first opened none and this one would.
func (s *Store) alsoReceived(ctx context.Context, tx *Tx, mc *mailCtx, safe bool) error {
	mb, row := mc.mb, mc.row
	has, err := tx.NewSelect().Model((*mailItemRow)(nil)).Where("mailbox_id = ? AND mail_message_id = ?", mb.ID, row.ID).Exists(ctx)
	if err != nil || has || mc.in.Sent || row.Direction == mailOut {
		return err
	}
	reason := guichet.RouteAlsoReceived
	if mb.personal() {
		reason = guichet.RoutePersonal
	} else {
		if row.TicketID == nil && row.QuarantineReason == nil && !safe {
			if reason, err = s.routeKnown(ctx, tx, mc); err != nil {
				return err
			}
		}
		if err := s.claimOwnership(ctx, tx, mb, row); err != nil {
			return err
		}
	}
	a, err := auditQueryFor(ctx, tx, mailOwner(mb), "ingest", "mail_message", row.ID, nil, ingestAudit(mc))
	if err != nil {
		return err
	}
	return tx.execAll(ctx, tx.NewInsert().Model(newItem(mb, row, reason, tx.Now)), a)
}

// routeKnown routes a known message without a ticket for this mailbox;
// when that opens or joins a ticket, the message and its other items get
// it.
func (s *Store) routeKnown(ctx context.Context, tx *Tx, mc *mailCtx) (string, error) {
	f, target, err := s.gatherFacts(ctx, tx, mc)
	if err != nil {
		return "", err
	}
	r := decideRoute(f)
	if r.Effect != effectOpen && r.Effect != effectJoin && r.Effect != effectLink {
		return guichet.RouteAlsoReceived, nil
	}
	if err := s.applyRoute(ctx, tx, mc, r, target); err != nil {
		return "", err
	}
	mc.row.RoutingReason = r.Reason
	_, err = tx.NewUpdate().Model(mc.row).Column("ticket_id", "contact_id", "routing_reason", "bounce_of_id").WherePK().Exec(ctx)
	if err != nil {
		return "", err
	}
	_, err = tx.NewUpdate().Model((*mailItemRow)(nil)).Set("ticket_id = ?", *mc.row.TicketID).
		Where("mail_message_id = ? AND ticket_id IS NULL", mc.row.ID).
		Where("mailbox_id IN (SELECT id FROM mailboxes WHERE kind = ?)", guichet.MailboxShared).Exec(ctx)
	return r.Reason, err
}

// claimOwnership gives the message (and its ticket) to this shared
// mailbox when its priority is higher than the owner's.
func (s *Store) claimOwnership(ctx context.Context, tx *Tx, mb *mailboxRow, row *mailMessageRow) error {
	if row.MailboxID != nil && *row.MailboxID != mb.ID {
		var owner struct {
			Kind     string `bun:"kind"`
			Priority int    `bun:"priority"`
		}
		err := tx.NewSelect().Table("mailboxes").Column("kind", "priority").Where("id = ?", *row.MailboxID).Scan(ctx, &owner)
		if err != nil && !isNoRows(err) {
			return err
		}
		if err == nil && owner.Kind == string(guichet.MailboxShared) && owner.Priority >= mb.Priority {
			return nil
		}
	}
	row.MailboxID = &mb.ID
	_, err := tx.NewUpdate().Model(row).Column("mailbox_id").WherePK().Exec(ctx)
	return err
}
