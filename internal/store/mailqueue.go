package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

var _ guichet.MailQueueService = (*Store)(nil)

// queueItem is an item being changed, with its mailbox and what the
// caller may do there.
type queueItem struct {
	row mailItemRow
	box mailboxRow
	acc mailboxAccess
}

type mailItemTicketRow struct {
	bun.BaseModel `bun:"table:mail_item_tickets"`

	MailItemID string    `bun:"mail_item_id,pk"`
	TicketID   string    `bun:"ticket_id,pk"`
	How        string    `bun:"how"`
	Note       string    `bun:"note"`
	CreatedAt  time.Time `bun:"created_at"`
}

// loadQueueItem loads an item whose mailbox the caller may see; anything
// else, someone else's personal mailbox's item included, is not found.
func (s *Store) loadQueueItem(ctx context.Context, db bun.IDB, id string) (queueItem, error) {
	var q queueItem
	if !validID(id) {
		return q, notFound("mail item")
	}
	row, err := loadByID[mailItemRow](ctx, db, id, "mail item")
	if err != nil {
		return q, err
	}
	q.row = row
	if q.box, err = loadByID[mailboxRow](ctx, db, row.MailboxID, "mailbox"); err != nil {
		return q, err
	}
	if q.acc, err = s.accessTo(ctx, db, &q.box); err == nil && q.acc == accessNone {
		err = notFound("mail item")
	}
	return q, err
}

// inChargeOf tells whether agent answers for the mailbox's queue at now:
// a personal mailbox's owner; a shared one's responsible, or its backup
// during the responsible's declared absence.
func inChargeOf(ctx context.Context, db bun.IDB, box *mailboxRow, agentID string, now time.Time) (bool, error) {
	if agentID == "" {
		return false, nil
	}
	if box.personal() {
		return agentID == deref(box.OwnerID), nil
	}
	if agentID == deref(box.ResponsibleID) {
		return true, nil
	}
	if agentID != deref(box.BackupID) {
		return false, nil
	}
	return isAbsent(ctx, db, deref(box.ResponsibleID), now)
}

// GetMailItem reads a queue item; a delegate's read is audited for the
// owner.
func (s *Store) GetMailItem(ctx context.Context, id string) (guichet.MailItemDetail, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesRead); err != nil {
		return guichet.MailItemDetail{}, err
	}
	q, err := s.loadQueueItem(ctx, s.db.read, id)
	if err != nil {
		return guichet.MailItemDetail{}, wrap("get mail item", err)
	}
	out, err := itemDetail(ctx, s.db.read, q.row.ID)
	if err == nil && q.acc == accessDelegate {
		err = s.inTx(ctx, func(tx *Tx) error {
			return auditMailbox(ctx, tx, &q.box, "read_mail_item", nil, map[string]any{"mail_item_id": q.row.ID})
		})
	}
	return out, wrap("get mail item", err)
}

// itemDetail reads an item with its message's summary, its tickets and
// its archive state.
func itemDetail(ctx context.Context, db bun.IDB, id string) (guichet.MailItemDetail, error) {
	var v mailItemView
	err := db.NewSelect().Model(&v).ColumnExpr("mi.*, mm.from_name, mm.from_email, mm.subject, mm.excerpt").
		Join("JOIN mail_messages AS mm ON mm.id = mi.mail_message_id").Where("mi.id = ?", id).Scan(ctx)
	if err != nil {
		return guichet.MailItemDetail{}, notFoundOr(err, "mail item")
	}
	out := guichet.MailItemDetail{MailItem: v.domain(), ProcessedReason: deref(v.ProcessedReason), Tickets: []guichet.MailItemTicket{}}
	var links []struct {
		mailItemTicketRow `bun:",extend"`
		Number            string `bun:"number"`
	}
	err = db.NewSelect().TableExpr("mail_item_tickets AS mit").ColumnExpr("mit.*, t.number").
		Join("JOIN tickets AS t ON t.id = mit.ticket_id").Where("mit.mail_item_id = ?", id).
		OrderExpr("mit.created_at, t.seq").Scan(ctx, &links)
	if err != nil {
		return out, fmt.Errorf("mail item tickets: %w", err)
	}
	for _, l := range links {
		out.Tickets = append(out.Tickets, guichet.MailItemTicket{TicketID: l.TicketID, Number: l.Number, How: l.How, Note: l.Note})
	}
	if v.ArchiveState != nil {
		out.Archive = &guichet.MailItemArchive{State: *v.ArchiveState, Error: deref(v.ArchiveError), ArchivedAt: v.ArchivedAt}
	}
	return out, nil
}

// itemStep runs step on the item in one transaction when ifMatch is its
// version, then saves it with the next version and audits the change
// (privately for a personal mailbox).
func (s *Store) itemStep(ctx context.Context, id string, ifMatch int, action string,
	step func(tx *Tx, q *queueItem) error) (guichet.MailItemDetail, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesWrite); err != nil {
		return guichet.MailItemDetail{}, err
	}
	var out guichet.MailItemDetail
	err := s.inTx(ctx, func(tx *Tx) error {
		q, err := s.loadQueueItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if q.row.Version != ifMatch {
			return stale(q.row.Version)
		}
		before, err := itemDetail(ctx, tx, q.row.ID)
		if err != nil {
			return err
		}
		if err := step(tx, &q); err != nil {
			return err
		}
		if err := saveItem(ctx, tx, &q.row); err != nil {
			return err
		}
		if out, err = itemDetail(ctx, tx, q.row.ID); err != nil {
			return err
		}
		return auditPrivate(ctx, tx, mailOwner(&q.box), action, "mail_item", q.row.ID, itemAudit(before), itemAudit(out))
	})
	return out, wrap(action+" mail item", err)
}

// itemAudit is what the audit keeps of an item: its queue state, not the
// mail's content.
func itemAudit(d guichet.MailItemDetail) map[string]any {
	return map[string]any{"mailbox_id": d.MailboxID, "status": d.Status, "claimed_by": d.ClaimedBy,
		"processed_by": d.ProcessedBy, "processed_reason": d.ProcessedReason, "ticket_id": d.TicketID,
		"tickets": d.Tickets, "version": d.Version}
}

// saveItem writes the row with the next version, if nobody else changed
// it meanwhile. The same mail already in the row's mailbox is ECONFLICT.
func saveItem(ctx context.Context, tx *Tx, row *mailItemRow) error {
	prev := row.Version
	row.Version, row.UpdatedAt = prev+1, tx.Now
	res, err := tx.NewUpdate().Model(row).WherePK().Where("version = ?", prev).Exec(ctx)
	if isUniqueViolation(err) {
		return guichet.Errorf(guichet.ECONFLICT, "this mail is already in the target mailbox's queue")
	} else if err != nil {
		return fmt.Errorf("save mail item: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return stale(prev + 1)
	}
	return nil
}

// heldBy is the ECONFLICT of an item someone else holds, naming them.
func heldBy(ctx context.Context, db bun.IDB, row *mailItemRow, todo string) error {
	return guichet.Errorf(guichet.ECONFLICT, "this mail is claimed by %s%s", agentName(ctx, db, deref(row.ClaimedBy)), todo)
}

// ClaimMailItem makes a new item the caller's.
func (s *Store) ClaimMailItem(ctx context.Context, id string, ifMatch int) (guichet.MailItemDetail, error) {
	me := guichet.CallerFrom(ctx).Agent.ID
	return s.itemStep(ctx, id, ifMatch, "claim", func(tx *Tx, q *queueItem) error {
		r := &q.row
		switch {
		case me == "":
			return guichet.Errorf(guichet.EFORBIDDEN, "a mail is claimed by an agent")
		case r.Status == guichet.MailItemProcessed:
			return guichet.Errorf(guichet.ECONFLICT, "this mail is already processed")
		case r.Status == guichet.MailItemClaimed && deref(r.ClaimedBy) != me:
			return heldBy(ctx, tx, r, ": ask them, or whoever is in charge of the mailbox, to release or reassign it")
		case r.Status == guichet.MailItemClaimed:
			return nil
		}
		r.Status, r.ClaimedBy, r.ClaimedAt = guichet.MailItemClaimed, &me, &tx.Now
		return nil
	})
}

// ReleaseMailItem gives a claimed item back to the queue: by its holder
// or whoever is in charge of the mailbox.
func (s *Store) ReleaseMailItem(ctx context.Context, id string, ifMatch int) (guichet.MailItemDetail, error) {
	me := guichet.CallerFrom(ctx).Agent.ID
	return s.itemStep(ctx, id, ifMatch, "release", func(tx *Tx, q *queueItem) error {
		r := &q.row
		if r.Status != guichet.MailItemClaimed {
			return guichet.Errorf(guichet.ECONFLICT, "this mail is %s, not claimed", r.Status)
		}
		if deref(r.ClaimedBy) != me {
			ok, err := inChargeOf(ctx, tx, &q.box, me, tx.Now)
			if err != nil {
				return err
			}
			if !ok {
				return guichet.Errorf(guichet.EFORBIDDEN, "only the agent holding this mail, or whoever is in charge of the mailbox, releases it")
			}
		}
		r.Status, r.ClaimedBy, r.ClaimedAt = guichet.MailItemNew, nil, nil
		return nil
	})
}

// ReassignMailItem gives an unprocessed item to agentID, who is notified:
// by whoever is in charge of the mailbox, or a manager.
func (s *Store) ReassignMailItem(ctx context.Context, id string, ifMatch int, agentID string) (guichet.MailItemDetail, error) {
	c := guichet.CallerFrom(ctx)
	return s.itemStep(ctx, id, ifMatch, "reassign", func(tx *Tx, q *queueItem) error {
		ok, err := inChargeOf(ctx, tx, &q.box, c.Agent.ID, tx.Now)
		if err != nil {
			return err
		}
		if !ok && !(c.Agent.HasRole(guichet.RoleManager) && !q.box.personal()) {
			return guichet.Errorf(guichet.EFORBIDDEN, "a mail is reassigned by whoever is in charge of the mailbox (its responsible, or the backup during the responsible's absence) or a manager")
		}
		if q.row.Status == guichet.MailItemProcessed {
			return guichet.Errorf(guichet.ECONFLICT, "this mail is already processed")
		}
		to, err := s.queueAgent(ctx, tx, &q.box, agentID)
		if err != nil {
			return err
		}
		r := &q.row
		r.Status, r.ClaimedBy, r.ClaimedAt = guichet.MailItemClaimed, &to.ID, &tx.Now
		r.ReminderStage, r.RemindFrom = 0, &tx.Now
		subject, err := itemSubject(ctx, tx, r)
		if err != nil {
			return err
		}
		return notifyAgent(ctx, tx, to.ID, deref(r.TicketID), "assignment",
			fmt.Sprintf("%s vous confie le mail « %s » de la file %s (%s).", agentName(ctx, tx, c.Agent.ID), subject, q.box.Name, q.box.Address))
	})
}

// queueAgent checks that agentID is an active agent who sees the mailbox:
// EINVALID otherwise (a personal mailbox's mail goes to nobody else).
func (s *Store) queueAgent(ctx context.Context, tx *Tx, box *mailboxRow, agentID string) (guichet.Agent, error) {
	if !validID(agentID) {
		return guichet.Agent{}, guichet.Invalid("agent_id", "no such agent")
	}
	a, err := activeAgent(ctx, tx, agentID, "agent_id")
	if err != nil || !box.personal() || a.ID == deref(box.OwnerID) {
		return a, err
	}
	if a.ID == deref(box.DelegateID) {
		away, err := isAbsent(ctx, tx, deref(box.OwnerID), tx.Now)
		if err != nil || away {
			return a, err
		}
	}
	return a, guichet.Invalid("agent_id", "this agent cannot see this personal mailbox: its mail is its owner's")
}

// agentName is an agent's display name, for notifications.
func agentName(ctx context.Context, db bun.IDB, id string) string {
	if a, err := loadAgent(ctx, db, id); err == nil {
		return a.DisplayName
	}
	return "Guichet"
}

func itemSubject(ctx context.Context, db bun.IDB, r *mailItemRow) (string, error) {
	var subject string
	err := db.NewSelect().Table("mail_messages").Column("subject").Where("id = ?", r.MailMessageID).Scan(ctx, &subject)
	if err != nil {
		return "", fmt.Errorf("mail subject: %w", err)
	}
	if subject == "" {
		subject = "(sans objet)"
	}
	return truncateText(subject, 200), nil
}

// MoveMailItem moves an unprocessed item to another shared mailbox's
// queue, new and unclaimed. « On ne transfère pas les mails dans les
// boîtes perso »: a personal target is EINVALID.
func (s *Store) MoveMailItem(ctx context.Context, id string, ifMatch int, mailboxID string) (guichet.MailItemDetail, error) {
	me := guichet.CallerFrom(ctx).Agent.ID
	return s.itemStep(ctx, id, ifMatch, "move", func(tx *Tx, q *queueItem) error {
		r := &q.row
		if q.box.personal() && q.acc != accessManage {
			return guichet.Errorf(guichet.EFORBIDDEN, "a personal mailbox's mail is moved by its owner only")
		}
		if r.Status == guichet.MailItemProcessed {
			return guichet.Errorf(guichet.ECONFLICT, "this mail is already processed")
		}
		if r.Status == guichet.MailItemClaimed && deref(r.ClaimedBy) != me {
			ok, err := inChargeOf(ctx, tx, &q.box, me, tx.Now)
			if err != nil {
				return err
			}
			if !ok {
				return heldBy(ctx, tx, r, ": only they, or whoever is in charge of the mailbox, move it")
			}
		}
		target, err := moveTarget(ctx, tx, mailboxID)
		if err != nil {
			return err
		}
		if target.ID == r.MailboxID {
			return guichet.Errorf(guichet.ECONFLICT, "this mail is already in the queue of %s", target.Name)
		}
		r.MailboxID, r.Status, r.ClaimedBy, r.ClaimedAt = target.ID, guichet.MailItemNew, nil, nil
		r.ReminderStage, r.RemindFrom = 0, &tx.Now
		return nil
	})
}

// moveTarget loads the mailbox a mail moves to: a shared one.
func moveTarget(ctx context.Context, tx *Tx, id string) (mailboxRow, error) {
	if !validID(id) {
		return mailboxRow{}, guichet.Invalid("mailbox_id", "no such mailbox")
	}
	box, err := loadByID[mailboxRow](ctx, tx, id, "mailbox")
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return box, guichet.Invalid("mailbox_id", "no such mailbox")
	} else if err != nil {
		return box, err
	}
	if box.personal() {
		return box, guichet.Invalid("mailbox_id", "mail is never moved into a personal mailbox (« on ne transfère pas les mails dans les boîtes perso »)")
	}
	return box, nil
}
