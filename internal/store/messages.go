package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type messageRow struct {
	bun.BaseModel `bun:"table:messages,alias:message"`

	ID               string     `bun:"id,pk"`
	FromName         string     `bun:"from_name"`
	FromStructure    string     `bun:"from_structure"`
	FromPhone        string     `bun:"from_phone"`
	FromEmail        string     `bun:"from_email"`
	ContactID        *string    `bun:"contact_id"`
	Reason           string     `bun:"reason"`
	Urgency          string     `bun:"urgency"`
	RecipientAgentID *string    `bun:"recipient_agent_id"`
	RecipientRole    *string    `bun:"recipient_role"`
	InteractionID    *string    `bun:"interaction_id"`
	TicketID         *string    `bun:"ticket_id"`
	Status           string     `bun:"status"`
	RemindedAt       *time.Time `bun:"reminded_at"`
	EscalatedTo      *string    `bun:"escalated_to"`
	EscalatedAt      *time.Time `bun:"escalated_at"`
	AcknowledgedBy   *string    `bun:"acknowledged_by"`
	AcknowledgedAt   *time.Time `bun:"acknowledged_at"`
	CreatedBy        *string    `bun:"created_by"`
	CreatedAt        time.Time  `bun:"created_at"`
}

func (r *messageRow) domain() guichet.Message {
	return guichet.Message{ID: r.ID,
		From:      guichet.MessageSender{Name: r.FromName, Structure: r.FromStructure, Phone: r.FromPhone, Email: r.FromEmail},
		ContactID: deref(r.ContactID), Reason: r.Reason, Urgency: guichet.Urgency(r.Urgency),
		RecipientAgentID: deref(r.RecipientAgentID), RecipientRole: guichet.Role(deref(r.RecipientRole)),
		InteractionID: deref(r.InteractionID), TicketID: deref(r.TicketID), Status: guichet.MessageStatus(r.Status),
		RemindedAt: r.RemindedAt, EscalatedTo: deref(r.EscalatedTo), EscalatedAt: r.EscalatedAt,
		AcknowledgedBy: deref(r.AcknowledgedBy), AcknowledgedAt: r.AcknowledgedAt,
		CreatedBy: deref(r.CreatedBy), CreatedAt: r.CreatedAt}
}

// messageTakers may take and acknowledge messages: everyone who deals
// with clients.
var messageTakers = writerRoles

// CreateMessage records a message and, in the same transaction, schedules
// its reminder and its escalation; see guichet.MessageService.
func (s *Store) CreateMessage(ctx context.Context, in guichet.Message) (guichet.Message, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeReceptionWrite, messageTakers...); err != nil {
		return guichet.Message{}, err
	}
	row, err := s.newMessageRow(in)
	if err != nil {
		return guichet.Message{}, err
	}
	row.CreatedBy = nullable(c.Agent.ID)
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt = tx.Now
		if err := checkMessageRefs(ctx, tx, &row); err != nil {
			return err
		}
		rs, err := loadReception(ctx, tx)
		if err != nil {
			return err
		}
		auditQ, err := auditQuery(ctx, tx, "create", "message", row.ID, nil, row.domain())
		if err != nil {
			return err
		}
		if err := tx.execAll(ctx, tx.NewInsert().Model(&row), auditQ); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		return scheduleFollowUps(ctx, tx, row.ID, rs)
	})
	return row.domain(), wrap("create message", err)
}

// newMessageRow checks what needs no database: one recipient, a reason,
// a known urgency and the sender's contact details.
func (s *Store) newMessageRow(in guichet.Message) (messageRow, error) {
	row := messageRow{ID: newID(), FromName: strings.TrimSpace(in.From.Name), FromStructure: strings.TrimSpace(in.From.Structure),
		ContactID: nullable(in.ContactID), Reason: strings.TrimSpace(in.Reason), Urgency: string(in.Urgency),
		RecipientAgentID: nullable(in.RecipientAgentID), RecipientRole: nullable(string(in.RecipientRole)),
		InteractionID: nullable(in.InteractionID), TicketID: nullable(in.TicketID), Status: string(guichet.MessagePending)}
	if row.Urgency == "" {
		row.Urgency = string(guichet.UrgencyNormal)
	}
	switch {
	case row.FromName == "":
		return row, guichet.Invalid("from.name", "who left the message is required")
	case row.Reason == "":
		return row, guichet.Invalid("reason", "must not be empty")
	case !guichet.Urgency(row.Urgency).Valid():
		return row, guichet.Invalid("urgency", "unknown urgency")
	case (row.RecipientAgentID == nil) == (row.RecipientRole == nil):
		return row, guichet.Invalid("recipient_agent_id", "give exactly one of recipient_agent_id and recipient_role")
	case row.RecipientRole != nil && !in.RecipientRole.Valid():
		return row, guichet.Invalid("recipient_role", "unknown role")
	case row.InteractionID != nil && !validID(*row.InteractionID):
		return row, guichet.Invalid("interaction_id", "not a valid id")
	}
	var err error
	// normaliseReach only refuses an email address.
	if row.FromEmail, row.FromPhone, _, err = s.normaliseReach(in.From.Email, in.From.Phone); err != nil {
		return row, guichet.Invalid("from.email", "not a valid email address")
	}
	return row, nil
}

// checkMessageRefs refuses a recipient who cannot take the message (an
// unknown or inactive agent, a role no active agent holds) and unknown
// contacts and tickets.
func checkMessageRefs(ctx context.Context, tx *Tx, row *messageRow) error {
	if row.RecipientAgentID != nil {
		if err := checkActiveAgent(ctx, tx, *row.RecipientAgentID, "recipient_agent_id"); err != nil {
			return err
		}
	} else {
		holders, err := roleHolders(ctx, tx, guichet.Role(*row.RecipientRole))
		if err != nil {
			return err
		}
		if len(holders) == 0 {
			return guichet.Invalid("recipient_role", "no active agent holds this role")
		}
	}
	if row.ContactID != nil {
		if _, err := loadContact(ctx, tx, *row.ContactID); guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return guichet.Invalid("contact_id", "no such contact")
		} else if err != nil {
			return err
		}
	}
	if row.TicketID != nil {
		if err := checkTicketExists(ctx, tx, *row.TicketID); err != nil {
			return err
		}
	}
	if row.InteractionID != nil {
		ok, err := tx.NewSelect().Model((*interactionRow)(nil)).Where("id = ?", *row.InteractionID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("check interaction: %w", err)
		}
		if !ok {
			return guichet.Invalid("interaction_id", "no such call, voicemail, visit or letter")
		}
	}
	return nil
}

func checkTicketExists(ctx context.Context, db bun.IDB, id string) error {
	if !validID(id) {
		return guichet.Invalid("ticket_id", "no such ticket")
	}
	ok, err := db.NewSelect().Model((*ticketRow)(nil)).Where("id = ?", id).Exists(ctx)
	if err != nil {
		return fmt.Errorf("check ticket: %w", err)
	}
	if !ok {
		return guichet.Invalid("ticket_id", "no such ticket")
	}
	return nil
}

// roleHolders returns the ids of the active agents holding role.
func roleHolders(ctx context.Context, db bun.IDB, role guichet.Role) ([]string, error) {
	var ids []string
	err := db.NewSelect().Model((*agentRow)(nil)).Column("id").Where("active = ?", true).
		Where("roles LIKE ?", `%"`+string(role)+`"%`).Order("id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("role holders: %w", err)
	}
	return ids, nil
}

// scheduleFollowUps inserts the reminder and the escalation jobs of a new
// message, in one round trip.
func scheduleFollowUps(ctx context.Context, tx *Tx, id string, rs ReceptionSettings) error {
	if tx.jobs == nil {
		return fmt.Errorf("schedule message follow-ups: no job queue configured")
	}
	at := func(minutes int) *river.InsertOpts {
		return &river.InsertOpts{ScheduledAt: tx.Now.Add(time.Duration(minutes) * time.Minute)}
	}
	return tx.jobs.insertTx(ctx, tx, []river.InsertManyParams{
		{Args: guichet.MessageFollowUpJob{MessageID: id, Step: guichet.FollowUpRemind}, InsertOpts: at(rs.RemindAfterMinutes)},
		{Args: guichet.MessageFollowUpJob{MessageID: id, Step: guichet.FollowUpEscalate}, InsertOpts: at(rs.EscalateAfterMinutes)},
	})
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id string) (guichet.Message, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return guichet.Message{}, err
	}
	row, err := loadByID[messageRow](ctx, s.db.read, id, "message")
	return row.domain(), err
}

// ListMessages lists messages newest first.
func (s *Store) ListMessages(ctx context.Context, f guichet.MessageFilter) (guichet.Page[guichet.Message], error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeReceptionRead); err != nil {
		return guichet.Page[guichet.Message]{}, err
	}
	for field, id := range map[string]string{"recipient_agent_id": f.RecipientAgentID, "contact_id": f.ContactID} {
		if id != "" && !validID(id) {
			return guichet.Page[guichet.Message]{}, guichet.Invalid(field, "not a valid id")
		}
	}
	q := s.db.read.NewSelect().Model((*messageRow)(nil))
	if f.Mine {
		q = addressedTo(q, c.Agent)
	}
	eq := map[string]string{"recipient_agent_id": f.RecipientAgentID, "recipient_role": string(f.RecipientRole),
		"contact_id": f.ContactID, "status": string(f.Status), "urgency": string(f.Urgency)}
	for col, v := range eq {
		if v != "" {
			q = q.Where("? = ?", bun.Ident(col), v)
		}
	}
	if f.From != nil {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, "messages", &cur); err != nil {
		return guichet.Page[guichet.Message]{}, err
	}
	rows, next, err := newestPage(ctx, q, "messages", "", cur, f.Page.Size())
	if err != nil {
		return guichet.Page[guichet.Message]{}, wrap("list messages", err)
	}
	return messagePage(rows, next), nil
}

// addressedTo keeps the messages for agent: addressed to them, to a role
// they hold, or escalated to them.
func addressedTo(q *bun.SelectQuery, agent guichet.Agent) *bun.SelectQuery {
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.WhereOr("recipient_agent_id = ?", agent.ID).WhereOr("escalated_to = ?", agent.ID)
		if len(agent.Roles) > 0 {
			q = q.WhereOr("recipient_role IN (?)", bun.List(agent.Roles))
		}
		return q
	})
}

// newestPage reads one page of q newest first, (created_at, id) after cur
// (whose Key is the created_at); next is the cursor of the following page,
// "" on the last: list names its list, and prefix starts its key.
func newestPage(ctx context.Context, q *bun.SelectQuery, list, prefix string, cur cursor, n int) ([]messageRow, string, error) {
	if cur.ID != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			return nil, "", badCursor()
		}
		q = q.Where("(created_at < ?) OR (created_at = ? AND id < ?)", at, at, cur.ID)
	}
	var rows []messageRow
	if err := q.OrderExpr("created_at DESC, id DESC").Limit(n+1).Scan(ctx, &rows); err != nil {
		return nil, "", err
	}
	if len(rows) <= n {
		return rows, "", nil
	}
	last := rows[n-1]
	return rows[:n], encodeCursor(list, prefix+last.CreatedAt.UTC().Format(time.RFC3339Nano), last.ID), nil
}

func messagePage(rows []messageRow, next string) guichet.Page[guichet.Message] {
	page := guichet.Page[guichet.Message]{Items: make([]guichet.Message, 0, len(rows)), NextCursor: next}
	for i := range rows {
		page.Items = append(page.Items, rows[i].domain())
	}
	return page
}

// AcknowledgeMessage records that a recipient took the message; see
// guichet.MessageService.
func (s *Store) AcknowledgeMessage(ctx context.Context, id string) (guichet.Message, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeReceptionWrite); err != nil {
		return guichet.Message{}, err
	}
	var out guichet.Message
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := loadByID[messageRow](ctx, tx, id, "message")
		if err != nil {
			return err
		}
		if !mayAcknowledge(c, &row) {
			return guichet.Errorf(guichet.EFORBIDDEN, "only the recipient of the message may acknowledge it")
		}
		before := row.domain()
		res, err := tx.NewUpdate().Model((*messageRow)(nil)).Where("id = ? AND acknowledged_at IS NULL", id).
			Set("status = ?", guichet.MessageAcknowledged).Set("acknowledged_by = ?", c.Agent.ID).
			Set("acknowledged_at = ?", tx.Now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("acknowledge message: %w", err)
		}
		// The conditional update decides between two recipients racing.
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return alreadyAcknowledged(ctx, tx, id)
		}
		row.Status, row.AcknowledgedBy, row.AcknowledgedAt = string(guichet.MessageAcknowledged), nullable(c.Agent.ID), &tx.Now
		out = row.domain()
		return audit(ctx, tx, "acknowledge", "message", id, before, out)
	})
	return out, wrap("acknowledge message", err)
}

// mayAcknowledge: the addressed agent, a holder of the addressed role, or
// the agent the message was escalated to.
func mayAcknowledge(c guichet.Caller, row *messageRow) bool {
	me := c.Agent.ID
	switch {
	case me == "":
		return false
	case deref(row.RecipientAgentID) == me, deref(row.EscalatedTo) == me:
		return true
	case row.RecipientRole != nil:
		return c.Agent.HasRole(guichet.Role(*row.RecipientRole))
	}
	return false
}

func alreadyAcknowledged(ctx context.Context, tx *Tx, id string) error {
	row, err := loadByID[messageRow](ctx, tx, id, "message")
	if err != nil {
		return err
	}
	when := ""
	if row.AcknowledgedAt != nil {
		when = " at " + row.AcknowledgedAt.UTC().Format(time.RFC3339)
	}
	return guichet.Errorf(guichet.ECONFLICT, "the message was already acknowledged by %s%s", deref(row.AcknowledgedBy), when)
}

var (
	_ guichet.MessageService     = (*Store)(nil)
	_ guichet.AppointmentService = (*Store)(nil)
	_ guichet.DirectoryService   = (*Store)(nil)
)
