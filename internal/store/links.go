package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type linkRow struct {
	bun.BaseModel `bun:"table:ticket_links,alias:link"`

	TicketID  string    `bun:"ticket_id,pk"`
	OtherID   string    `bun:"other_id,pk"`
	Relation  string    `bun:"relation,pk"`
	CreatedAt time.Time `bun:"created_at"`
}

// inverse is the relation seen from the other ticket.
var inverse = map[string]string{
	guichet.RelationTrackedBy: guichet.RelationTracks, guichet.RelationTracks: guichet.RelationTrackedBy,
	guichet.RelationRelated:    guichet.RelationRelated,
	guichet.RelationMergedInto: guichet.RelationMergedFrom, guichet.RelationMergedFrom: guichet.RelationMergedInto,
	guichet.RelationSplitFrom: guichet.RelationSplitInto, guichet.RelationSplitInto: guichet.RelationSplitFrom,
}

// linkTickets links ticketID to the ticket other (id or number) both
// ways and records it on both timelines; field names the input for errors.
func linkTickets(ctx context.Context, tx *Tx, ticketID, other, relation, field string) error {
	target, err := findTicket(ctx, tx, other)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return guichet.Invalid(field, fmt.Sprintf("no ticket %q", other))
	} else if err != nil {
		return err
	}
	if target.ID == ticketID {
		return guichet.Invalid(field, "a ticket cannot be linked to itself")
	}
	rows := []linkRow{
		{TicketID: ticketID, OtherID: target.ID, Relation: relation, CreatedAt: tx.Now},
		{TicketID: target.ID, OtherID: ticketID, Relation: inverse[relation], CreatedAt: tx.Now},
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("link tickets: %w", err)
	}
	ev := newEvent(ctx, tx, ticketID, guichet.EventLink, false, "", map[string]any{"ticket_id": target.ID, "number": target.Number, "relation": relation})
	back := newEvent(ctx, tx, target.ID, guichet.EventLink, false, "", map[string]any{"ticket_id": ticketID, "relation": inverse[relation]})
	return tx.execAll(ctx, tx.NewInsert().Model(ev), tx.NewInsert().Model(back))
}

// loadLinks returns a ticket's links with the other tickets' numbers.
func loadLinks(ctx context.Context, db bun.IDB, ticketID string) ([]guichet.TicketLink, error) {
	out := []guichet.TicketLink{}
	err := db.NewSelect().TableExpr("ticket_links AS link").
		ColumnExpr("link.other_id AS ticket_id, t.number, link.relation").
		Join("JOIN tickets AS t ON t.id = link.other_id").
		Where("link.ticket_id = ?", ticketID).OrderExpr("link.created_at, t.seq").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("load links: %w", err)
	}
	return out, nil
}
