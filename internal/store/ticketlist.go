package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// Ticket list orders; each is one index walk (seq, or (due_at, seq)).
const (
	ticketsNewest = "-created"
	ticketsOldest = "created"
	ticketsByDue  = "due"
)

// ListTickets lists tickets matching the filter, in an order that uses an
// index, one page at a time.
func (s *Store) ListTickets(ctx context.Context, f guichet.TicketFilter) (guichet.Page[guichet.Ticket], error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.Page[guichet.Ticket]{}, err
	}
	if f.Sort == "" {
		f.Sort = ticketsNewest
	}
	order := "tickets:" + f.Sort
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, order, &cur); err != nil {
		return guichet.Page[guichet.Ticket]{}, err
	}
	q := s.db.read.NewSelect().Model((*ticketRow)(nil))
	q, err := s.filterTickets(q, f)
	if err != nil {
		return guichet.Page[guichet.Ticket]{}, err
	}
	if f.Query != "" {
		if q, err = s.searchTickets(ctx, q, f, cur); err != nil {
			return guichet.Page[guichet.Ticket]{}, err
		}
	}
	if q, err = pageTickets(q, f.Sort, cur); err != nil {
		return guichet.Page[guichet.Ticket]{}, err
	}
	var rows []ticketRow
	if err := q.Limit(f.Page.Size()+1).Scan(ctx, &rows); err != nil {
		return guichet.Page[guichet.Ticket]{}, wrap("list tickets", err)
	}
	return s.ticketPage(ctx, rows, f.Page.Size(), order, f.Sort)
}

func (s *Store) filterTickets(q *bun.SelectQuery, f guichet.TicketFilter) (*bun.SelectQuery, error) {
	eq := []struct {
		col, v string
		id     bool
	}{{"status", string(f.Status), false}, {"state", f.State, false}, {"channel", string(f.Channel), false},
		{"category", string(f.Category), false}, {"assignee_id", f.AssigneeID, true}, {"contact_id", f.ContactID, true},
		{"organisation_id", f.OrganisationID, true}}
	for _, e := range eq {
		if e.v == "" {
			continue
		}
		if e.id && !validID(e.v) {
			return nil, guichet.Invalid(e.col, "not a valid id")
		}
		q = q.Where("? = ?", bun.Ident(e.col), e.v)
	}
	if f.Level != 0 {
		q = q.Where("level = ?", f.Level)
	}
	now := s.now()
	if f.Overdue != nil && *f.Overdue {
		q = q.Where("status = ? AND due_at < ?", guichet.StatusOpen, now)
	} else if f.Overdue != nil {
		q = q.Where("(status <> ? OR due_at IS NULL OR due_at >= ?)", guichet.StatusOpen, now)
	}
	if f.DueBefore != nil {
		q = q.Where("due_at < ?", f.DueBefore.UTC())
	}
	return q, nil
}

// pageTickets orders q and applies the cursor: seq for creation order,
// (due_at, seq) for due order (tickets without a due date are left out).
func pageTickets(q *bun.SelectQuery, sort string, cur cursor) (*bun.SelectQuery, error) {
	var seq int64
	if cur.Key != "" {
		k := cur.Key
		if sort == ticketsByDue {
			_, k, _ = strings.Cut(k, "|")
		}
		var err error
		if seq, err = strconv.ParseInt(k, 10, 64); err != nil {
			return nil, badCursor()
		}
	}
	switch sort {
	case ticketsNewest:
		if cur.Key != "" {
			q = q.Where("seq < ?", seq)
		}
		return q.Order("seq DESC"), nil
	case ticketsOldest:
		if cur.Key != "" {
			q = q.Where("seq > ?", seq)
		}
		return q.Order("seq"), nil
	}
	q = q.Where("due_at IS NOT NULL")
	if cur.Key != "" {
		due, _, _ := strings.Cut(cur.Key, "|")
		at, err := time.Parse(time.RFC3339Nano, due)
		if err != nil {
			return nil, badCursor()
		}
		q = q.Where("due_at >= ?", at).Where("(due_at > ? OR seq > ?)", at, seq)
	}
	return q.Order("due_at", "seq"), nil
}

func (s *Store) ticketPage(ctx context.Context, rows []ticketRow, n int, order, sort string) (guichet.Page[guichet.Ticket], error) {
	out := guichet.Page[guichet.Ticket]{Items: make([]guichet.Ticket, 0, min(len(rows), n))}
	for i := range rows {
		if i == n {
			last := rows[n-1]
			key := strconv.FormatInt(last.Seq, 10)
			if sort == ticketsByDue {
				key = last.DueAt.UTC().Format(time.RFC3339Nano) + "|" + key
			}
			out.NextCursor = encodeCursor(order, key, last.ID)
			break
		}
		def, err := s.definition(ctx, s.db.read, rows[i].ProcedureID)
		if err != nil {
			return out, wrap("list tickets", err)
		}
		t := rows[i].domain(guichet.ProcedureRef{Code: def.Code, Version: def.Version})
		out.Items = append(out.Items, t)
	}
	return out, s.attachLinks(ctx, out.Items)
}

// attachLinks loads the links of a page of tickets in one query.
func (s *Store) attachLinks(ctx context.Context, items []guichet.Ticket) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	for i, t := range items {
		ids[i] = t.ID
	}
	var links []struct {
		From     string `bun:"from_id"`
		TicketID string `bun:"ticket_id"`
		Number   string `bun:"number"`
		Relation string `bun:"relation"`
	}
	err := s.db.read.NewSelect().TableExpr("ticket_links AS link").
		ColumnExpr("link.ticket_id AS from_id, link.other_id AS ticket_id, t.number, link.relation").
		Join("JOIN tickets AS t ON t.id = link.other_id").Where("link.ticket_id IN (?)", bun.List(ids)).
		OrderExpr("link.created_at, t.seq").Scan(ctx, &links)
	if err != nil {
		return wrap("list tickets", err)
	}
	byID := make(map[string]int, len(items))
	for i, t := range items {
		byID[t.ID] = i
	}
	for _, l := range links {
		t := &items[byID[l.From]]
		t.Links = append(t.Links, guichet.TicketLink{TicketID: l.TicketID, Number: l.Number, Relation: l.Relation})
	}
	return nil
}

// UpdateTicket changes a ticket's fields when ifMatch is its version. The
// category changes only in the procedure's initial state and to a category
// of the same procedure (ECONFLICT otherwise); a new assignee is told.
func (s *Store) UpdateTicket(ctx context.Context, idOrNumber string, ifMatch int, in guichet.TicketUpdate) (guichet.Ticket, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Ticket{}, err
	}
	_, _, mapping, err := s.settings(ctx)
	if err != nil {
		return guichet.Ticket{}, wrap("update ticket", err)
	}
	var out guichet.Ticket
	var rowForRefs ticketRow
	err = s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		before := *row
		defer func() { rowForRefs = *row }()
		if err := claimVersion(ctx, tx, row, ifMatch); err != nil {
			return err
		}
		def, err := s.definition(ctx, tx, row.ProcedureID)
		if err != nil {
			return err
		}
		if in.Category != nil && string(*in.Category) != row.Category {
			if row.State != def.Initial || mapping.Mapping[*in.Category] != def.Code {
				return guichet.Errorf(guichet.ECONFLICT, "the category can change only before the procedure starts, to a category of the same procedure (%s)", def.Code)
			}
		}
		if err := applyTicketUpdate(row, in); err != nil {
			return err
		}
		if err := s.recheckMandate(ctx, tx, &before, row); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(row).ExcludeColumn("id", "seq", "number", "procedure_id", "created_at", "created_by").
			WherePK().Exec(ctx); isForeignKeyViolation(err) {
			return errMissingReference
		} else if err != nil {
			return err
		}
		if row.Subject != before.Subject || row.Description != before.Description {
			if err := indexTicket(ctx, tx, row.ID); err != nil {
				return err
			}
		}
		if err := s.afterUpdate(ctx, tx, &before, row); err != nil {
			return err
		}
		proc := guichet.ProcedureRef{Code: def.Code, Version: def.Version}
		if err := audit(ctx, tx, "update", "ticket", row.ID, before.domain(proc), row.domain(proc)); err != nil {
			return err
		}
		out, err = s.ticketView(ctx, tx, row)
		return err
	})
	if errors.Is(err, errMissingReference) {
		err = missingReference(ctx, s.db.read, &rowForRefs)
	}
	return out, wrap("update ticket", err)
}

func applyTicketUpdate(row *ticketRow, in guichet.TicketUpdate) error {
	if in.Subject != nil {
		if strings.TrimSpace(*in.Subject) == "" {
			return guichet.Invalid("subject", "must not be empty")
		}
		row.Subject = strings.TrimSpace(*in.Subject)
	}
	setString(&row.Description, in.Description)
	setString(&row.FileReference, in.FileReference)
	if in.Category != nil {
		row.Category = string(*in.Category)
	}
	if in.Urgency != nil {
		row.Urgency = string(*in.Urgency)
	}
	for _, ref := range []struct {
		field string
		dst   **string
		v     *string
	}{{"assignee_id", &row.AssigneeID, in.AssigneeID}, {"contact_id", &row.ContactID, in.ContactID}, {"organisation_id", &row.OrganisationID, in.OrganisationID}} {
		if ref.v == nil {
			continue
		}
		if *ref.v != "" && !validID(*ref.v) {
			return guichet.Invalid(ref.field, "not a valid id")
		}
		*ref.dst = nullable(*ref.v)
	}
	if in.Tags != nil {
		b, _ := json.Marshal(nonNil(*in.Tags))
		row.Tags = string(b)
	}
	if in.ExternalLinks != nil {
		b, _ := json.Marshal(nonNil(*in.ExternalLinks))
		row.ExternalLinks = string(b)
	}
	return nil
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

// afterUpdate records what changed on the timeline and tells a new
// assignee.
func (s *Store) afterUpdate(ctx context.Context, tx *Tx, before, after *ticketRow) error {
	if deref(before.AssigneeID) != deref(after.AssigneeID) {
		if _, err := addEvent(ctx, tx, after.ID, guichet.EventAssignment, false, "", map[string]any{
			"from": deref(before.AssigneeID), "to": deref(after.AssigneeID)}); err != nil {
			return err
		}
		if after.AssigneeID != nil && *after.AssigneeID != guichet.CallerFrom(ctx).Agent.ID {
			msg := "Le ticket " + after.Number + " vous est attribué : " + after.Subject
			if err := notifyAgent(ctx, tx, *after.AssigneeID, after.ID, "assignment", msg); err != nil {
				return err
			}
		}
	}
	_, err := addEvent(ctx, tx, after.ID, guichet.EventUpdate, false, "", map[string]any{"version": after.Version})
	return err
}
