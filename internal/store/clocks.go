package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
)

// Clock kinds Guichet opens itself.
const (
	clockResponse = "response"
	clockDev      = "dev"
)

type clockRow struct {
	bun.BaseModel `bun:"table:ticket_clocks,alias:clock"`

	ID          string     `bun:"id,pk"`
	TicketID    string     `bun:"ticket_id"`
	Kind        string     `bun:"kind"`
	Channel     string     `bun:"channel"`
	Registered  bool       `bun:"registered"`
	StartedAt   time.Time  `bun:"started_at"`
	Policy      string     `bun:"policy"` // calendar.Policy as JSON; "" for a fixed due date
	DueAt       *time.Time `bun:"due_at"`
	Explanation string     `bun:"explanation"`
	ClosedAt    *time.Time `bun:"closed_at"`
	CreatedAt   time.Time  `bun:"created_at"`
}

func (r *clockRow) domain() guichet.Clock {
	return guichet.Clock{ID: r.ID, Kind: r.Kind, Channel: guichet.Channel(r.Channel), StartedAt: r.StartedAt,
		DueAt: r.DueAt, Explanation: json.RawMessage(r.Explanation), ClosedAt: r.ClosedAt}
}

type waitRow struct {
	bun.BaseModel `bun:"table:ticket_waits,alias:wait"`

	ID        string     `bun:"id,pk"`
	TicketID  string     `bun:"ticket_id"`
	StartedAt time.Time  `bun:"started_at"`
	EndedAt   *time.Time `bun:"ended_at"`
}

// fixedExplanation explains a due date given by an agent, not computed.
type fixedExplanation struct {
	Fixed   time.Time `json:"fixed"`
	Comment string    `json:"comment"`
}

// newClock computes a clock's due date by policy from start, given the
// ticket's waits (an open wait leaves it without a due date).
func newClock(tx *Tx, ticketID, kind string, ch guichet.Channel, start time.Time, pol calendar.Policy,
	cal calendar.Calendar, waits []waitRow) (*clockRow, error) {
	b, err := json.Marshal(pol)
	if err != nil {
		return nil, err
	}
	c := &clockRow{ID: newID(), TicketID: ticketID, Kind: kind, Channel: string(ch), StartedAt: start,
		Policy: string(b), CreatedAt: tx.Now}
	return c, c.compute(cal, waits)
}

// fixedClock is a clock due at a date an agent gave.
func fixedClock(tx *Tx, ticketID, kind string, due time.Time, why string) *clockRow {
	b, _ := json.Marshal(fixedExplanation{Fixed: due, Comment: why})
	return &clockRow{ID: newID(), TicketID: ticketID, Kind: kind, StartedAt: tx.Now, DueAt: &due,
		Explanation: string(b), CreatedAt: tx.Now}
}

// compute sets the due date and its explanation; fixed clocks keep theirs.
func (c *clockRow) compute(cal calendar.Calendar, waits []waitRow) error {
	if c.Policy == "" {
		return nil
	}
	var pol calendar.Policy
	if err := json.Unmarshal([]byte(c.Policy), &pol); err != nil {
		return fmt.Errorf("clock %s policy: %w", c.ID, err)
	}
	due, err := cal.Due(c.StartedAt, pol, pauses(waits))
	if err != nil {
		return fmt.Errorf("clock %s: %w", c.ID, err)
	}
	b, err := json.Marshal(due)
	if err != nil {
		return err
	}
	c.Explanation, c.DueAt = string(b), nil
	if !due.Paused {
		at := due.At.UTC()
		c.DueAt = &at
	}
	return nil
}

func pauses(waits []waitRow) []calendar.Pause {
	out := make([]calendar.Pause, 0, len(waits))
	for _, w := range waits {
		p := calendar.Pause{From: w.StartedAt}
		if w.EndedAt != nil {
			p.To = *w.EndedAt
		}
		out = append(out, p)
	}
	return out
}

func loadWaits(ctx context.Context, db bun.IDB, ticketID string) ([]waitRow, error) {
	var waits []waitRow
	err := db.NewSelect().Model(&waits).Where("ticket_id = ?", ticketID).Order("started_at").Scan(ctx)
	return waits, err
}

// recomputeTicketClocks recomputes the open clocks of a ticket (after a
// wait began or ended) and its due date.
func recomputeTicketClocks(ctx context.Context, tx *Tx, ticketID string, cal calendar.Calendar) error {
	var clocks []clockRow
	if err := tx.NewSelect().Model(&clocks).Where("ticket_id = ? AND closed_at IS NULL", ticketID).Scan(ctx); err != nil {
		return err
	}
	waits, err := loadWaits(ctx, tx, ticketID)
	if err != nil {
		return err
	}
	for i := range clocks {
		if err := saveComputed(ctx, tx, &clocks[i], cal, waits); err != nil {
			return err
		}
	}
	return refreshDue(ctx, tx, ticketID)
}

func saveComputed(ctx context.Context, tx *Tx, c *clockRow, cal calendar.Calendar, waits []waitRow) error {
	if err := c.compute(cal, waits); err != nil {
		return err
	}
	_, err := tx.NewUpdate().Model(c).Column("due_at", "explanation").WherePK().Exec(ctx)
	return err
}

// recomputeOpenClocks recomputes every open clock after a calendar change,
// ticket by ticket, and returns how many due dates moved.
func recomputeOpenClocks(ctx context.Context, tx *Tx, cal calendar.Calendar) (int, error) {
	var clocks []clockRow
	if err := tx.NewSelect().Model(&clocks).Where("closed_at IS NULL AND policy <> ''").Order("ticket_id").Scan(ctx); err != nil {
		return 0, err
	}
	moved := 0
	var waits []waitRow
	for i := range clocks {
		c := &clocks[i]
		if i == 0 || clocks[i-1].TicketID != c.TicketID {
			var err error
			if waits, err = loadWaits(ctx, tx, c.TicketID); err != nil {
				return 0, err
			}
		}
		before := c.DueAt
		if err := saveComputed(ctx, tx, c, cal, waits); err != nil {
			return 0, err
		}
		if !sameTime(before, c.DueAt) {
			moved++
		}
		if i == len(clocks)-1 || clocks[i+1].TicketID != c.TicketID {
			if err := refreshDue(ctx, tx, c.TicketID); err != nil {
				return 0, err
			}
		}
	}
	return moved, nil
}

func sameTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

// refreshDue sets the ticket's due date to its earliest open clock.
func refreshDue(ctx context.Context, tx *Tx, ticketID string) error {
	_, err := tx.NewUpdate().Table("tickets").
		Set("due_at = (SELECT MIN(due_at) FROM ticket_clocks WHERE ticket_id = ? AND closed_at IS NULL)", ticketID).
		Where("id = ?", ticketID).Exec(ctx)
	return err
}

// closeClocks closes the open clocks of a ticket of the kind ("" for all)
// and returns how many it closed. With responseOnly unregistered, a
// registered letter's clock stays open.
func closeClocks(ctx context.Context, tx *Tx, ticketID, kind string, keepRegistered bool) (int, error) {
	q := tx.NewUpdate().Model((*clockRow)(nil)).Set("closed_at = ?", tx.Now).
		Where("ticket_id = ? AND closed_at IS NULL", ticketID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if keepRegistered {
		q = q.Where("registered = ?", false)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
