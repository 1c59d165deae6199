package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
)

type appointmentRow struct {
	bun.BaseModel `bun:"table:appointments,alias:appointment"`

	ID         string     `bun:"id,pk"`
	ContactID  string     `bun:"contact_id"`
	AgentID    string     `bun:"agent_id"`
	StartsAt   time.Time  `bun:"starts_at"`
	EndsAt     time.Time  `bun:"ends_at"`
	Reason     string     `bun:"reason"`
	Location   string     `bun:"location"`
	Notes      string     `bun:"notes"`
	TicketID   *string    `bun:"ticket_id"`
	Status     string     `bun:"status"`
	PreparedBy *string    `bun:"prepared_by"`
	PreparedAt *time.Time `bun:"prepared_at"`
	VisitID    *string    `bun:"visit_id"`
	CreatedBy  *string    `bun:"created_by"`
	Version    int        `bun:"version"`
	CreatedAt  time.Time  `bun:"created_at"`
	UpdatedAt  time.Time  `bun:"updated_at"`
}

func (r *appointmentRow) domain() guichet.Appointment {
	return guichet.Appointment{ID: r.ID, ContactID: r.ContactID, AgentID: r.AgentID, StartsAt: r.StartsAt, EndsAt: r.EndsAt,
		Reason: r.Reason, Location: r.Location, Notes: r.Notes, TicketID: deref(r.TicketID),
		Status: guichet.AppointmentStatus(r.Status), PreparedBy: deref(r.PreparedBy), PreparedAt: r.PreparedAt,
		VisitID: deref(r.VisitID), CreatedBy: deref(r.CreatedBy), Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// view is the appointment with its opening-hours warning.
func (r *appointmentRow) view(cal calendar.Calendar) guichet.Appointment {
	a := r.domain()
	a.OutsideOpeningHours = outsideOpeningHours(cal, a.StartsAt, a.EndsAt)
	return a
}

// outsideOpeningHours reports whether [start, end) is not within one
// opening of the calendar (touching intervals count as one).
func outsideOpeningHours(cal calendar.Calendar, start, end time.Time) bool {
	until := cal.OpenUntil(start)
	return until.IsZero() || end.After(until)
}

// CreateAppointment plans an appointment; see guichet.AppointmentService.
func (s *Store) CreateAppointment(ctx context.Context, in guichet.Appointment) (guichet.Appointment, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeReceptionWrite, writerRoles...); err != nil {
		return guichet.Appointment{}, err
	}
	if in.AgentID == "" {
		in.AgentID = c.Agent.ID
	}
	in.ID, in.Version, in.CreatedBy = newID(), 1, c.Agent.ID
	in.Status = guichet.AppointmentScheduled
	row, err := newAppointmentRow(in)
	if err != nil {
		return guichet.Appointment{}, err
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		if err := checkAppointmentRefs(ctx, tx, &row, nil); err != nil {
			return err
		}
		if err := s.refuseOverlap(ctx, tx, &row); err != nil {
			return err
		}
		auditQ, err := auditQuery(ctx, tx, "create", "appointment", row.ID, nil, row.domain())
		if err != nil {
			return err
		}
		if err := tx.execAll(ctx, tx.NewInsert().Model(&row), auditQ); err != nil {
			return fmt.Errorf("insert appointment: %w", err)
		}
		return nil
	})
	if err != nil {
		return guichet.Appointment{}, wrap("create appointment", err)
	}
	return s.appointmentView(ctx, &row)
}

// newAppointmentRow checks the fields that need no database.
func newAppointmentRow(a guichet.Appointment) (appointmentRow, error) {
	row := appointmentRow{ID: a.ID, ContactID: a.ContactID, AgentID: a.AgentID,
		StartsAt: a.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: a.EndsAt.UTC().Truncate(time.Microsecond),
		Reason: strings.TrimSpace(a.Reason), Location: strings.TrimSpace(a.Location), Notes: a.Notes,
		TicketID: nullable(a.TicketID), Status: string(a.Status), PreparedBy: nullable(a.PreparedBy),
		PreparedAt: a.PreparedAt, CreatedBy: nullable(a.CreatedBy), Version: a.Version,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	switch {
	case row.AgentID == "":
		return row, guichet.Invalid("agent_id", "is required")
	case !row.EndsAt.After(row.StartsAt):
		return row, guichet.Invalid("ends_at", "must be after starts_at")
	case row.EndsAt.Sub(row.StartsAt) > guichet.MaxAppointment:
		return row, guichet.Invalid("ends_at", "an appointment lasts at most one day")
	case !a.Status.Valid():
		return row, guichet.Invalid("status", "unknown status")
	}
	return row, nil
}

// checkAppointmentRefs checks the references that are new compared to
// old (nil on creation): the contact, an active agent, the ticket.
func checkAppointmentRefs(ctx context.Context, tx *Tx, row, old *appointmentRow) error {
	if old == nil || row.ContactID != old.ContactID {
		if _, err := loadContact(ctx, tx, row.ContactID); guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return guichet.Invalid("contact_id", "no such contact")
		} else if err != nil {
			return err
		}
	}
	if old == nil || row.AgentID != old.AgentID {
		if err := checkActiveAgent(ctx, tx, row.AgentID, "agent_id"); err != nil {
			return err
		}
	}
	if row.TicketID != nil && (old == nil || deref(old.TicketID) != *row.TicketID) {
		return checkTicketExists(ctx, tx, *row.TicketID)
	}
	return nil
}

// refuseOverlap answers ECONFLICT, naming the appointment, when the agent
// has another appointment that is not cancelled and overlaps row's
// [starts_at, ends_at). On PostgreSQL a transaction-scoped advisory lock
// per agent makes concurrent checks wait for each other; SQLite has one
// writer.
func (s *Store) refuseOverlap(ctx context.Context, tx *Tx, row *appointmentRow) error {
	if row.Status == string(guichet.AppointmentCancelled) {
		return nil
	}
	if s.db.postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", "appointment:"+row.AgentID); err != nil {
			return fmt.Errorf("lock agent planning: %w", err)
		}
	}
	var other appointmentRow
	err := tx.NewSelect().Model(&other).Where("agent_id = ? AND status <> ?", row.AgentID, guichet.AppointmentCancelled).
		Where("starts_at < ? AND ends_at > ? AND id <> ?", row.EndsAt, row.StartsAt, row.ID).
		OrderExpr("starts_at, id").Limit(1).Scan(ctx)
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("check overlap: %w", err)
	}
	return &guichet.Error{Code: guichet.ECONFLICT,
		Message: fmt.Sprintf("the agent already has the appointment %s from %s to %s", other.ID,
			other.StartsAt.UTC().Format(time.RFC3339), other.EndsAt.UTC().Format(time.RFC3339)),
		Fields:   []guichet.FieldError{{Field: "starts_at", Message: "overlaps the appointment " + other.ID}},
		Resource: "/appointments/" + other.ID}
}

func (s *Store) appointmentView(ctx context.Context, row *appointmentRow) (guichet.Appointment, error) {
	cal, _, _, err := s.settings(ctx)
	if err != nil {
		return guichet.Appointment{}, wrap("appointment", err)
	}
	return row.view(cal.Calendar), nil
}

// GetAppointment returns one appointment.
func (s *Store) GetAppointment(ctx context.Context, id string) (guichet.Appointment, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return guichet.Appointment{}, err
	}
	row, err := loadByID[appointmentRow](ctx, s.db.read, id, "appointment")
	if err != nil {
		return guichet.Appointment{}, err
	}
	return s.appointmentView(ctx, &row)
}

// ListAppointments lists appointments by start.
func (s *Store) ListAppointments(ctx context.Context, f guichet.AppointmentFilter) (guichet.Page[guichet.Appointment], error) {
	var page guichet.Page[guichet.Appointment]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return page, err
	}
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, "appointments", &cur); err != nil {
		return page, err
	}
	q := s.db.read.NewSelect().Model((*appointmentRow)(nil))
	for col, v := range map[string]string{"agent_id": f.AgentID, "contact_id": f.ContactID, "status": string(f.Status)} {
		if v != "" {
			q = q.Where("? = ?", bun.Ident(col), v)
		}
	}
	if f.From != nil {
		q = q.Where("starts_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("starts_at < ?", f.To.UTC())
	}
	if cur.ID != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			return page, badCursor()
		}
		q = q.Where("(starts_at > ?) OR (starts_at = ? AND id > ?)", at, at, cur.ID)
	}
	var rows []appointmentRow
	n := f.Page.Size()
	if err := q.OrderExpr("starts_at, id").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list appointments", err)
	}
	cal, _, _, err := s.settings(ctx)
	if err != nil {
		return page, wrap("list appointments", err)
	}
	if len(rows) > n {
		last := rows[n-1]
		rows, page.NextCursor = rows[:n], encodeCursor("appointments", last.StartsAt.UTC().Format(time.RFC3339Nano), last.ID)
	}
	page.Items = make([]guichet.Appointment, len(rows))
	for i := range rows {
		page.Items[i] = rows[i].view(cal.Calendar)
	}
	return page, nil
}

// UpdateAppointment changes an appointment if ifMatch is its version; a
// cancelled appointment cannot change any more (ECONFLICT).
func (s *Store) UpdateAppointment(ctx context.Context, id string, ifMatch int, in guichet.AppointmentUpdate) (guichet.Appointment, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionWrite, writerRoles...); err != nil {
		return guichet.Appointment{}, err
	}
	var row appointmentRow
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadByID[appointmentRow](ctx, tx, id, "appointment")
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		if old.Status == string(guichet.AppointmentCancelled) {
			return guichet.Errorf(guichet.ECONFLICT, "the appointment is cancelled; plan a new one")
		}
		a := old.domain()
		applyAppointmentUpdate(&a, in)
		a.Version++
		a.UpdatedAt = tx.Now
		if row, err = newAppointmentRow(a); err != nil {
			return err
		}
		if err := checkAppointmentRefs(ctx, tx, &row, &old); err != nil {
			return err
		}
		if err := s.refuseOverlap(ctx, tx, &row); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update appointment: %w", err)
		}
		return audit(ctx, tx, "update", "appointment", row.ID, old.domain(), row.domain())
	})
	if err != nil {
		return guichet.Appointment{}, wrap("update appointment", err)
	}
	return s.appointmentView(ctx, &row)
}

func applyAppointmentUpdate(a *guichet.Appointment, in guichet.AppointmentUpdate) {
	for dst, v := range map[*string]*string{&a.ContactID: in.ContactID, &a.AgentID: in.AgentID, &a.Reason: in.Reason,
		&a.Location: in.Location, &a.Notes: in.Notes, &a.TicketID: in.TicketID} {
		if v != nil {
			*dst = *v
		}
	}
	if in.StartsAt != nil {
		a.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		a.EndsAt = *in.EndsAt
	}
	if in.Status != nil {
		a.Status = *in.Status
	}
}

// preparationLimit bounds each list of the preparation view.
const (
	preparationLimit        = 50
	recentInteractionsLimit = 20
)

// PrepareAppointment returns the client's file and records, on the
// appointment and in the audit trail, that the caller read it.
func (s *Store) PrepareAppointment(ctx context.Context, id string) (guichet.AppointmentPreparation, error) {
	c := guichet.CallerFrom(ctx)
	var out guichet.AppointmentPreparation
	for _, scope := range []guichet.Scope{guichet.ScopeReceptionRead, guichet.ScopeTicketsRead, guichet.ScopeContactsRead} {
		if err := c.Require(scope); err != nil {
			return out, err
		}
	}
	var row appointmentRow
	err := s.inTx(ctx, func(tx *Tx) error {
		var err error
		if row, err = loadByID[appointmentRow](ctx, tx, id, "appointment"); err != nil {
			return err
		}
		if c.IsSystem() {
			return nil
		}
		before := row.domain()
		row.PreparedBy, row.PreparedAt = nullable(c.Agent.ID), &tx.Now
		// The version stays: reading the file must not make a pending
		// change of the appointment stale.
		if _, err := tx.NewUpdate().Model(&row).Column("prepared_by", "prepared_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record preparation: %w", err)
		}
		return audit(ctx, tx, "update", "appointment", row.ID, before, row.domain())
	})
	if err != nil {
		return out, wrap("prepare appointment", err)
	}
	if out.Appointment, err = s.appointmentView(ctx, &row); err != nil {
		return out, err
	}
	return out, wrap("prepare appointment", s.fillPreparation(ctx, &out))
}

// fillPreparation reads the contact, their organisation, open tickets and
// pending messages.
func (s *Store) fillPreparation(ctx context.Context, out *guichet.AppointmentPreparation) error {
	db := s.db.read
	contact, err := loadContact(ctx, db, out.Appointment.ContactID)
	if err != nil {
		return err
	}
	out.Contact = contact.domain()
	if contact.OrganisationID != nil {
		org, err := loadOrganisation(ctx, db, *contact.OrganisationID)
		if err != nil {
			return err
		}
		o := org.domain()
		out.Organisation = &o
	}
	var tickets []ticketRow
	err = db.NewSelect().Model(&tickets).Where("contact_id = ? AND status <> ?", contact.ID, guichet.StatusClosed).
		Order("seq DESC").Limit(preparationLimit).Scan(ctx)
	if err != nil {
		return fmt.Errorf("open tickets: %w", err)
	}
	page, err := s.ticketPage(ctx, tickets, preparationLimit, "", "")
	if err != nil {
		return err
	}
	out.OpenTickets = page.Items
	var messages []messageRow
	err = db.NewSelect().Model(&messages).Where("contact_id = ? AND acknowledged_at IS NULL", contact.ID).
		OrderExpr("created_at DESC, id DESC").Limit(preparationLimit).Scan(ctx)
	if err != nil {
		return fmt.Errorf("pending messages: %w", err)
	}
	out.PendingMessages = messagePage(messages, "").Items
	out.RecentInteractions, err = s.recentInteractions(ctx, db, contact.ID, recentInteractionsLimit)
	return err
}
