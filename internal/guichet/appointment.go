package guichet

import (
	"context"
	"time"
)

// AppointmentStatus is where an appointment stands.
type AppointmentStatus string

const (
	AppointmentScheduled AppointmentStatus = "scheduled"
	AppointmentDone      AppointmentStatus = "done"
	AppointmentCancelled AppointmentStatus = "cancelled"
	AppointmentNoShow    AppointmentStatus = "no_show"
)

// Valid reports whether s is a known appointment status.
func (s AppointmentStatus) Valid() bool {
	switch s {
	case AppointmentScheduled, AppointmentDone, AppointmentCancelled, AppointmentNoShow:
		return true
	}
	return false
}

// MaxAppointment is the longest an appointment may last.
const MaxAppointment = 24 * time.Hour

// Appointment is a meeting of a client with an agent.
type Appointment struct {
	ID        string            `json:"id"`
	ContactID string            `json:"contact_id"`
	AgentID   string            `json:"agent_id"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	Reason    string            `json:"reason,omitempty"`
	Location  string            `json:"location,omitempty"`
	Notes     string            `json:"notes,omitempty"`
	TicketID  string            `json:"ticket_id,omitempty"`
	Status    AppointmentStatus `json:"status"`
	// PreparedBy and PreparedAt record the last reading of the file.
	PreparedBy string     `json:"prepared_by,omitempty"`
	PreparedAt *time.Time `json:"prepared_at,omitempty"`
	// VisitID is the visit logged against the appointment.
	VisitID string `json:"visit_id,omitempty"`
	// OutsideOpeningHours warns that the appointment is not within one
	// opening interval of the business calendar; it is computed on reads.
	OutsideOpeningHours bool      `json:"-"`
	CreatedBy           string    `json:"created_by,omitempty"`
	Version             int       `json:"version"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// AppointmentUpdate holds the fields to change; nil leaves a field as it
// is and a pointer to "" clears an optional one.
type AppointmentUpdate struct {
	ContactID, AgentID      *string
	StartsAt, EndsAt        *time.Time
	Reason, Location, Notes *string
	TicketID                *string
	Status                  *AppointmentStatus
}

// AppointmentFilter selects appointments; From and To bound the start.
type AppointmentFilter struct {
	AgentID, ContactID string
	Status             AppointmentStatus
	From, To           *time.Time
	Page               PageRequest
}

// AppointmentPreparation is the client's file to read before the
// appointment ("consulter le dossier au préalable").
type AppointmentPreparation struct {
	Appointment     Appointment
	Contact         Contact
	Organisation    *Organisation
	OpenTickets     []Ticket
	PendingMessages []Message
	// RecentInteractions are the contact's calls, visits, voicemails and
	// letters of the last 90 days, newest first.
	RecentInteractions []Interaction
}

// AppointmentService keeps the appointment planning.
type AppointmentService interface {
	// CreateAppointment and UpdateAppointment refuse with ECONFLICT an
	// appointment that overlaps another one of the agent's.
	CreateAppointment(ctx context.Context, in Appointment) (Appointment, error)
	GetAppointment(ctx context.Context, id string) (Appointment, error)
	ListAppointments(ctx context.Context, f AppointmentFilter) (Page[Appointment], error)
	UpdateAppointment(ctx context.Context, id string, ifMatch int, in AppointmentUpdate) (Appointment, error)
	// PrepareAppointment returns the file and records that the caller read it.
	PrepareAppointment(ctx context.Context, id string) (AppointmentPreparation, error)
}
