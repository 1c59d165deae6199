package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

// MergeTicket merges the ticket into another about the same subject: its
// timeline, links, clocks and dev tickets move to the survivor, and it is
// closed, pointing to the survivor. ifMatch is the merged ticket's
// version; ECONFLICT when either ticket is closed or they are the same.
func (s *Store) MergeTicket(ctx context.Context, idOrNumber string, ifMatch int, into string) (guichet.Ticket, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Ticket{}, err
	}
	cal, _, _, err := s.settings(ctx)
	if err != nil {
		return guichet.Ticket{}, wrap("merge ticket", err)
	}
	var out guichet.Ticket
	err = s.inTx(ctx, func(tx *Tx) error {
		src, dst, err := mergePair(ctx, tx, idOrNumber, into)
		if err != nil {
			return err
		}
		if err := claimVersion(ctx, tx, src, ifMatch); err != nil {
			return err
		}
		if err := s.moveTicketContent(ctx, tx, src.ID, dst.ID); err != nil {
			return err
		}
		if err := s.closeMerged(ctx, tx, src, dst); err != nil {
			return err
		}
		dst.AwaitingRegisteredReply = dst.AwaitingRegisteredReply || src.AwaitingRegisteredReply
		if err := touchTicket(ctx, tx, dst); err != nil {
			return err
		}
		if err := recomputeTicketClocks(ctx, tx, dst.ID, cal.Calendar); err != nil {
			return err
		}
		if err := audit(ctx, tx, "merge", "ticket", src.ID, map[string]string{"number": src.Number}, map[string]string{"merged_into": dst.Number}); err != nil {
			return err
		}
		if err := reindex(ctx, tx, src.ID, dst.ID); err != nil {
			return err
		}
		if dst, err = findTicket(ctx, tx, dst.ID); err != nil {
			return err
		}
		out, err = s.ticketView(ctx, tx, dst)
		return err
	})
	return out, wrap("merge ticket", err)
}

func mergePair(ctx context.Context, tx *Tx, idOrNumber, into string) (*ticketRow, *ticketRow, error) {
	src, err := findTicket(ctx, tx, idOrNumber)
	if err != nil {
		return nil, nil, err
	}
	dst, err := findTicket(ctx, tx, into)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return nil, nil, guichet.Invalid("into", fmt.Sprintf("no ticket %q", into))
	} else if err != nil {
		return nil, nil, err
	}
	switch {
	case src.ID == dst.ID:
		return nil, nil, guichet.Invalid("into", "a ticket cannot be merged into itself")
	case src.Status == string(guichet.StatusClosed) || dst.Status == string(guichet.StatusClosed):
		return nil, nil, guichet.Errorf(guichet.ECONFLICT, "only open tickets merge: %s is %s, %s is %s", src.Number, src.Status, dst.Number, dst.Status)
	}
	return src, dst, nil
}

// moveTicketContent moves events, clocks, dev tickets, notifications,
// attachments, outgoing mail and links from one ticket to another; a link between the two
// is dropped.
func (s *Store) moveTicketContent(ctx context.Context, tx *Tx, from, to string) error {
	if err := s.dropDuplicateAttachments(ctx, tx, from, to); err != nil {
		return err
	}
	for _, table := range []string{"ticket_events", "ticket_clocks", "dev_tickets", "client_notifications", "agent_notifications", "attachments", "mail_outbox"} {
		if _, err := tx.NewUpdate().Table(table).Set("ticket_id = ?", to).Where("ticket_id = ?", from).Exec(ctx); err != nil {
			return fmt.Errorf("move %s: %w", table, err)
		}
	}
	if _, err := tx.NewDelete().Model((*linkRow)(nil)).
		Where("(ticket_id = ? AND other_id = ?) OR (ticket_id = ? AND other_id = ?)", from, to, to, from).Exec(ctx); err != nil {
		return err
	}
	var links []linkRow
	if err := tx.NewSelect().Model(&links).Where("ticket_id = ?", from).Scan(ctx); err != nil {
		return err
	}
	if len(links) == 0 {
		return nil
	}
	moved := make([]linkRow, 0, 2*len(links))
	for _, l := range links {
		moved = append(moved, linkRow{TicketID: to, OtherID: l.OtherID, Relation: l.Relation, CreatedAt: l.CreatedAt},
			linkRow{TicketID: l.OtherID, OtherID: to, Relation: inverse[l.Relation], CreatedAt: l.CreatedAt})
	}
	if _, err := tx.NewDelete().Model((*linkRow)(nil)).Where("ticket_id = ? OR other_id = ?", from, from).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewInsert().Model(&moved).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// dropDuplicateAttachments deletes the attachments of from whose bytes the
// survivor already has, and their blobs once the merge has committed.
func (s *Store) dropDuplicateAttachments(ctx context.Context, tx *Tx, from, to string) error {
	var keys []string
	err := tx.NewDelete().Model((*attachmentRow)(nil)).Where("ticket_id = ?", from).
		Where("sha256 IN (SELECT sha256 FROM attachments WHERE ticket_id = ?)", to).Returning("blob_key").Scan(ctx, &keys)
	if err != nil {
		return err
	}
	if keys, err = unusedBlobs(ctx, tx, keys); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		for _, k := range keys {
			if err := s.opts.Blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
				s.log.Warn("delete merged duplicate blob", "key", k, "error", err)
			}
		}
	})
	return nil
}

// closeMerged closes the merged ticket in its procedure's final state,
// pointing to the survivor, with a merge event on both timelines.
func (s *Store) closeMerged(ctx context.Context, tx *Tx, src, dst *ticketRow) error {
	def, err := s.definition(ctx, tx, src.ProcedureID)
	if err != nil {
		return err
	}
	src.State, src.Status, src.MergedIntoID, src.ClosedAt = finalState(def), string(guichet.StatusClosed), &dst.ID, &tx.Now
	src.DueAt = nil
	if _, err := tx.NewUpdate().Model(src).Column("state", "status", "merged_into_id", "closed_at", "due_at").
		WherePK().Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*waitRow)(nil)).Set("ended_at = ?", tx.Now).
		Where("ticket_id = ? AND ended_at IS NULL", src.ID).Exec(ctx); err != nil {
		return err
	}
	links := []linkRow{{TicketID: src.ID, OtherID: dst.ID, Relation: guichet.RelationMergedInto, CreatedAt: tx.Now},
		{TicketID: dst.ID, OtherID: src.ID, Relation: guichet.RelationMergedFrom, CreatedAt: tx.Now}}
	evSrc := newEvent(ctx, tx, src.ID, guichet.EventMerge, false, "", map[string]any{"merged_into": dst.ID, "number": dst.Number})
	evDst := newEvent(ctx, tx, dst.ID, guichet.EventMerge, false, "", map[string]any{"merged_from": src.ID, "number": src.Number})
	return tx.execAll(ctx, tx.NewInsert().Model(&links), tx.NewInsert().Model(evSrc), tx.NewInsert().Model(evDst))
}

// reindex recomputes the search documents of tickets whose timeline
// changed.
func reindex(ctx context.Context, tx *Tx, ids ...string) error {
	for _, id := range ids {
		if err := indexTicket(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

func finalState(def *procedure.Definition) string {
	for _, st := range def.States {
		if st.Final {
			return st.Name
		}
	}
	return def.Initial
}

// SplitTicket opens a new ticket for a second subject of this one: same
// channel, contact, organisation, file reference, assignee and reception
// time, a response clock when this ticket has one open, the listed events
// moved to it, and split links both ways. ifMatch is this ticket's version.
func (s *Store) SplitTicket(ctx context.Context, idOrNumber string, ifMatch int, in guichet.TicketSplit) (guichet.Ticket, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Ticket{}, err
	}
	cal, pols, mapping, err := s.settings(ctx)
	if err == nil {
		err = s.ensureSequences(ctx)
	}
	if err != nil {
		return guichet.Ticket{}, wrap("split ticket", err)
	}
	var out guichet.Ticket
	err = s.inTx(ctx, func(tx *Tx) error {
		src, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		if src.Status == string(guichet.StatusClosed) {
			return guichet.Errorf(guichet.ECONFLICT, "ticket %s is closed", src.Number)
		}
		if err := claimVersion(ctx, tx, src, ifMatch); err != nil {
			return err
		}
		create, err := splitCreate(ctx, tx, src, in)
		if err != nil {
			return err
		}
		row, err := newTicketRow(create, tx.Now)
		if err != nil {
			return err
		}
		row.CreatedBy = nullable(c.Agent.ID)
		procID, def, err := s.procedureFor(ctx, tx, mapping.Mapping[in.Category])
		if err != nil {
			return err
		}
		row.ProcedureID, row.State, row.Status = procID, def.Initial, string(statusOf(def, def.Initial))
		if err := s.insertTicket(ctx, tx, row, create, cal.Calendar, pols, def); err != nil {
			return err
		}
		if err := moveEvents(ctx, tx, src.ID, row.ID, in.EventIDs); err != nil {
			return err
		}
		if err := splitLinks(ctx, tx, src, row); err != nil {
			return err
		}
		if err := audit(ctx, tx, "split", "ticket", src.ID, nil, map[string]string{"split_into": row.Number}); err != nil {
			return err
		}
		if err := reindex(ctx, tx, src.ID, row.ID); err != nil {
			return err
		}
		out, err = s.ticketView(ctx, tx, row)
		return err
	})
	return out, wrap("split ticket", err)
}

// splitCreate describes the new ticket from the one being split.
func splitCreate(ctx context.Context, db bun.IDB, src *ticketRow, in guichet.TicketSplit) (guichet.TicketCreate, error) {
	if !in.Category.Valid() {
		return guichet.TicketCreate{}, guichet.Invalid("category", "unknown category")
	}
	open, err := db.NewSelect().Model((*clockRow)(nil)).
		Where("ticket_id = ? AND kind = ? AND closed_at IS NULL", src.ID, clockResponse).Exists(ctx)
	if err != nil {
		return guichet.TicketCreate{}, err
	}
	received := src.ReceivedAt
	return guichet.TicketCreate{Subject: in.Subject, Description: in.Description, Channel: guichet.Channel(src.Channel),
		Category: in.Category, Urgency: guichet.Urgency(src.Urgency), AssigneeID: deref(src.AssigneeID),
		ContactID: deref(src.ContactID), OrganisationID: deref(src.OrganisationID), FileReference: src.FileReference,
		ReceivedAt: &received, NeedsAnswer: &open,
		RequestedByIntervenantID: deref(src.RequestedByIntervenantID), Works: splitWorks(src, in.Category)}, nil
}

// moveEvents moves the listed events of one ticket to another; each must
// belong to the first and not be its creation.
func moveEvents(ctx context.Context, tx *Tx, from, to string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		if !validID(id) {
			return guichet.Invalid("event_ids", fmt.Sprintf("%q is not an event id", id))
		}
	}
	res, err := tx.NewUpdate().Model((*eventRow)(nil)).Set("ticket_id = ?", to).
		Where("ticket_id = ? AND kind <> ? AND id IN (?)", from, guichet.EventCreated, bun.List(ids)).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); int(n) != len(ids) {
		return guichet.Invalid("event_ids", "every event must be one of this ticket's, and not its creation")
	}
	return nil
}

func splitLinks(ctx context.Context, tx *Tx, src, dst *ticketRow) error {
	links := []linkRow{{TicketID: src.ID, OtherID: dst.ID, Relation: guichet.RelationSplitInto, CreatedAt: tx.Now},
		{TicketID: dst.ID, OtherID: src.ID, Relation: guichet.RelationSplitFrom, CreatedAt: tx.Now}}
	ev := newEvent(ctx, tx, src.ID, guichet.EventSplit, false, dst.Subject, map[string]any{"split_into": dst.ID, "number": dst.Number})
	evNew := newEvent(ctx, tx, dst.ID, guichet.EventSplit, false, "", map[string]any{"split_from": src.ID, "number": src.Number})
	return tx.execAll(ctx, tx.NewInsert().Model(&links), tx.NewInsert().Model(ev), tx.NewInsert().Model(evNew))
}
