package guichet

import (
	"slices"
	"time"
)

// MandateDirection says whether the client mandated the intervenant (its
// representative) or the intervenant acts for the client.
type MandateDirection string

const (
	MandateByClient  MandateDirection = "by_client"
	MandateForClient MandateDirection = "for_client"
)

// Valid reports whether d is a known direction.
func (d MandateDirection) Valid() bool { return d == MandateByClient || d == MandateForClient }

// Mandate binds an intervenant to a registered client (one contact or one
// organisation, whose contacts it then covers too) for a period and a
// scope of ticket categories: "dûment mandaté par, ou pour, un client
// enregistré".
type Mandate struct {
	ID             string           `json:"id"`
	IntervenantID  string           `json:"intervenant_id"`
	ContactID      string           `json:"contact_id,omitempty"`
	OrganisationID string           `json:"organisation_id,omitempty"`
	Direction      MandateDirection `json:"direction"`
	// ValidFrom and ValidUntil are civil days (Europe/Paris) at midnight
	// UTC, both covered; a nil ValidUntil is open-ended.
	ValidFrom  time.Time        `json:"valid_from"`
	ValidUntil *time.Time       `json:"valid_until,omitempty"`
	Scope      []Category       `json:"scope"`
	Notes      string           `json:"notes,omitempty"`
	Document   *MandateDocument `json:"document,omitempty"`
	// Standing is the mandate's state when it was read.
	Standing  MandateStanding `json:"standing"`
	RevokedAt *time.Time      `json:"revoked_at,omitempty"`
	RevokedBy string          `json:"revoked_by,omitempty"`
	CreatedBy string          `json:"created_by,omitempty"`
	Version   int             `json:"version"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// MandateStanding is a mandate's state on a given day.
type MandateStanding string

const (
	StandingValid       MandateStanding = "valid"
	StandingNotYetValid MandateStanding = "not_yet_valid"
	StandingExpired     MandateStanding = "expired"
	StandingRevoked     MandateStanding = "revoked"
)

// StandingAt returns the mandate's state at the instant at; day is at's
// civil day in Europe/Paris, at midnight UTC.
func (m *Mandate) StandingAt(at, day time.Time) MandateStanding {
	switch {
	case m.RevokedAt != nil && !at.Before(*m.RevokedAt):
		return StandingRevoked
	case day.Before(m.ValidFrom):
		return StandingNotYetValid
	case m.ValidUntil != nil && day.After(*m.ValidUntil):
		return StandingExpired
	}
	return StandingValid
}

// Covers reports whether the mandate's scope includes c; "" (no category
// named) is covered by any scope.
func (m *Mandate) Covers(c Category) bool {
	return c == "" || slices.Contains(m.Scope, c)
}

// MandateDocument is the signed mandate, kept in the blob store.
type MandateDocument struct {
	Filename, ContentType, SHA256 string
	Size                          int64
	UploadedAt                    time.Time
	UploadedBy                    string
}

// MandateUpdate holds the fields to change; nil leaves a field as it is.
// ClearValidUntil makes the mandate open-ended.
type MandateUpdate struct {
	Direction       *MandateDirection
	ValidFrom       *time.Time
	ValidUntil      *time.Time
	ClearValidUntil bool
	Scope           *[]Category
	Notes           *string
}

// MandateFilter selects an intervenant's mandates.
type MandateFilter struct {
	ContactID, OrganisationID string
	// Current: only mandates valid today (true) or not (false).
	Current *bool
	Page    PageRequest
}

// MandateStatus is the verdict of a mandate check.
type MandateStatus string

const (
	MandateValid      MandateStatus = "valid"
	MandateMissing    MandateStatus = "missing"
	MandateOutOfScope MandateStatus = "out_of_scope"
	MandateExpired    MandateStatus = "expired"
	// MandateAuthority: an authority acting by law needs no mandate.
	MandateAuthority MandateStatus = "authority"
)

// MandateCheck says whether an intervenant may act on a client's file:
// MandateID names the mandate that decided (valid, out of scope, expired)
// and Detail says why, for the caller.
type MandateCheck struct {
	Status    MandateStatus
	MandateID string
	Detail    string
}

// Allows reports whether the intervenant may act on the file, with a
// mandate or by law.
func (c MandateCheck) Allows() bool { return c.Status == MandateValid || c.Status == MandateAuthority }

// Disclosure bases.
const (
	DisclosureByMandate   = "mandate"
	DisclosureByAuthority = "authority"
)

// Disclosure records that information from a client's file was shared
// with an intervenant: who, when, what, and on what basis.
type Disclosure struct {
	ID             string    `json:"id"`
	IntervenantID  string    `json:"intervenant_id"`
	ContactID      string    `json:"contact_id,omitempty"`
	OrganisationID string    `json:"organisation_id,omitempty"`
	Category       Category  `json:"category"`
	Summary        string    `json:"summary"`
	Basis          string    `json:"basis"`
	MandateID      string    `json:"mandate_id,omitempty"`
	DisclosedBy    string    `json:"disclosed_by,omitempty"`
	DisclosedAt    time.Time `json:"disclosed_at"`
}

// TicketWorks is a works request's approved technical intervenant and the
// external project (Redmine "travaux gestion") it goes to.
type TicketWorks struct {
	IntervenantID   string `json:"intervenant_id"`
	ExternalProject string `json:"external_project"`
}

// DefaultWorksProject is the Redmine project works requests go to: "Les
// demandes de travaux doivent IMPÉRATIVEMENT être enregistrées via redmine
// dans le projet « travaux gestion »".
const DefaultWorksProject = "travaux gestion"

// LegalRequestJob is the River job that tells every legal agent about a
// ticket an authority asked for; it satisfies river.JobArgs without this
// package importing River.
type LegalRequestJob struct {
	TicketID      string `json:"ticket_id"`
	IntervenantID string `json:"intervenant_id"`
}

// Kind names the job in River.
func (LegalRequestJob) Kind() string { return "intervenant_legal_request" }
