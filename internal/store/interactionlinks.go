package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// checkInteractionMandate records whether the intervenant an entry is
// logged with held a valid mandate of the client when it happened.
// Logging is never refused: an entry without one is flagged for follow-up
// ("toujours s'assurer que l'interlocuteur soit dûment mandaté").
func (s *Store) checkInteractionMandate(ctx context.Context, tx *Tx, row *interactionRow) error {
	if row.IntervenantID == nil {
		return nil
	}
	if !validID(*row.IntervenantID) {
		return guichet.Invalid("intervenant_id", "no such intervenant")
	}
	check, err := s.CheckMandate(ctx, tx, *row.IntervenantID, deref(row.ContactID), deref(row.OrganisationID), "", row.OccurredAt)
	switch guichet.ErrorCode(err) {
	case "":
	case guichet.ENOTFOUND:
		return guichet.Invalid("intervenant_id", "no such intervenant")
	default:
		return err
	}
	status := string(check.Status)
	row.MandateStatus, row.MandateDetail, row.MandateID = &status, check.Detail, nullable(check.MandateID)
	row.MandateFlagged = check.Status != guichet.MandateValid && check.Status != guichet.MandateAuthority
	return nil
}

// completeAppointment ties a visit to the appointment it was logged
// against and marks the appointment done: the file was read before, the
// visit is now in the book.
func (s *Store) completeAppointment(ctx context.Context, tx *Tx, row *interactionRow) error {
	if row.AppointmentID == nil {
		return nil
	}
	appt, err := loadByID[appointmentRow](ctx, tx, *row.AppointmentID, "appointment")
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return guichet.Invalid("appointment_id", "no such appointment")
	} else if err != nil {
		return err
	}
	switch {
	case appt.VisitID != nil:
		return guichet.Errorf(guichet.ECONFLICT, "a visit is already logged against this appointment")
	case appt.Status == string(guichet.AppointmentCancelled):
		return guichet.Invalid("appointment_id", "the appointment was cancelled")
	case row.ContactID != nil && *row.ContactID != appt.ContactID:
		return guichet.Invalid("appointment_id", "the appointment is with another contact")
	}
	before := appt.domain()
	appt.VisitID, appt.Status, appt.Version, appt.UpdatedAt = &row.ID, string(guichet.AppointmentDone), appt.Version+1, tx.Now
	if row.ContactID == nil {
		row.ContactID = &appt.ContactID
	}
	if _, err := tx.NewUpdate().Model(&appt).Column("visit_id", "status", "version", "updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("complete appointment: %w", err)
	}
	return audit(ctx, tx, "update", "appointment", appt.ID, before, appt.domain())
}

// loadInteractionMessages returns the messages taken from each entry.
func loadInteractionMessages(ctx context.Context, db bun.IDB, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID            string `bun:"id"`
		InteractionID string `bun:"interaction_id"`
	}
	err := db.NewSelect().Table("messages").Column("id", "interaction_id").
		Where("interaction_id IN (?)", bun.List(ids)).OrderExpr("created_at, id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load interaction messages: %w", err)
	}
	for _, r := range rows {
		out[r.InteractionID] = append(out[r.InteractionID], r.ID)
	}
	return out, nil
}

// recentInteractions lists a contact's entries of the last 90 days,
// newest first, for the appointment's preparation view.
func (s *Store) recentInteractions(ctx context.Context, db bun.IDB, contactID string, limit int) ([]guichet.Interaction, error) {
	var rows []interactionRow
	err := db.NewSelect().Model(&rows).Where("contact_id = ?", contactID).
		Where("occurred_at >= ?", s.now().AddDate(0, 0, -90)).OrderExpr("occurred_at DESC, id DESC").Limit(limit).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("recent interactions: %w", err)
	}
	return s.interactionPage(ctx, rows, false)
}
