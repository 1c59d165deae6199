package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailcheck"
)

type mailboxCheckRow struct {
	bun.BaseModel `bun:"table:mailbox_checks"`

	ID        string    `bun:"id,pk"`
	MailboxID string    `bun:"mailbox_id"`
	AgentID   string    `bun:"agent_id"`
	CheckedAt time.Time `bun:"checked_at"`
	Note      string    `bun:"note"`
}

type missedCheckRow struct {
	bun.BaseModel `bun:"table:mailbox_missed_checks"`

	MailboxID string    `bun:"mailbox_id,pk"`
	SlotAt    time.Time `bun:"slot_at,pk"`
	AlertedTo *string   `bun:"alerted_to"`
	CreatedAt time.Time `bun:"created_at"`
}

// Bounds of the slot computations.
const (
	maxSlotRange = 31 * 24 * time.Hour
	// slotLookBack is how far before a range the matching starts, so that
	// checks made before the range have met their own slots first.
	slotLookBack = 7 * 24 * time.Hour
	// sweepRange is how far back the missed-check sweep looks.
	sweepRange = 3 * 24 * time.Hour
)

// inCharge lists who checks a mailbox: its owner, or its responsible and
// backup.
func (r *mailboxRow) inCharge() []string {
	if r.personal() {
		return []string{deref(r.OwnerID)}
	}
	var out []string
	for _, id := range []*string{r.ResponsibleID, r.BackupID} {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out
}

// RecordMailboxCheck records a check by someone in charge of the mailbox
// and says which slot it met.
func (s *Store) RecordMailboxCheck(ctx context.Context, mailboxID, note string) (guichet.MailboxCheck, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeMailboxesWrite); err != nil {
		return guichet.MailboxCheck{}, err
	}
	var row mailboxRow
	check := mailboxCheckRow{ID: newID(), MailboxID: mailboxID, AgentID: c.Agent.ID, Note: note}
	err := s.inTx(ctx, func(tx *Tx) error {
		var err error
		if row, _, err = s.loadVisibleMailbox(ctx, tx, mailboxID); err != nil {
			return err
		}
		if !slices.Contains(row.inCharge(), c.Agent.ID) {
			return guichet.Errorf(guichet.EFORBIDDEN, "a check is recorded by the mailbox's owner, responsible or backup")
		}
		check.CheckedAt = tx.Now
		if _, err := tx.NewInsert().Model(&check).Exec(ctx); err != nil {
			return fmt.Errorf("insert check: %w", err)
		}
		return auditMailbox(ctx, tx, &row, "check", nil, map[string]any{"check_id": check.ID, "note": note})
	})
	if err != nil {
		return guichet.MailboxCheck{}, wrap("record check", err)
	}
	out := guichet.MailboxCheck{ID: check.ID, MailboxID: mailboxID, AgentID: check.AgentID, CheckedAt: check.CheckedAt, Note: note}
	slots, err := s.checkSlots(ctx, s.db.read, &row, check.CheckedAt.Add(-slotLookBack), check.CheckedAt.Add(24*time.Hour), check.CheckedAt)
	for _, sl := range slots {
		if sl.CheckID == check.ID {
			out.SlotAt = &sl.At
		}
	}
	return out, wrap("record check", err)
}

// MailboxCheckSlots reports the slots between from and to.
func (s *Store) MailboxCheckSlots(ctx context.Context, mailboxID string, from, to time.Time) ([]guichet.CheckSlot, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesRead); err != nil {
		return nil, err
	}
	now := s.now()
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-7 * 24 * time.Hour)
	}
	if !to.After(from) || to.Sub(from) > maxSlotRange {
		return nil, guichet.Invalid("to", "the period must end after it starts and last at most 31 days")
	}
	row, _, err := s.loadVisibleMailbox(ctx, s.db.read, mailboxID)
	if err != nil {
		return nil, wrap("check slots", err)
	}
	slots, err := s.checkSlots(ctx, s.db.read, &row, from, to, now)
	return slots, wrap("check slots", err)
}

// checkSlots evaluates the mailbox's slots in [from, to) at now. The
// matching starts slotLookBack earlier so that earlier checks have met
// their own slots; slots before the mailbox existed are left out.
func (s *Store) checkSlots(ctx context.Context, db bun.IDB, row *mailboxRow, from, to, now time.Time) ([]guichet.CheckSlot, error) {
	var sched guichet.CheckSchedule
	if err := json.Unmarshal([]byte(row.CheckSchedule), &sched); err != nil {
		return nil, fmt.Errorf("check schedule: %w", err)
	}
	schedule, err := ScheduleOf(sched)
	if err != nil {
		return nil, err
	}
	cal, _, _, err := s.settings(ctx)
	if err != nil {
		return nil, err
	}
	start := from.Add(-slotLookBack)
	var checks []mailboxCheckRow
	err = db.NewSelect().Model(&checks).Where("mailbox_id = ?", row.ID).
		Where("checked_at > ? AND checked_at <= ?", start.Add(-slotLookBack), to.Add(schedule.Grace)).
		OrderExpr("checked_at, id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load checks: %w", err)
	}
	absences, err := absencesOf(ctx, db, row.inCharge(), start, to)
	if err != nil {
		return nil, err
	}
	at := make([]time.Time, len(checks))
	for i := range checks {
		at[i] = checks[i].CheckedAt
	}
	var out []guichet.CheckSlot
	for _, sl := range mailcheck.Evaluate(cal.Calendar, schedule, start, to, now, absences, at) {
		if sl.At.Before(from) || sl.At.Before(row.CreatedAt) {
			continue
		}
		cs := guichet.CheckSlot{At: sl.At.UTC(), Deadline: sl.Deadline.UTC(), Status: string(sl.Status), ExemptReason: sl.Exempt}
		if sl.Check >= 0 {
			ch := checks[sl.Check]
			cs.CheckID, cs.CheckedAt, cs.CheckedBy = ch.ID, &ch.CheckedAt, ch.AgentID
		}
		out = append(out, cs)
	}
	return out, nil
}

// absencesOf loads each agent's absences overlapping [from, to).
func absencesOf(ctx context.Context, db bun.IDB, agents []string, from, to time.Time) ([][]mailcheck.Interval, error) {
	out := make([][]mailcheck.Interval, len(agents))
	if len(agents) == 0 {
		return out, nil
	}
	var rows []absenceRow
	err := db.NewSelect().Model(&rows).Where("agent_id IN (?)", bun.List(agents)).
		Where("starts_at < ? AND ends_at > ?", to, from).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load absences: %w", err)
	}
	for _, a := range rows {
		i := slices.Index(agents, a.AgentID)
		out[i] = append(out[i], mailcheck.Interval{From: a.StartsAt, To: a.EndsAt})
	}
	return out, nil
}

// SweepMissedChecks alerts, once per slot, whoever is in charge of a
// mailbox whose check slot was missed: the responsible, the backup while
// the responsible is away, or the owner. It returns the alerts raised.
func (s *Store) SweepMissedChecks(ctx context.Context) (int, error) {
	var boxes []mailboxRow
	if err := s.db.read.NewSelect().Model(&boxes).OrderExpr("id").Scan(ctx); err != nil {
		return 0, wrap("sweep checks", err)
	}
	now, raised := s.now(), 0
	for i := range boxes {
		box := &boxes[i]
		slots, err := s.checkSlots(ctx, s.db.read, box, now.Add(-sweepRange), now, now)
		if err != nil {
			return raised, wrap("sweep checks", err)
		}
		for _, sl := range slots {
			if sl.Status != string(mailcheck.StatusMissed) {
				continue
			}
			ok, err := s.alertMissedCheck(ctx, box, sl.At)
			if err != nil {
				return raised, wrap("sweep checks", err)
			}
			if ok {
				raised++
			}
		}
	}
	return raised, nil
}

// alertMissedCheck records the alert for one missed slot and notifies;
// false when another sweep got there first.
func (s *Store) alertMissedCheck(ctx context.Context, box *mailboxRow, slot time.Time) (bool, error) {
	raised := false
	err := s.inTx(ctx, func(tx *Tx) error {
		to, err := alertTarget(ctx, tx, box, tx.Now)
		if err != nil {
			return err
		}
		row := missedCheckRow{MailboxID: box.ID, SlotAt: slot, AlertedTo: nullable(to), CreatedAt: tx.Now}
		res, err := tx.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("insert missed check: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 || to == "" {
			return nil
		}
		raised = true
		local := slot.In(paris).Format("02/01 15:04")
		return notifyAgent(ctx, tx, to, "", "missed_check",
			fmt.Sprintf("La vérification de %s (%s) prévue à %s n'a pas été faite.", box.Name, box.Address, local))
	})
	return raised, err
}

// alertTarget is who hears of a missed check at now.
func alertTarget(ctx context.Context, db bun.IDB, box *mailboxRow, now time.Time) (string, error) {
	if box.personal() {
		return deref(box.OwnerID), nil
	}
	responsible := deref(box.ResponsibleID)
	if box.BackupID == nil {
		return responsible, nil
	}
	away, err := isAbsent(ctx, db, responsible, now)
	if err != nil || !away {
		return responsible, err
	}
	return *box.BackupID, nil
}
