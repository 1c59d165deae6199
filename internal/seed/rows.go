package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

// The rows, as the store's migrations define them (the columns left out
// take their default, NULL or the column's DEFAULT).

type ticketRow struct {
	bun.BaseModel `bun:"table:tickets"`

	ID                      string     `bun:"id"`
	Seq                     int64      `bun:"seq"`
	Number                  string     `bun:"number"`
	Subject                 string     `bun:"subject"`
	Description             string     `bun:"description"`
	Channel                 string     `bun:"channel"`
	Category                string     `bun:"category"`
	Urgency                 string     `bun:"urgency"`
	Level                   int        `bun:"level"`
	Status                  string     `bun:"status"`
	State                   string     `bun:"state"`
	ProcedureID             string     `bun:"procedure_id"`
	AssigneeID              *string    `bun:"assignee_id"`
	FileReference           string     `bun:"file_reference"`
	Tags                    string     `bun:"tags"`
	ExternalLinks           string     `bun:"external_links"`
	DueAt                   *time.Time `bun:"due_at"`
	AwaitingRegisteredReply bool       `bun:"awaiting_registered_reply"`
	ReceivedAt              time.Time  `bun:"received_at"`
	CreatedBy               *string    `bun:"created_by"`
	Version                 int        `bun:"version"`
	CreatedAt               time.Time  `bun:"created_at"`
	UpdatedAt               time.Time  `bun:"updated_at"`
	ClosedAt                *time.Time `bun:"closed_at"`
}

type eventRow struct {
	bun.BaseModel `bun:"table:ticket_events"`

	ID        string    `bun:"id"`
	TicketID  string    `bun:"ticket_id"`
	Kind      string    `bun:"kind"`
	Internal  bool      `bun:"internal"`
	ActorID   *string   `bun:"actor_id"`
	Body      string    `bun:"body"`
	Data      string    `bun:"data"`
	CreatedAt time.Time `bun:"created_at"`
}

// createdData is the data of a "created" event, members in the order
// the store's map gives them.
type createdData struct {
	Category       string    `json:"category"`
	Channel        string    `json:"channel"`
	NeedsAnswer    bool      `json:"needs_answer"`
	Procedure      string    `json:"procedure"`
	ReceivedAt     time.Time `json:"received_at"`
	State          string    `json:"state"`
	TrackingNumber string    `json:"tracking_number"`
}

type clockRow struct {
	bun.BaseModel `bun:"table:ticket_clocks"`

	ID          string     `bun:"id"`
	TicketID    string     `bun:"ticket_id"`
	Kind        string     `bun:"kind"`
	Channel     string     `bun:"channel"`
	Registered  bool       `bun:"registered"`
	StartedAt   time.Time  `bun:"started_at"`
	Policy      string     `bun:"policy"`
	DueAt       *time.Time `bun:"due_at"`
	Explanation string     `bun:"explanation"`
	CreatedAt   time.Time  `bun:"created_at"`
}

// textRow is a search document in SQLite's FTS5 table, keyed by rowid;
// pgTextRow the same on PostgreSQL, keyed by a seq column.
type textRow struct {
	bun.BaseModel `bun:"table:ticket_texts"`

	Key    int64  `bun:"rowid"`
	Tokens string `bun:"tokens"`
}

type pgTextRow struct {
	bun.BaseModel `bun:"table:ticket_texts"`

	Key    int64  `bun:"seq"`
	Tokens string `bun:"tokens"`
}

// procedureVersion is a published procedure version.
type procedureVersion struct {
	id, code, version string
	initial, final    string // states of new and of closed tickets
}

// publishedProcedures returns the published procedure versions by code.
func publishedProcedures(ctx context.Context, db bun.IDB) (map[string]procedureVersion, error) {
	var rows []struct {
		ID         string `bun:"id"`
		Definition string `bun:"definition"`
	}
	err := db.NewSelect().Table("procedure_versions").Column("id", "definition").
		Where("status = ?", guichet.ProcedurePublished).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load procedures: %w", err)
	}
	out := make(map[string]procedureVersion, len(rows))
	for _, r := range rows {
		d, err := procedure.Parse([]byte(r.Definition))
		if err != nil {
			return nil, fmt.Errorf("procedure %s: %w", r.ID, err)
		}
		pv := procedureVersion{id: r.ID, code: d.Code, version: d.Version, initial: d.Initial}
		for _, st := range d.States {
			if st.Final && pv.final == "" {
				pv.final = st.Name
			}
		}
		if pv.final == "" {
			return nil, fmt.Errorf("procedure %s %s has no final state", d.Code, d.Version)
		}
		out[d.Code] = pv
	}
	return out, nil
}

// reserve takes n numbers of the Paris year after those given so far and
// returns the first. On SQLite the year's counter row moves by n in one
// statement. On PostgreSQL the year's sequence is set n past its next
// value, in two steps: a ticket a server created in between would take a
// number of the run, which would then fail on the unique number. Seed
// while no server creates tickets (make bench seeds before it starts one).
func reserve(ctx context.Context, db *bun.DB, postgres bool, year, n int) (int64, error) {
	var last int64
	if postgres {
		name := fmt.Sprintf("ticket_numbers_%d", year)
		if _, err := db.ExecContext(ctx, "CREATE SEQUENCE IF NOT EXISTS "+name+" AS bigint MINVALUE 1 START 1"); err != nil {
			return 0, fmt.Errorf("ticket number sequence: %w", err)
		}
		if err := db.NewRaw("SELECT setval(?, nextval(?) + ? - 1)", name, name, n).Scan(ctx, &last); err != nil {
			return 0, fmt.Errorf("reserve ticket numbers: %w", err)
		}
		return last - int64(n) + 1, nil
	}
	err := db.NewRaw(`INSERT INTO ticket_counters (year, last_seq) VALUES (?, ?)
		ON CONFLICT (year) DO UPDATE SET last_seq = ticket_counters.last_seq + excluded.last_seq RETURNING last_seq`,
		year, n).Scan(ctx, &last)
	if err != nil {
		return 0, fmt.Errorf("reserve ticket numbers: %w", err)
	}
	return last - int64(n) + 1, nil
}

// ticket adds the rows of the run's i-th ticket to bt.
func (sd *seeder) ticket(bt *batch, gen *Generator, i int) error {
	t, rng := gen.Next(), gen.Rand()
	proc := sd.procs[sd.mapping[t.Category]]
	created := sd.createdAt(i)
	row := ticketRow{ID: newID(), Seq: sd.seq(i), Number: sd.number(i), Subject: t.Subject, Description: t.Description,
		Channel: string(t.Channel), Category: string(t.Category), Urgency: string(t.Urgency), Level: 1,
		ProcedureID: proc.id, FileReference: t.FileReference, Tags: "[]", ExternalLinks: "[]",
		ReceivedAt: created.Add(-receivedLag(rng, t.Channel)).Truncate(time.Microsecond), Version: 1, CreatedAt: created, UpdatedAt: created}
	if n := len(sd.opts.Assignees); n > 0 {
		if draw(rng, 80) {
			row.AssigneeID = &sd.opts.Assignees[rng.IntN(n)]
		}
		if t.Channel != guichet.ChannelEmail {
			row.CreatedBy = &sd.opts.Assignees[rng.IntN(n)]
		}
	}
	needs := guichet.NeedsAnswerByDefault(t.Channel)
	if sd.stillOpen(rng, created) {
		row.Status, row.State = string(guichet.StatusOpen), proc.initial
		if pol, ok := sd.policies.For(proc.code, t.Channel); ok && needs {
			c, err := sd.clock(&row, pol)
			if err != nil {
				return err
			}
			row.DueAt = c.DueAt
			bt.clocks = append(bt.clocks, c)
		}
	} else {
		closed := created.Add(handlingTime(rng))
		if closed.After(sd.now) {
			closed = sd.now
		}
		row.Status, row.State, row.ClosedAt, row.UpdatedAt, row.Version = string(guichet.StatusClosed), proc.final, &closed, closed, 3
	}
	data, err := json.Marshal(createdData{Category: row.Category, Channel: row.Channel, NeedsAnswer: needs,
		Procedure: proc.code + " " + proc.version, ReceivedAt: row.ReceivedAt, State: proc.initial})
	if err != nil {
		return err
	}
	bt.tickets = append(bt.tickets, row)
	bt.events = append(bt.events, eventRow{ID: newID(), TicketID: row.ID, Kind: guichet.EventCreated,
		ActorID: row.CreatedBy, Body: row.Subject, Data: string(data), CreatedAt: created})
	bt.texts = append(bt.texts, textRow{Key: row.Seq, Tokens: document(row.Number, row.Subject, row.Description)})
	return nil
}

// clock returns the open response clock of a ticket received at
// row.ReceivedAt, its due date computed by the calendar.
func (sd *seeder) clock(row *ticketRow, pol calendar.Policy) (clockRow, error) {
	due, err := sd.cal.Due(row.ReceivedAt, pol, nil)
	if err != nil {
		return clockRow{}, fmt.Errorf("due date of %s: %w", row.Number, err)
	}
	policy, err := json.Marshal(pol)
	if err != nil {
		return clockRow{}, err
	}
	explanation, err := json.Marshal(due)
	if err != nil {
		return clockRow{}, err
	}
	c := clockRow{ID: newID(), TicketID: row.ID, Kind: "response", Channel: row.Channel, StartedAt: row.ReceivedAt,
		Policy: string(policy), Explanation: string(explanation), CreatedAt: row.CreatedAt}
	if !due.Paused {
		at := due.At.UTC()
		c.DueAt = &at
	}
	return c, nil
}

// stillOpen draws whether a ticket created at created is still open:
// most of the last few days' tickets are, few of those older than two
// months (about 7 % of a year's tickets in all).
func (sd *seeder) stillOpen(rng *rand.Rand, created time.Time) bool {
	age := sd.now.Sub(created)
	const day = 24 * time.Hour
	switch {
	case age < 3*day:
		return draw(rng, 85)
	case age < 14*day:
		return draw(rng, 50)
	case age < 60*day:
		return draw(rng, 15)
	}
	return draw(rng, 3)
}

// receivedLag is how long before its creation a request reached the
// company: minutes for an email or a call, days for a letter.
func receivedLag(rng *rand.Rand, ch guichet.Channel) time.Duration {
	switch ch {
	case guichet.ChannelLetter, guichet.ChannelRegisteredLetter:
		return 24*time.Hour + time.Duration(rng.Int64N(int64(48*time.Hour)))
	case guichet.ChannelPhone:
		return time.Duration(rng.Int64N(int64(20 * time.Minute)))
	}
	return time.Duration(rng.Int64N(int64(10 * time.Minute)))
}

// handlingTime is how long a closed ticket stayed open: half an hour to a
// few days, two days on average.
func handlingTime(rng *rand.Rand) time.Duration {
	return 30*time.Minute + time.Duration(rng.ExpFloat64()*float64(48*time.Hour))
}
