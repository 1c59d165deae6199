package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

type devTicketRow struct {
	bun.BaseModel `bun:"table:dev_tickets,alias:dev"`

	ID                string     `bun:"id,pk"`
	TicketID          string     `bun:"ticket_id"`
	Title             string     `bun:"title"`
	Description       string     `bun:"description"`
	ReproductionSteps string     `bun:"reproduction_steps"`
	Environment       string     `bun:"environment"`
	ObservedResults   string     `bun:"observed_results"`
	ExpectedResults   string     `bun:"expected_results"`
	Urgency           string     `bun:"urgency"`
	DeveloperID       string     `bun:"developer_id"`
	DueAt             time.Time  `bun:"due_at"`
	Status            string     `bun:"status"`
	CreatedBy         *string    `bun:"created_by"`
	CreatedAt         time.Time  `bun:"created_at"`
	DoneAt            *time.Time `bun:"done_at"`
}

func (r *devTicketRow) domain() guichet.DevTicket {
	return guichet.DevTicket{ID: r.ID, TicketID: r.TicketID, Title: r.Title, Description: r.Description,
		ReproductionSteps: r.ReproductionSteps, Environment: r.Environment, ObservedResults: r.ObservedResults,
		ExpectedResults: r.ExpectedResults, Urgency: guichet.Urgency(r.Urgency), DeveloperID: r.DeveloperID,
		Status: r.Status, DueAt: r.DueAt, CreatedAt: r.CreatedAt, DoneAt: r.DoneAt}
}

type outboxRow struct {
	bun.BaseModel `bun:"table:client_notifications,alias:cn"`

	ID        string     `bun:"id,pk"`
	TicketID  string     `bun:"ticket_id"`
	ContactID *string    `bun:"contact_id"`
	Template  string     `bun:"template"`
	Data      string     `bun:"data"`
	Status    string     `bun:"status"`
	Reason    *string    `bun:"reason"`
	OutboxID  *string    `bun:"outbox_id"`
	CreatedAt time.Time  `bun:"created_at"`
	SentAt    *time.Time `bun:"sent_at"`
}

func (r *outboxRow) domain() guichet.ClientNotification {
	return guichet.ClientNotification{ID: r.ID, TicketID: r.TicketID, ContactID: deref(r.ContactID), Template: r.Template,
		Status: r.Status, Reason: deref(r.Reason), OutboxID: deref(r.OutboxID), Data: json.RawMessage(r.Data), CreatedAt: r.CreatedAt}
}

type agentNotificationRow struct {
	bun.BaseModel `bun:"table:agent_notifications,alias:an"`

	ID        string     `bun:"id,pk"`
	AgentID   string     `bun:"agent_id"`
	TicketID  *string    `bun:"ticket_id"`
	Kind      string     `bun:"kind"`
	Message   string     `bun:"message"`
	ReadAt    *time.Time `bun:"read_at"`
	CreatedAt time.Time  `bun:"created_at"`
}

func (r *agentNotificationRow) domain() guichet.AgentNotification {
	return guichet.AgentNotification{ID: r.ID, AgentID: r.AgentID, TicketID: deref(r.TicketID), Kind: r.Kind,
		Message: r.Message, ReadAt: r.ReadAt, CreatedAt: r.CreatedAt}
}

// notifyAgent writes an agent notification (GET /me/notifications).
func notifyAgent(ctx context.Context, tx *Tx, agentID, ticketID, kind, message string) error {
	row := agentNotificationRow{ID: newID(), AgentID: agentID, TicketID: nullable(ticketID), Kind: kind, Message: message, CreatedAt: tx.Now}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("notify agent: %w", err)
	}
	return nil
}

// action applies one effect of the transition.
func (r *run) action(ctx context.Context, a procedure.Action) error {
	switch a.Kind {
	case procedure.ActionNotifyClient:
		return r.notifyClient(ctx, a)
	case procedure.ActionCreateDevTicket:
		return r.createDevTicket(ctx, a)
	case procedure.ActionCompleteDevTicket:
		return r.completeDevTickets(ctx)
	case procedure.ActionScheduleReminder:
		return r.scheduleReminder(ctx, a)
	case procedure.ActionEscalate:
		return r.escalate(ctx)
	case procedure.ActionLinkTicket:
		return linkTickets(ctx, r.tx, r.row.ID, r.values.Text(a.Field), a.Relation, "fields."+a.Field)
	case procedure.ActionSetDue:
		return r.setDue(ctx, a)
	case procedure.ActionCloseClock:
		_, err := closeClocks(ctx, r.tx, r.row.ID, a.Clock, false)
		return err
	}
	return fmt.Errorf("procedure %s: unknown action %q", r.def.Code, a.Kind)
}

// notifyClient writes the notification to the outbox: the ticket's number,
// subject and file reference, and the inputs the action names (never a
// due date: "ne pas donner de délai"). It answers the client, so it closes
// the response clocks but a registered letter's.
func (r *run) notifyClient(ctx context.Context, a procedure.Action) error {
	data := map[string]any{"ticket_number": r.row.Number, "subject": r.row.Subject, "file_reference": r.row.FileReference}
	for _, name := range a.Data {
		if v, ok := r.values[name]; ok {
			data[name] = v
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	n := outboxRow{ID: newID(), TicketID: r.row.ID, ContactID: r.row.ContactID, Template: a.Template, Data: string(b),
		Status: "pending", CreatedAt: r.tx.Now}
	ev := newEvent(ctx, r.tx, r.row.ID, guichet.EventNotification, false, "", map[string]any{
		"template": a.Template, "notification_id": n.ID, "contact_id": deref(r.row.ContactID)})
	if err := r.tx.execAll(ctx, r.tx.NewInsert().Model(&n), r.tx.NewInsert().Model(ev)); err != nil {
		return fmt.Errorf("notify client: %w", err)
	}
	_, err = closeClocks(ctx, r.tx, r.row.ID, clockResponse, true)
	return err
}

// createDevTicket records the dev ticket, its deadline clock, tells the
// developer and schedules their reminder at the due date ("relancer dev à
// échéance").
func (r *run) createDevTicket(ctx context.Context, a procedure.Action) error {
	devID := r.values.Text("developer_id")
	if err := checkDeveloper(ctx, r.tx, devID); err != nil {
		return err
	}
	due, clock, err := r.dueOf(ctx, a, "due_at", clockDev)
	if err != nil {
		return err
	}
	d := devTicketRow{ID: newID(), TicketID: r.row.ID, Title: r.values.Text("title"), Description: r.values.Text("description"),
		ReproductionSteps: r.values.Text("reproduction_steps"), Environment: r.values.Text("environment"),
		ObservedResults: r.values.Text("observed_results"), ExpectedResults: r.values.Text("expected_results"),
		Urgency: r.values.Text("urgency"), DeveloperID: devID, DueAt: due, Status: "open",
		CreatedBy: nullable(r.actor.AgentID), CreatedAt: r.tx.Now}
	ev := newEvent(ctx, r.tx, r.row.ID, guichet.EventDevTicket, false, d.Title, map[string]any{
		"dev_ticket_id": d.ID, "developer_id": devID, "due_at": due, "urgency": d.Urgency})
	if err := r.tx.execAll(ctx, r.tx.NewInsert().Model(&d), r.tx.NewInsert().Model(clock), r.tx.NewInsert().Model(ev)); err != nil {
		return fmt.Errorf("create dev ticket: %w", err)
	}
	msg := fmt.Sprintf("Ticket « dev » du %s : %s (échéance %s)", r.row.Number, d.Title, due.In(paris).Format("02/01/2006 15:04"))
	if err := notifyAgent(ctx, r.tx, devID, r.row.ID, "dev_ticket", msg); err != nil {
		return err
	}
	job := guichet.ReminderJob{TicketID: r.row.ID, DevTicketID: d.ID, AgentID: devID,
		Message: fmt.Sprintf("Relance : le ticket « dev » du %s (%s) arrive à échéance", r.row.Number, d.Title)}
	return r.tx.InsertJob(ctx, job, &river.InsertOpts{ScheduledAt: due})
}

func checkDeveloper(ctx context.Context, tx *Tx, id string) error {
	agent, err := loadAgent(ctx, tx, id)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return guichet.Invalid("fields.developer_id", "no such agent")
	} else if err != nil {
		return err
	}
	if d := agent.domain(); !d.Active || !d.HasRole(guichet.RoleDeveloper) {
		return guichet.Invalid("fields.developer_id", "the agent is not an active developer")
	}
	return nil
}

// dueOf returns the due date an action sets: the datetime input field when
// given (it must be in the future), else the action's policy from now.
func (r *run) dueOf(ctx context.Context, a procedure.Action, field, kind string) (time.Time, *clockRow, error) {
	if at, ok := r.values.Time(field); ok {
		if !at.After(r.tx.Now) {
			return time.Time{}, nil, guichet.Invalid("fields."+field, "must be in the future")
		}
		return at.UTC(), fixedClock(r.tx, r.row.ID, kind, at.UTC(), r.tr.Name), nil
	}
	if a.Policy == nil {
		return time.Time{}, nil, guichet.Invalid("fields."+field, "is required")
	}
	waits, err := loadWaits(ctx, r.tx, r.row.ID)
	if err != nil {
		return time.Time{}, nil, err
	}
	c, err := newClock(r.tx, r.row.ID, kind, "", r.tx.Now, *a.Policy, r.cal, waits)
	if err != nil {
		return time.Time{}, nil, err
	}
	if c.DueAt == nil {
		return r.tx.Now, c, nil
	}
	return *c.DueAt, c, nil
}

func (r *run) completeDevTickets(ctx context.Context) error {
	if _, err := r.tx.NewUpdate().Model((*devTicketRow)(nil)).Set("status = 'done'").Set("done_at = ?", r.tx.Now).
		Where("ticket_id = ? AND status = 'open'", r.row.ID).Exec(ctx); err != nil {
		return fmt.Errorf("complete dev tickets: %w", err)
	}
	_, err := closeClocks(ctx, r.tx, r.row.ID, clockDev, false)
	return err
}

// setDue opens a clock named by the action.
func (r *run) setDue(ctx context.Context, a procedure.Action) error {
	_, clock, err := r.dueOf(ctx, a, a.Field, a.Clock)
	if err != nil {
		return err
	}
	_, err = r.tx.NewInsert().Model(clock).Exec(ctx)
	return err
}

// scheduleReminder enqueues a River job that reminds the recipient after
// the policy, unless the ticket has left the state by then.
func (r *run) scheduleReminder(ctx context.Context, a procedure.Action) error {
	agentID := r.actor.AgentID
	if a.Recipient == procedure.RecipientAssignee && r.row.AssigneeID != nil {
		agentID = *r.row.AssigneeID
	}
	if agentID == "" {
		return nil // Guichet itself acted and nobody is assigned: nobody to remind
	}
	due, err := r.cal.Due(r.tx.Now, *a.Policy, nil)
	if err != nil {
		return err
	}
	state := r.tr.To
	if state == "" {
		state = r.row.State
	}
	st, _ := r.def.State(state)
	job := guichet.ReminderJob{TicketID: r.row.ID, State: state, AgentID: agentID,
		Message: fmt.Sprintf("Relance : le ticket %s est toujours « %s »", r.row.Number, st.Title)}
	return r.tx.InsertJob(ctx, job, &river.InsertOpts{ScheduledAt: due.At})
}

// escalate raises the ticket one level and hands it to the assignee's (or
// the actor's) supervisor, who is told ("escalader au niveau supérieur,
// prévenir la personne").
func (r *run) escalate(ctx context.Context) error {
	from := r.row.Level
	r.row.Level = min(from+1, 3)
	base := r.actor.AgentID
	if r.row.AssigneeID != nil {
		base = *r.row.AssigneeID
	}
	var to string
	if base != "" {
		var sup *string
		if err := r.tx.NewSelect().Table("agents").Column("supervisor_id").Where("id = ?", base).Scan(ctx, &sup); err != nil {
			return fmt.Errorf("escalate: %w", err)
		}
		to = deref(sup)
	}
	reason := r.values.Text("reason")
	if _, err := addEvent(ctx, r.tx, r.row.ID, guichet.EventEscalation, false, reason, map[string]any{
		"from_level": from, "to_level": r.row.Level, "assignee_id": to}); err != nil {
		return err
	}
	if to == "" {
		return nil
	}
	r.row.AssigneeID = &to
	msg := fmt.Sprintf("Le ticket %s vous est escaladé (niveau %d) : %s", r.row.Number, r.row.Level, reason)
	return notifyAgent(ctx, r.tx, to, r.row.ID, "escalation", msg)
}
