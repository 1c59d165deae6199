package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// ListInteractions pages a book (or every book) newest first: occurred_at
// then id, each filter an index walk in that order.
func (s *Store) ListInteractions(ctx context.Context, f guichet.InteractionFilter) (guichet.Page[guichet.Interaction], error) {
	var page guichet.Page[guichet.Interaction]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return page, err
	}
	q, err := filterInteractions(s.db.read.NewSelect().Model((*interactionRow)(nil)), f)
	if err != nil {
		return page, err
	}
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, "book", &cur); err != nil {
		return page, err
	}
	if cur.ID != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			return page, badCursor()
		}
		q = q.Where("occurred_at <= ?", at).Where("(occurred_at < ? OR (occurred_at = ? AND id < ?))", at, at, cur.ID)
	}
	var rows []interactionRow
	n := f.Page.Size()
	if err := q.OrderExpr("occurred_at DESC, id DESC").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list interactions", err)
	}
	if len(rows) > n {
		last := rows[n-1]
		page.NextCursor = encodeCursor("book", last.OccurredAt.UTC().Format(time.RFC3339Nano), last.ID)
		rows = rows[:n]
	}
	page.Items, err = s.interactionPage(ctx, rows, f.Names)
	return page, wrap("list interactions", err)
}

func filterInteractions(q *bun.SelectQuery, f guichet.InteractionFilter) (*bun.SelectQuery, error) {
	eq := []struct{ col, v string }{{"kind", string(f.Kind)}, {"agent_id", f.AgentID}, {"contact_id", f.ContactID},
		{"intervenant_id", f.IntervenantID}, {"outcome", string(f.Outcome)}, {"letter_status", string(f.Status)}}
	for _, e := range eq {
		if e.v == "" {
			continue
		}
		if strings.HasSuffix(e.col, "_id") && !validID(e.v) {
			return nil, guichet.Invalid(e.col, "not a valid id")
		}
		q = q.Where("? = ?", bun.Ident(e.col), e.v)
	}
	if f.Unconfirmed != nil {
		q = q.Where("unconfirmed = ?", *f.Unconfirmed)
	}
	if f.MandateFlagged != nil {
		q = q.Where("mandate_flagged = ?", *f.MandateFlagged)
	}
	if f.From != nil {
		q = q.Where("occurred_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		if f.From != nil && !f.To.After(*f.From) {
			return nil, guichet.Invalid("to", "must be after from")
		}
		q = q.Where("occurred_at < ?", f.To.UTC())
	}
	return q, nil
}

// interactionPage returns the page's entries with their tickets and, for
// exports, the names of their agents and contacts: one query each.
func (s *Store) interactionPage(ctx context.Context, rows []interactionRow, names bool) ([]guichet.Interaction, error) {
	out := make([]guichet.Interaction, len(rows))
	ids := make([]string, len(rows))
	for i := range rows {
		out[i], ids[i] = rows[i].domain(), rows[i].ID
	}
	tickets, err := loadInteractionTickets(ctx, s.db.read, ids)
	if err != nil {
		return nil, err
	}
	messages, err := loadInteractionMessages(ctx, s.db.read, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Tickets = nonNil(tickets[out[i].ID])
		out[i].MessageIDs = messages[out[i].ID]
	}
	if names {
		err = s.fillNames(ctx, out)
	}
	return out, err
}

// fillNames sets AgentName and ContactName.
func (s *Store) fillNames(ctx context.Context, items []guichet.Interaction) error {
	agentIDs, contactIDs := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		agentIDs[it.AgentID] = true
		if it.ContactID != "" {
			contactIDs[it.ContactID] = true
		}
	}
	agents := map[string]string{}
	if len(agentIDs) > 0 {
		var rows []agentRow
		if err := s.db.read.NewSelect().Model(&rows).Column("id", "display_name").Where("id IN (?)", bun.List(keysOf(agentIDs))).Scan(ctx); err != nil {
			return fmt.Errorf("agent names: %w", err)
		}
		for _, r := range rows {
			agents[r.ID] = r.DisplayName
		}
	}
	contacts := map[string]string{}
	if len(contactIDs) > 0 {
		var rows []contactRow
		if err := s.db.read.NewSelect().Model(&rows).Column("id", "first_name", "last_name", "email", "phone").
			Where("id IN (?)", bun.List(keysOf(contactIDs))).Scan(ctx); err != nil {
			return fmt.Errorf("contact names: %w", err)
		}
		for _, r := range rows {
			d := r.domain()
			contacts[r.ID] = d.DisplayName()
		}
	}
	for i := range items {
		items[i].AgentName, items[i].ContactName = agents[items[i].AgentID], contacts[items[i].ContactID]
	}
	return nil
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// ConfirmInteraction confirms an oral exchange in writing: on a ticket's
// timeline (a public oral_confirmation event), or as an event of the
// interaction itself.
func (s *Store) ConfirmInteraction(ctx context.Context, id string, in guichet.ConfirmationCreate) (guichet.Interaction, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeReceptionWrite, receptionWriters...); err != nil {
		return guichet.Interaction{}, err
	}
	if in.TicketID != "" {
		if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
			return guichet.Interaction{}, err
		}
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return guichet.Interaction{}, guichet.Invalid("text", "must not be empty")
	}
	var out guichet.Interaction
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := loadInteraction(ctx, tx, "", id)
		if err != nil {
			return err
		}
		before := row.domain()
		if err := checkConfirmable(&row); err != nil {
			return err
		}
		if in.TicketID != "" {
			if err := confirmOnTicket(ctx, tx, &row, in.TicketID, text); err != nil {
				return err
			}
		}
		row.ConfirmedAt, row.ConfirmedBy, row.ConfirmationText, row.Unconfirmed = &tx.Now, nullable(c.Agent.ID), text, false
		if err := saveInteraction(ctx, tx, &row); err != nil {
			return err
		}
		if out, err = interactionView(ctx, tx, &row); err != nil {
			return err
		}
		return audit(ctx, tx, "confirm", "interaction", row.ID, before, out)
	})
	return out, wrap("confirm interaction", err)
}

func checkConfirmable(row *interactionRow) error {
	if !row.NeedsConfirmation {
		why := "only calls and visits that are not a simple orientation need one"
		return &guichet.Error{Code: guichet.EINVALID, Message: "this " + strings.ReplaceAll(row.Kind, "_", " ") + " needs no written confirmation: " + why,
			Fields: []guichet.FieldError{{Field: "interaction", Message: why}}}
	}
	if row.ConfirmedAt != nil {
		return guichet.Errorf(guichet.ECONFLICT, "this %s was already confirmed in writing on %s", row.Kind, row.ConfirmedAt.In(paris).Format("02/01/2006 15:04"))
	}
	return nil
}

// confirmOnTicket writes the confirmation on the ticket's timeline and
// attaches the ticket to the interaction.
func confirmOnTicket(ctx context.Context, tx *Tx, row *interactionRow, ticketID, text string) error {
	t, err := findTicket(ctx, tx, ticketID)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return guichet.Invalid("ticket_id", "no such ticket")
	} else if err != nil {
		return err
	}
	_, err = addEvent(ctx, tx, t.ID, guichet.EventOralConfirmation, false, text, map[string]any{"interaction_id": row.ID,
		"kind": row.Kind, "occurred_at": row.OccurredAt, "agent_id": row.AgentID, "outcome": row.Outcome})
	if err != nil {
		return err
	}
	link := &interactionTicketRow{InteractionID: row.ID, TicketID: t.ID, CreatedAt: tx.Now}
	if _, err := tx.NewInsert().Model(link).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("link interaction ticket: %w", err)
	}
	row.ConfirmationTicketID = &t.ID
	return indexTicket(ctx, tx, t.ID)
}
