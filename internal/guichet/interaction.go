package guichet

import (
	"context"
	"io"
	"slices"
	"time"
)

// InteractionKind names a reception book: each interaction is an entry of
// one of them.
type InteractionKind string

const (
	KindCall       InteractionKind = "call"
	KindVoicemail  InteractionKind = "voicemail"
	KindVisit      InteractionKind = "visit"
	KindLetter     InteractionKind = "letter"
	KindBailiffAct InteractionKind = "bailiff_act"
)

// InteractionKinds lists every kind, in the contract's order.
var InteractionKinds = []InteractionKind{KindCall, KindVoicemail, KindVisit, KindLetter, KindBailiffAct}

// Valid reports whether k is a known kind.
func (k InteractionKind) Valid() bool { return slices.Contains(InteractionKinds, k) }

// Mail reports whether the kind is written mail that follows the letter
// lifecycle (received, scanned, processed, answered, archived).
func (k InteractionKind) Mail() bool { return k == KindLetter || k == KindBailiffAct }

// Outcome is how an oral exchange ended.
type Outcome string

const (
	OutcomeAnswered                Outcome = "answered"
	OutcomeTransferredToSupervisor Outcome = "transferred_to_supervisor"
	OutcomeReferredToSupervisor    Outcome = "referred_to_supervisor"
	OutcomeOrientedElsewhere       Outcome = "oriented_elsewhere"
	OutcomeMessageTaken            Outcome = "message_taken"
)

// Outcomes lists the outcomes each oral kind may end with.
var Outcomes = map[InteractionKind][]Outcome{
	KindCall:  {OutcomeAnswered, OutcomeTransferredToSupervisor, OutcomeOrientedElsewhere, OutcomeMessageTaken},
	KindVisit: {OutcomeAnswered, OutcomeReferredToSupervisor, OutcomeOrientedElsewhere, OutcomeMessageTaken},
}

// ToSupervisor reports whether the outcome hands the person to a supervisor.
func (o Outcome) ToSupervisor() bool {
	return o == OutcomeTransferredToSupervisor || o == OutcomeReferredToSupervisor
}

// NeedsConfirmation: "tout échange oral devra par principe faire l'objet
// d'une confirmation écrite" — every call or visit but a simple orientation.
func NeedsConfirmation(k InteractionKind, o Outcome) bool {
	return (k == KindCall || k == KindVisit) && o != OutcomeOrientedElsewhere
}

// LetterStatus is where a letter (or a bailiff act) is in its lifecycle.
type LetterStatus string

const (
	LetterReceived  LetterStatus = "received"
	LetterScanned   LetterStatus = "scanned"
	LetterProcessed LetterStatus = "processed"
	LetterAnswered  LetterStatus = "answered"
	LetterArchived  LetterStatus = "archived"
)

// LetterStatuses lists the lifecycle in order.
var LetterStatuses = []LetterStatus{LetterReceived, LetterScanned, LetterProcessed, LetterAnswered, LetterArchived}

// Valid reports whether s is a known status.
func (s LetterStatus) Valid() bool { return slices.Contains(LetterStatuses, s) }

// Step returns the status's rank in the lifecycle (0 for received).
func (s LetterStatus) Step() int { return slices.Index(LetterStatuses, s) }

// Identity is who called, came or wrote, as they said it.
type Identity struct {
	Name      string `json:"name,omitempty"`
	Structure string `json:"structure,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Empty reports whether nothing identifies the person.
func (i Identity) Empty() bool { return i == Identity{} }

// InteractionTicket is a ticket an interaction is about.
type InteractionTicket struct {
	TicketID string `json:"ticket_id"`
	Number   string `json:"number"`
	Opened   bool   `json:"opened"`
}

// Scan is the scanned copy of a letter or act (the GED).
type Scan struct {
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ScannedAt   time.Time `json:"scanned_at"`
	ScannedBy   string    `json:"scanned_by,omitempty"`
}

// Confirmation is the written confirmation of an oral exchange: on a
// ticket's timeline, or (no TicketID) as an event of the interaction.
type Confirmation struct {
	At       time.Time `json:"confirmed_at"`
	By       string    `json:"confirmed_by,omitempty"`
	TicketID string    `json:"ticket_id,omitempty"`
	Text     string    `json:"text"`
}

// Interaction is one entry of a reception book. The fields after the
// base ones belong to some kinds only.
type Interaction struct {
	ID                string              `json:"id"`
	Kind              InteractionKind     `json:"kind"`
	OccurredAt        time.Time           `json:"occurred_at"`
	AgentID           string              `json:"agent_id"`
	ContactID         string              `json:"contact_id,omitempty"`
	IntervenantID     string              `json:"intervenant_id,omitempty"`
	Identity          Identity            `json:"identity"`
	Reason            string              `json:"reason,omitempty"`
	Notes             string              `json:"notes,omitempty"`
	Tickets           []InteractionTicket `json:"tickets"`
	NeedsConfirmation bool                `json:"needs_confirmation"`
	Confirmation      *Confirmation       `json:"confirmation,omitempty"`
	// Mandate is the check made for an entry logged with an intervenant.
	Mandate *InteractionMandate `json:"mandate,omitempty"`
	// MessageIDs are the messages taken from this entry (forwarded).
	MessageIDs []string  `json:"message_ids,omitempty"`
	Version    int       `json:"version"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	// Calls and visits.
	Direction     string  `json:"direction,omitempty"` // call: inbound or outbound
	Outcome       Outcome `json:"outcome,omitempty"`
	TransferredTo string  `json:"transferred_to,omitempty"` // the supervisor (a visit's referred_to)
	OrientedTo    string  `json:"oriented_to,omitempty"`
	// Voicemails.
	ConsultedBy string     `json:"consulted_by,omitempty"`
	ConsultedAt *time.Time `json:"consulted_at,omitempty"`
	// Visits.
	AppointmentID string `json:"appointment_id,omitempty"`
	WalkIn        bool   `json:"walk_in,omitempty"`
	// Letters and bailiff acts.
	Status         LetterStatus `json:"status,omitempty"`
	Registered     bool         `json:"registered,omitempty"`
	TrackingNumber string       `json:"tracking_number,omitempty"`
	Scan           *Scan        `json:"scan,omitempty"`
	ProcessedAt    *time.Time   `json:"processed_at,omitempty"`
	AnsweredAt     *time.Time   `json:"answered_at,omitempty"`
	ArchivedAt     *time.Time   `json:"archived_at,omitempty"`
	// Bailiff acts.
	ActType        string     `json:"act_type,omitempty"`
	ServedAt       *time.Time `json:"served_at,omitempty"`
	BailiffName    string     `json:"bailiff_name,omitempty"`
	BailiffOffice  string     `json:"bailiff_office,omitempty"`
	OrganisationID string     `json:"organisation_id,omitempty"`
	Deadline       *time.Time `json:"deadline,omitempty"`

	// AgentName and ContactName are filled for exports (InteractionFilter.Names).
	AgentName   string `json:"-"`
	ContactName string `json:"-"`
}

// InteractionTicketCreate opens a ticket for one subject of an interaction;
// its channel, contact and received_at come from the interaction.
type InteractionTicketCreate struct {
	Subject, Description string
	Category             Category
	Urgency              Urgency
	AssigneeID           string
	FileReference        string
	NeedsAnswer          *bool
	Works                *TicketWorks
}

// InteractionMandate is the mandate check of an entry logged with an
// intervenant. Flagged entries are followed up; they are never refused.
type InteractionMandate struct {
	Status    MandateStatus `json:"status"`
	Detail    string        `json:"detail"`
	MandateID string        `json:"mandate_id,omitempty"`
	Flagged   bool          `json:"flagged"`
}

// Subjects are the tickets an interaction is about: existing ones to link
// (ids or numbers) and new ones to open, one per subject.
type Subjects struct {
	TicketIDs []string
	Tickets   []InteractionTicketCreate
}

// Empty reports whether no ticket is named.
func (s Subjects) Empty() bool { return len(s.TicketIDs) == 0 && len(s.Tickets) == 0 }

// InteractionCreate logs an interaction; zero fields take their defaults
// (now, the caller).
type InteractionCreate struct {
	Kind           InteractionKind
	OccurredAt     *time.Time
	AgentID        string
	ContactID      string
	IntervenantID  string
	Identity       Identity
	Reason, Notes  string
	Subjects       Subjects
	Direction      string
	Outcome        Outcome
	TransferredTo  string
	OrientedTo     string
	ConsultedBy    string
	ConsultedAt    *time.Time
	AppointmentID  string
	Registered     bool
	TrackingNumber string
	ActType        string
	ServedAt       *time.Time
	BailiffName    string
	BailiffOffice  string
	OrganisationID string
	Deadline       *time.Time
}

// InteractionFilter selects entries of the books; zero fields do not
// filter. Kind "" is every book.
type InteractionFilter struct {
	Kind               InteractionKind
	From, To           *time.Time
	AgentID, ContactID string
	IntervenantID      string
	Outcome            Outcome
	Unconfirmed        *bool
	MandateFlagged     *bool
	Status             LetterStatus
	// Names fills AgentName and ContactName (exports).
	Names bool
	Page  PageRequest
}

// ConfirmationCreate confirms an oral exchange in writing.
type ConfirmationCreate struct {
	TicketID string // "" records it as an event of the interaction
	Text     string
}

// InteractionService keeps the reception books. kind, where a method takes
// one, is the book the id is looked up in ("" for any): an entry of
// another book is not found there.
type InteractionService interface {
	CreateInteraction(ctx context.Context, in InteractionCreate) (Interaction, error)
	GetInteraction(ctx context.Context, kind InteractionKind, id string) (Interaction, error)
	ListInteractions(ctx context.Context, f InteractionFilter) (Page[Interaction], error)
	// PutScan streams a letter's or act's scan to the blob store.
	PutScan(ctx context.Context, kind InteractionKind, id string, ifMatch int, filename string, r io.Reader) (Interaction, error)
	OpenScan(ctx context.Context, kind InteractionKind, id string) (Scan, io.ReadCloser, error)
	ProcessMail(ctx context.Context, kind InteractionKind, id string, ifMatch int, in Subjects) (Interaction, error)
	MarkMailAnswered(ctx context.Context, kind InteractionKind, id string, ifMatch int) (Interaction, error)
	ArchiveMail(ctx context.Context, kind InteractionKind, id string, ifMatch int) (Interaction, error)
	ConfirmInteraction(ctx context.Context, id string, in ConfirmationCreate) (Interaction, error)
}

// TicketChannel is the channel of the tickets an interaction opens. A
// bailiff act is a served document: its tickets are written mail, with a
// letter's response clock.
func (k InteractionKind) TicketChannel(registered bool) Channel {
	switch k {
	case KindCall:
		return ChannelPhone
	case KindVoicemail:
		return ChannelVoicemail
	case KindVisit:
		return ChannelVisit
	case KindLetter:
		if registered {
			return ChannelRegisteredLetter
		}
	}
	return ChannelLetter
}
