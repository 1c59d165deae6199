package store

import (
	"context"
	"fmt"

	"github.com/guichet/guichet/internal/guichet"
)

// ClientNotifications lists the notifications a ticket wrote to the
// outbox, oldest first.
func (s *Store) ClientNotifications(ctx context.Context, idOrNumber string, p guichet.PageRequest) (guichet.Page[guichet.ClientNotification], error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.Page[guichet.ClientNotification]{}, err
	}
	row, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return guichet.Page[guichet.ClientNotification]{}, wrap("client notifications", err)
	}
	q := s.db.read.NewSelect().Model((*outboxRow)(nil)).Where("ticket_id = ?", row.ID)
	return idPage(ctx, q, "client_notifications", p, false, func(r *outboxRow) (string, guichet.ClientNotification) { return r.ID, r.domain() })
}

// MyNotifications lists the caller's notifications, newest first.
func (s *Store) MyNotifications(ctx context.Context, unread *bool, p guichet.PageRequest) (guichet.Page[guichet.AgentNotification], error) {
	c := guichet.CallerFrom(ctx)
	q := s.db.read.NewSelect().Model((*agentNotificationRow)(nil)).Where("agent_id = ?", c.Agent.ID)
	if unread != nil && *unread {
		q = q.Where("read_at IS NULL")
	} else if unread != nil {
		q = q.Where("read_at IS NOT NULL")
	}
	return idPage(ctx, q, "my_notifications", p, true, func(r *agentNotificationRow) (string, guichet.AgentNotification) { return r.ID, r.domain() })
}

// MarkNotificationRead marks one of the caller's notifications read;
// another agent's is ENOTFOUND.
func (s *Store) MarkNotificationRead(ctx context.Context, id string) (guichet.AgentNotification, error) {
	c := guichet.CallerFrom(ctx)
	var out guichet.AgentNotification
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := loadByID[agentNotificationRow](ctx, tx, id, "notification")
		if err != nil {
			return err
		}
		if row.AgentID != c.Agent.ID {
			return notFound("notification")
		}
		if row.ReadAt == nil {
			row.ReadAt = &tx.Now
			if _, err := tx.NewUpdate().Model(&row).Column("read_at").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		out = row.domain()
		return nil
	})
	return out, wrap("mark notification read", err)
}

// DeliverReminder turns a due reminder job into an agent notification,
// unless the ticket left the state (or the dev ticket is done) meanwhile.
// Idempotent: a job run twice after a crash notifies at most twice, never
// for a ticket that moved on.
func (s *Store) DeliverReminder(ctx context.Context, job guichet.ReminderJob) error {
	return wrap("deliver reminder", s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, job.TicketID)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if row.Status == string(guichet.StatusClosed) || (job.State != "" && row.State != job.State) {
			return nil
		}
		if job.DevTicketID != "" {
			open, err := tx.NewSelect().Model((*devTicketRow)(nil)).Where("id = ? AND status = 'open'", job.DevTicketID).Exists(ctx)
			if err != nil || !open {
				return err
			}
		}
		if err := notifyAgent(ctx, tx, job.AgentID, row.ID, "reminder", job.Message); err != nil {
			return err
		}
		_, err = addEvent(ctx, tx, row.ID, guichet.EventNotification, true, job.Message, map[string]any{"reminder_to": job.AgentID})
		if err != nil {
			return fmt.Errorf("reminder event: %w", err)
		}
		return nil
	}))
}
