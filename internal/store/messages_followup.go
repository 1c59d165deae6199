package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// Groups of GET /me/messages, in order.
const (
	groupDuringAbsence = "0|"
	groupOthers        = "1|"
)

// MyMessages lists the caller's pending messages (addressed to them, to a
// role they hold, or escalated to them): first those received during
// their latest absence that has ended, flagged, then the others; each
// group newest first. ("Consulter la boîte vocale après chaque absence":
// voicemails reach agents as messages taken from them.)
func (s *Store) MyMessages(ctx context.Context, p guichet.PageRequest) (guichet.Page[guichet.Message], error) {
	c := guichet.CallerFrom(ctx)
	out := guichet.Page[guichet.Message]{Items: []guichet.Message{}}
	if err := c.Require(guichet.ScopeReceptionRead); err != nil {
		return out, err
	}
	// The cursor's key is the group, then the created_at of the last row.
	var pos cursor
	if err := decodeCursor(p.Cursor, "my_messages", &pos); err != nil {
		return out, err
	}
	group := groupDuringAbsence
	if pos.ID != "" {
		if group = pos.Key[:min(2, len(pos.Key))]; group != groupDuringAbsence && group != groupOthers {
			return out, badCursor()
		}
		if pos.Key = pos.Key[2:]; pos.Key == "" {
			pos = cursor{} // the start of the group
		}
	}
	absence, err := s.lastEndedAbsence(ctx, c.Agent.ID)
	if err != nil {
		return out, wrap("my messages", err)
	}
	during, others := s.myPending(c.Agent, absence)
	n := p.Size()
	if group == groupDuringAbsence && absence != nil {
		rows, next, err := newestPage(ctx, during(), "my_messages", groupDuringAbsence, pos, n)
		if err != nil {
			return out, wrap("my messages", err)
		}
		out = messagePage(rows, next)
		for i := range out.Items {
			out.Items[i].ReceivedDuringAbsence = true
		}
		if next != "" {
			return out, nil
		}
		if pos, n = (cursor{}), n-len(rows); n == 0 { // full: the others start on the next page
			more, err := others().Exists(ctx)
			if more {
				out.NextCursor = encodeCursor("my_messages", groupOthers, rows[len(rows)-1].ID)
			}
			return out, wrap("my messages", err)
		}
	}
	rows, next, err := newestPage(ctx, others(), "my_messages", groupOthers, pos, n)
	if err != nil {
		return out, wrap("my messages", err)
	}
	rest := messagePage(rows, next)
	out.Items, out.NextCursor = append(out.Items, rest.Items...), rest.NextCursor
	return out, nil
}

// myPending returns the queries of the agent's pending messages received
// during the absence and of the others (all of them when absence is nil).
func (s *Store) myPending(agent guichet.Agent, absence *absenceRow) (during, others func() *bun.SelectQuery) {
	pending := func() *bun.SelectQuery {
		return addressedTo(s.db.read.NewSelect().Model((*messageRow)(nil)).Where("acknowledged_at IS NULL"), agent)
	}
	if absence == nil {
		return pending, pending
	}
	during = func() *bun.SelectQuery {
		return pending().Where("created_at >= ? AND created_at < ?", absence.StartsAt, absence.EndsAt)
	}
	others = func() *bun.SelectQuery {
		return pending().Where("(created_at < ? OR created_at >= ?)", absence.StartsAt, absence.EndsAt)
	}
	return during, others
}

// lastEndedAbsence returns the agent's latest absence that has ended, nil
// when there is none.
func (s *Store) lastEndedAbsence(ctx context.Context, agentID string) (*absenceRow, error) {
	if agentID == "" {
		return nil, nil
	}
	var row absenceRow
	err := s.db.read.NewSelect().Model(&row).Where("agent_id = ? AND ends_at <= ?", agentID, s.now()).
		OrderExpr("ends_at DESC, id DESC").Limit(1).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	return &row, err
}

// DeliverMessageFollowUp reminds the recipients of a message, or
// escalates it, unless it was acknowledged meanwhile. Idempotent: the
// step is recorded on the message (reminded_at, escalated_at) by a
// conditional update in the same transaction as the notifications, so a
// job run twice notifies once.
func (s *Store) DeliverMessageFollowUp(ctx context.Context, job guichet.MessageFollowUpJob) error {
	return wrap("message follow-up", s.inTx(ctx, func(tx *Tx) error {
		row, err := loadByID[messageRow](ctx, tx, job.MessageID, "message")
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return nil
		} else if err != nil || row.AcknowledgedAt != nil {
			return err
		}
		switch job.Step {
		case guichet.FollowUpRemind:
			return remindMessage(ctx, tx, &row)
		case guichet.FollowUpEscalate:
			return escalateMessage(ctx, tx, &row)
		}
		return fmt.Errorf("unknown follow-up step %q", job.Step)
	}))
}

// claimStep sets column to now if it is still unset and the message is
// not acknowledged; false when another run (or an acknowledgement) came
// first.
func claimStep(ctx context.Context, tx *Tx, id, column string, set map[string]any) (bool, error) {
	q := tx.NewUpdate().Model((*messageRow)(nil)).Where("id = ? AND acknowledged_at IS NULL", id).
		Where("? IS NULL", bun.Ident(column)).Set("? = ?", bun.Ident(column), tx.Now)
	for col, v := range set {
		q = q.Set("? = ?", bun.Ident(col), v)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", column, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// remindMessage tells the recipient (every active holder of the role)
// that the message still waits.
func remindMessage(ctx context.Context, tx *Tx, row *messageRow) error {
	if ok, err := claimStep(ctx, tx, row.ID, "reminded_at", nil); err != nil || !ok {
		return err
	}
	to := []string{deref(row.RecipientAgentID)}
	if row.RecipientRole != nil {
		var err error
		if to, err = roleHolders(ctx, tx, guichet.Role(*row.RecipientRole)); err != nil {
			return err
		}
	}
	msg := fmt.Sprintf("Relance : message de %s en attente depuis le %s : %s", row.FromName,
		row.CreatedAt.In(paris).Format("02/01/2006 15:04"), row.Reason)
	for _, agentID := range to {
		if err := notifyAgent(ctx, tx, agentID, deref(row.TicketID), "reminder", msg); err != nil {
			return err
		}
	}
	before := row.domain()
	row.RemindedAt = &tx.Now
	return audit(ctx, tx, "update", "message", row.ID, before, row.domain())
}

// escalateMessage hands the message to the recipient's supervisor or, for
// a role, to the agent the reception settings name for it; with nobody to
// escalate to, the message stays pending.
func escalateMessage(ctx context.Context, tx *Tx, row *messageRow) error {
	to, recipient, err := escalationTarget(ctx, tx, row)
	if err != nil || to == "" {
		return err
	}
	ok, err := claimStep(ctx, tx, row.ID, "escalated_at", map[string]any{"escalated_to": to, "status": guichet.MessageEscalated})
	if err != nil || !ok {
		return err
	}
	msg := fmt.Sprintf("Message escaladé : non pris en compte par %s depuis le %s. De %s : %s", recipient,
		row.CreatedAt.In(paris).Format("02/01/2006 15:04"), row.FromName, row.Reason)
	if err := notifyAgent(ctx, tx, to, deref(row.TicketID), "escalation", msg); err != nil {
		return err
	}
	before := row.domain()
	row.Status, row.EscalatedTo, row.EscalatedAt = string(guichet.MessageEscalated), &to, &tx.Now
	return audit(ctx, tx, "escalate", "message", row.ID, before, row.domain())
}

// escalationTarget returns who receives the escalation ("" for nobody)
// and how to name the recipient who did not acknowledge.
func escalationTarget(ctx context.Context, tx *Tx, row *messageRow) (string, string, error) {
	if row.RecipientRole != nil {
		rs, err := loadReception(ctx, tx)
		return rs.MessageEscalation[guichet.Role(*row.RecipientRole)], "le rôle « " + *row.RecipientRole + " »", err
	}
	agent, err := loadAgent(ctx, tx, deref(row.RecipientAgentID))
	if err != nil {
		return "", "", err
	}
	return deref(agent.SupervisorID), agent.DisplayName, nil
}
