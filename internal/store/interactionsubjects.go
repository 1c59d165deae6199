package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type interactionTicketRow struct {
	bun.BaseModel `bun:"table:interaction_tickets"`

	InteractionID string    `bun:"interaction_id,pk"`
	TicketID      string    `bun:"ticket_id,pk"`
	Opened        bool      `bun:"opened"`
	CreatedAt     time.Time `bun:"created_at"`
}

// kindLabels name each book's entries on the tickets' timelines.
var kindLabels = map[guichet.InteractionKind]string{
	guichet.KindCall: "Appel", guichet.KindVoicemail: "Message vocal", guichet.KindVisit: "Visite",
	guichet.KindLetter: "Courrier", guichet.KindBailiffAct: "Acte d'huissier",
}

// attachSubjects links the existing tickets and opens the new ones, one
// per subject, each with an interaction event on its timeline. For mail,
// each ticket also gets the scan, and a linked ticket takes the letter as
// a client message (its response clock, a registered reply awaited, a
// ticket waiting for the client moving on).
func (s *Store) attachSubjects(ctx context.Context, tx *Tx, row *interactionRow, subj guichet.Subjects, set ticketSettings) error {
	mail := guichet.InteractionKind(row.Kind).Mail()
	seen := map[string]bool{}
	for _, ref := range subj.TicketIDs {
		t, err := findTicket(ctx, tx, ref)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return guichet.Invalid("ticket_ids", fmt.Sprintf("no ticket %q", ref))
		} else if err != nil {
			return err
		}
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if err := s.linkSubject(ctx, tx, row, t, mail, set); err != nil {
			return err
		}
	}
	for i, spec := range subj.Tickets {
		t, err := s.openSubject(ctx, tx, row, spec, set)
		if err != nil {
			return atIndex(err, fmt.Sprintf("tickets[%d].", i))
		}
		if err := s.recordSubject(ctx, tx, row, t, true, mail); err != nil {
			return err
		}
	}
	return nil
}

// linkSubject attaches an existing ticket.
func (s *Store) linkSubject(ctx context.Context, tx *Tx, row *interactionRow, t *ticketRow, mail bool, set ticketSettings) error {
	if mail {
		if t.Status == string(guichet.StatusClosed) {
			return guichet.Invalid("ticket_ids", fmt.Sprintf("ticket %s is closed: open a new ticket for a new subject", t.Number))
		}
		if err := s.recordSubject(ctx, tx, row, t, false, mail); err != nil {
			return err
		}
		ch := guichet.InteractionKind(row.Kind).TicketChannel(row.Registered)
		return s.afterClientMessage(ctx, tx, t, ch, row.OccurredAt, guichet.NeedsAnswerByDefault(ch), set.cal, set.pols)
	}
	return s.recordSubject(ctx, tx, row, t, false, mail)
}

// openSubject opens a ticket for one subject: channel from the kind,
// contact and received_at from the interaction.
func (s *Store) openSubject(ctx context.Context, tx *Tx, row *interactionRow, spec guichet.InteractionTicketCreate, set ticketSettings) (*ticketRow, error) {
	in := guichet.TicketCreate{Subject: spec.Subject, Description: spec.Description,
		Channel: guichet.InteractionKind(row.Kind).TicketChannel(row.Registered), Category: spec.Category, Urgency: spec.Urgency,
		AssigneeID: spec.AssigneeID, ContactID: deref(row.ContactID), OrganisationID: deref(row.OrganisationID),
		FileReference: spec.FileReference, ReceivedAt: &row.OccurredAt, NeedsAnswer: spec.NeedsAnswer, TrackingNumber: row.TrackingNumber,
		// A subject raised by an intervenant is a request on the client's
		// file at its request: it needs a valid mandate in scope.
		RequestedByIntervenantID: deref(row.IntervenantID), Works: spec.Works}
	t, err := newTicketRow(in, tx.Now)
	if err != nil {
		return nil, err
	}
	if t.AssigneeID != nil {
		if _, err := activeAgent(ctx, tx, *t.AssigneeID, "assignee_id"); err != nil {
			return nil, err
		}
	}
	t.CreatedBy = nullable(guichet.CallerFrom(ctx).Agent.ID)
	if _, err := s.openTicket(ctx, tx, t, in, set); err != nil {
		return nil, err
	}
	return t, nil
}

// recordSubject links the ticket to the interaction and tells its
// timeline where it came from; for mail, the ticket gets the scan.
func (s *Store) recordSubject(ctx context.Context, tx *Tx, row *interactionRow, t *ticketRow, opened, mail bool) error {
	link := &interactionTicketRow{InteractionID: row.ID, TicketID: t.ID, Opened: opened, CreatedAt: tx.Now}
	if _, err := tx.NewInsert().Model(link).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("link interaction ticket: %w", err)
	}
	kind := guichet.InteractionKind(row.Kind)
	body := kindLabels[kind]
	if row.Reason != "" {
		body += " : " + row.Reason
	}
	data := map[string]any{"interaction_id": row.ID, "kind": row.Kind, "occurred_at": row.OccurredAt,
		"agent_id": row.AgentID, "opened": opened}
	if row.Outcome != "" {
		data["outcome"] = row.Outcome
	}
	if mail {
		data["registered"], data["tracking_number"] = row.Registered, row.TrackingNumber
	}
	if _, err := addEvent(ctx, tx, t.ID, guichet.EventInteraction, false, body, data); err != nil {
		return err
	}
	if mail {
		if err := attachScan(ctx, tx, row, t.ID); err != nil {
			return err
		}
	}
	return indexTicket(ctx, tx, t.ID)
}

// attachScan gives the ticket the letter's scan: a new attachment row on
// the same blob, so the bytes are stored once.
func attachScan(ctx context.Context, tx *Tx, row *interactionRow, ticketID string) error {
	has, err := tx.NewSelect().Model((*attachmentRow)(nil)).Where("ticket_id = ? AND sha256 = ?", ticketID, row.ScanSHA256).Exists(ctx)
	if err != nil || has {
		return err
	}
	a := attachmentRow{ID: newID(), TicketID: ticketID, Filename: row.ScanFilename, ContentType: row.ScanContentType,
		Size: row.ScanSize, SHA256: row.ScanSHA256, BlobKey: deref(row.ScanBlobKey), Direction: attachmentIncoming,
		CreatedBy: nullable(guichet.CallerFrom(ctx).Agent.ID), CreatedAt: tx.Now}
	ev := newEvent(ctx, tx, ticketID, guichet.EventAttachment, false, a.Filename, map[string]any{"attachment_id": a.ID,
		"filename": a.Filename, "content_type": a.ContentType, "size": a.Size, "sha256": a.SHA256, "direction": a.Direction,
		"interaction_id": row.ID})
	q, err := auditQuery(ctx, tx, "create", "attachment", a.ID, nil, a.domain())
	if err != nil {
		return err
	}
	return tx.execAll(ctx, tx.NewInsert().Model(&a), tx.NewInsert().Model(ev), q)
}

// atIndex prefixes the fields of an EINVALID error with where the input
// sits ("tickets[1].").
func atIndex(err error, prefix string) error {
	e, ok := err.(*guichet.Error)
	if !ok || e.Code != guichet.EINVALID {
		return err
	}
	out := *e
	out.Fields = make([]guichet.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		out.Fields[i] = guichet.FieldError{Field: prefix + f.Field, Message: f.Message}
	}
	out.Message = prefix + e.Message
	return &out
}
