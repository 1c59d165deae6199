package store

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/guichet"
)

// Queue reminders (procedure #46: « le/la responsable de la file est
// garante du traitement ; il/elle est en charge de relancer si le mail
// n'est pas traité »). An item not processed queue_reminder_minutes after
// it entered the queue is reminded to its holder (stage 1); as long again
// after that, to whoever is in charge of the mailbox (stage 2). An
// unclaimed item has no holder: it goes straight to stage 2. Each stage is
// reached by a conditional UPDATE in the transaction of its notification,
// so two sweeps (two replicas) never remind twice.

// Reminder stages of mail_items.reminder_stage.
const (
	reminderNone        = 0
	reminderHolder      = 1
	reminderResponsible = 2
)

// reminderBatch bounds the items one sweep reminds per mailbox.
const reminderBatch = 500

// SweepQueueReminders reminds, once per stage, the unprocessed items
// whose delay passed. It returns the reminders sent.
func (s *Store) SweepQueueReminders(ctx context.Context) (int, error) {
	var boxes []mailboxRow
	if err := s.db.read.NewSelect().Model(&boxes).Where("queue_reminder_minutes > 0").OrderExpr("id").Scan(ctx); err != nil {
		return 0, wrap("sweep queue reminders", err)
	}
	now, sent := s.now(), 0
	for i := range boxes {
		box := &boxes[i]
		cutoff := now.Add(-time.Duration(box.QueueReminderMinutes) * time.Minute)
		var items []mailItemRow
		err := s.db.read.NewSelect().Model(&items).Where("mailbox_id = ? AND status <> ?", box.ID, guichet.MailItemProcessed).
			Where("reminder_stage < ?", reminderResponsible).Where("COALESCE(remind_from, created_at) <= ?", cutoff).
			OrderExpr("received_at, id").Limit(reminderBatch).Scan(ctx)
		if err != nil {
			return sent, wrap("sweep queue reminders", err)
		}
		for j := range items {
			ok, err := s.remindItem(ctx, box, &items[j])
			if err != nil {
				return sent, wrap("sweep queue reminders", err)
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// remindItem moves the item to its next stage and notifies; false when
// another sweep, or a change to the item, got there first.
func (s *Store) remindItem(ctx context.Context, box *mailboxRow, it *mailItemRow) (bool, error) {
	next := reminderHolder
	if it.ReminderStage == reminderHolder || it.Status != guichet.MailItemClaimed {
		next = reminderResponsible
	}
	sent := false
	err := s.inTx(ctx, func(tx *Tx) error {
		to := deref(it.ClaimedBy)
		if next == reminderResponsible {
			var err error
			if to, err = alertTarget(ctx, tx, box, tx.Now); err != nil {
				return err
			}
		}
		res, err := tx.NewUpdate().Model((*mailItemRow)(nil)).Set("reminder_stage = ?", next).Set("remind_from = ?", tx.Now).
			Where("id = ? AND reminder_stage = ? AND status = ? AND version = ?", it.ID, it.ReminderStage, it.Status, it.Version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("move reminder stage: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 || to == "" {
			return nil
		}
		sent = true
		return notifyAgent(ctx, tx, to, deref(it.TicketID), "reminder", reminderText(ctx, tx, box, it, next))
	})
	return sent, err
}

func reminderText(ctx context.Context, tx *Tx, box *mailboxRow, it *mailItemRow, stage int) string {
	subject, err := itemSubject(ctx, tx, it)
	if err != nil {
		subject = "(sans objet)"
	}
	since := it.ReceivedAt.In(paris).Format("02/01 15:04")
	if stage == reminderHolder {
		return fmt.Sprintf("Le mail « %s » de la file %s (reçu le %s), que vous avez pris, n'est pas encore traité.", subject, box.Name, since)
	}
	who := "personne ne l'a pris"
	if it.ClaimedBy != nil {
		who = "pris par " + agentName(ctx, tx, *it.ClaimedBy)
	}
	return fmt.Sprintf("Le mail « %s » de la file %s (reçu le %s) n'est toujours pas traité (%s) : relancez ou réattribuez-le.", subject, box.Name, since, who)
}
