package guichet

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"time"
)

// Channel is how a subject reached the company.
type Channel string

const (
	ChannelPhone            Channel = "phone"
	ChannelVoicemail        Channel = "voicemail"
	ChannelEmail            Channel = "email"
	ChannelLetter           Channel = "letter"
	ChannelRegisteredLetter Channel = "registered_letter"
	ChannelVisit            Channel = "visit"
	ChannelAPI              Channel = "api"
)

// Channels lists every channel, in the contract's order.
var Channels = []Channel{ChannelPhone, ChannelVoicemail, ChannelEmail, ChannelLetter,
	ChannelRegisteredLetter, ChannelVisit, ChannelAPI}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Category is what a ticket is about; it picks the ticket's procedure.
type Category string

const (
	CategoryBugReport          Category = "bug_report"
	CategoryEvolution          Category = "evolution"
	CategoryAccountingQuestion Category = "accounting_question"
	CategoryFeatureQuestion    Category = "feature_question"
	CategoryMailingReturn      Category = "mailing_return"
	CategoryWorksRequest       Category = "works_request"
	CategoryAppointment        Category = "appointment"
	CategoryBailiffAct         Category = "bailiff_act"
	CategoryRoutineRequest     Category = "routine_request"
	CategoryOther              Category = "other"
)

// Categories lists every category, in the contract's order.
var Categories = []Category{CategoryBugReport, CategoryEvolution, CategoryAccountingQuestion,
	CategoryFeatureQuestion, CategoryMailingReturn, CategoryWorksRequest, CategoryAppointment,
	CategoryBailiffAct, CategoryRoutineRequest, CategoryOther}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// Urgency ranks how soon a subject needs attention.
type Urgency string

const (
	UrgencyLow      Urgency = "low"
	UrgencyNormal   Urgency = "normal"
	UrgencyHigh     Urgency = "high"
	UrgencyCritical Urgency = "critical"
)

// Urgencies lists every urgency, lowest first.
var Urgencies = []Urgency{UrgencyLow, UrgencyNormal, UrgencyHigh, UrgencyCritical}

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool { return slices.Contains(Urgencies, u) }

// Status is a ticket's coarse state, derived from its procedure state.
type Status string

const (
	StatusOpen    Status = "open"
	StatusWaiting Status = "waiting" // waiting for the client: no clock runs
	StatusClosed  Status = "closed"
)

// Link is an external link (Redmine, ProjeQtor…) or a documentation link.
type Link struct {
	System string `json:"system,omitempty"`
	ID     string `json:"id,omitempty"`
	Title  string `json:"title,omitempty"`
	URL    string `json:"url"`
}

// Link relations between tickets.
const (
	RelationTrackedBy  = "tracked_by"
	RelationTracks     = "tracks"
	RelationRelated    = "related"
	RelationMergedInto = "merged_into"
	RelationMergedFrom = "merged_from"
	RelationSplitFrom  = "split_from"
	RelationSplitInto  = "split_into"
)

// TicketLink is a link from a ticket to another.
type TicketLink struct {
	TicketID string
	Number   string
	Relation string
}

// ProcedureRef names a procedure version.
type ProcedureRef struct {
	Code    string
	Version string
}

// Ticket is one subject raised by a client.
type Ticket struct {
	ID, Number, Subject, Description string
	Channel                          Channel
	Category                         Category
	Urgency                          Urgency
	Level                            int
	Status                           Status
	State                            string
	Procedure                        ProcedureRef
	AssigneeID, ContactID            string
	OrganisationID, FileReference    string
	Tags                             []string
	Links                            []TicketLink
	ExternalLinks                    []Link
	DueAt                            *time.Time
	AwaitingRegisteredReply          bool
	ReceivedAt                       time.Time
	MergedIntoID, CreatedBy          string
	Version                          int
	CreatedAt, UpdatedAt             time.Time
	ClosedAt                         *time.Time
	// RequestedByIntervenantID: the ticket was opened on the client's
	// file at this intervenant's request.
	RequestedByIntervenantID string
	// Works is set on works requests.
	Works *TicketWorks
	// Clocks and DevTickets are filled on single reads.
	Clocks     []Clock
	DevTickets []DevTicket
}

// Overdue reports whether the ticket is open and past its due date.
func (t *Ticket) Overdue(now time.Time) bool {
	return t.Status == StatusOpen && t.DueAt != nil && t.DueAt.Before(now)
}

// TicketCreate opens a ticket.
type TicketCreate struct {
	Subject, Description          string
	Channel                       Channel
	Category                      Category
	Urgency                       Urgency
	AssigneeID, ContactID         string
	OrganisationID, FileReference string
	Tags                          []string
	ExternalLinks                 []Link
	Related                       []string // ids or numbers of related tickets
	ReceivedAt                    *time.Time
	NeedsAnswer                   *bool
	TrackingNumber                string
	// RequestedByIntervenantID: opened at an intervenant's request, which
	// needs a mandate in scope (or an authority acting by law).
	RequestedByIntervenantID string
	// Works names a works request's approved technical intervenant.
	Works *TicketWorks
}

// TicketUpdate changes the fields that are not nil; "" clears.
type TicketUpdate struct {
	Subject, Description          *string
	Category                      *Category
	Urgency                       *Urgency
	AssigneeID, ContactID         *string
	OrganisationID, FileReference *string
	Tags                          *[]string
	ExternalLinks                 *[]Link
}

// TicketFilter selects tickets; zero fields do not filter.
type TicketFilter struct {
	Query, State, AssigneeID, ContactID, OrganisationID string
	Status                                              Status
	Channel                                             Channel
	Category                                            Category
	Level                                               int
	Overdue                                             *bool
	DueBefore                                           *time.Time
	Sort                                                string // "-created" (default), "created", "due"
	Page                                                PageRequest
}

// TicketSplit opens a ticket for a second subject of an existing one.
type TicketSplit struct {
	Subject, Description string
	Category             Category
	EventIDs             []string
}

// Timeline event kinds.
const (
	EventCreated       = "created"
	EventNote          = "note"
	EventReply         = "reply"
	EventClientMessage = "client_message"
	EventTransition    = "transition"
	EventAssignment    = "assignment"
	EventEscalation    = "escalation"
	EventNotification  = "notification"
	EventDevTicket     = "dev_ticket"
	EventLink          = "link"
	EventUpdate        = "update"
	EventAttachment    = "attachment"
	EventMerge         = "merge"
	EventSplit         = "split"
	// EventInteraction: a call, visit, letter… that raised or concerns the
	// ticket; EventOralConfirmation: an oral exchange confirmed in writing.
	EventInteraction      = "interaction"
	EventOralConfirmation = "oral_confirmation"
)

// TimelineEvent is one entry of a ticket's timeline.
type TimelineEvent struct {
	ID, TicketID, Kind string
	Internal           bool
	ActorID, Body      string
	Data               json.RawMessage
	CreatedAt          time.Time
}

// Reply is an answer to the client.
type Reply struct {
	Channel            Channel
	Body               string
	SentAt             *time.Time
	TrackingNumber     string
	FileReference      string
	DocumentationLinks []Link
	AttachmentIDs      []string
}

// Attachment is a file attached to a ticket (a scanned letter…).
type Attachment struct {
	ID, TicketID, Filename, ContentType, SHA256, Direction, CreatedBy string
	Size                                                              int64
	CreatedAt                                                         time.Time
}

// ClientMessage is something the client sent or said on a ticket.
type ClientMessage struct {
	Channel        Channel
	Body           string
	ReceivedAt     *time.Time
	NeedsAnswer    *bool
	TrackingNumber string
}

// NeedsAnswerByDefault: written requests open a response clock unless the
// agent says otherwise; calls and visits only when the agent says so.
func NeedsAnswerByDefault(c Channel) bool {
	return c == ChannelEmail || c == ChannelLetter || c == ChannelRegisteredLetter
}

// TransitionRequest applies a procedure transition.
type TransitionRequest struct {
	Name    string
	Fields  map[string]any
	Comment string
}

// TransitionOption is a transition the caller may apply now.
type TransitionOption struct {
	Name, Title, To string
	Fields          []TransitionField
}

// TransitionField is an input of a transition.
type TransitionField struct {
	Name, Title, Type string
	Required          bool
}

// TransitionOptions is what GET /tickets/{id}/transitions answers.
type TransitionOptions struct {
	State       string
	Procedure   ProcedureRef
	Version     int
	Transitions []TransitionOption
}

// DevTicket is a structured "dev" ticket (procedure #46).
type DevTicket struct {
	ID, TicketID, Title, Description, ReproductionSteps string
	Environment, ObservedResults, ExpectedResults       string
	Urgency                                             Urgency
	DeveloperID, Status                                 string
	DueAt, CreatedAt                                    time.Time
	DoneAt                                              *time.Time
}

// ClientNotification is a message to the client waiting in the outbox.
type ClientNotification struct {
	ID, TicketID, ContactID, Template, Status string
	// Reason says why it was suppressed or failed; OutboxID is the
	// outgoing mail that carries it.
	Reason, OutboxID string
	Data             json.RawMessage
	CreatedAt        time.Time
}

// AgentNotification tells an agent about a ticket.
type AgentNotification struct {
	ID, AgentID, TicketID, Kind, Message string
	ReadAt                               *time.Time
	CreatedAt                            time.Time
}

// ReminderJob is the River job that reminds an agent at a due time; it
// satisfies river.JobArgs without this package importing River.
type ReminderJob struct {
	TicketID string `json:"ticket_id"`
	// State: the reminder is dropped when the ticket has left it ("" for
	// any state).
	State string `json:"state,omitempty"`
	// DevTicketID: the reminder is dropped when that dev ticket is done.
	DevTicketID string `json:"dev_ticket_id,omitempty"`
	AgentID     string `json:"agent_id"`
	Message     string `json:"message"`
}

// Kind names the job in River.
func (ReminderJob) Kind() string { return "ticket_reminder" }

// TicketService manages tickets and their procedure.
type TicketService interface {
	CreateTicket(ctx context.Context, in TicketCreate) (Ticket, error)
	GetTicket(ctx context.Context, idOrNumber string) (Ticket, error)
	ListTickets(ctx context.Context, f TicketFilter) (Page[Ticket], error)
	UpdateTicket(ctx context.Context, idOrNumber string, ifMatch int, in TicketUpdate) (Ticket, error)
	Timeline(ctx context.Context, idOrNumber string, p PageRequest) (Page[TimelineEvent], error)
	AddNote(ctx context.Context, idOrNumber, body string) (TimelineEvent, error)
	AddReply(ctx context.Context, idOrNumber string, in Reply) (TimelineEvent, error)
	AddClientMessage(ctx context.Context, idOrNumber string, in ClientMessage) (TimelineEvent, error)
	Transitions(ctx context.Context, idOrNumber string) (TransitionOptions, error)
	ApplyTransition(ctx context.Context, idOrNumber string, ifMatch int, in TransitionRequest) (Ticket, error)
	MergeTicket(ctx context.Context, idOrNumber string, ifMatch int, into string) (Ticket, error)
	SplitTicket(ctx context.Context, idOrNumber string, ifMatch int, in TicketSplit) (Ticket, error)
	AddAttachment(ctx context.Context, idOrNumber, filename, direction string, r io.Reader) (Attachment, bool, error)
	ListAttachments(ctx context.Context, idOrNumber string) ([]Attachment, error)
	OpenAttachment(ctx context.Context, idOrNumber, id string) (Attachment, io.ReadCloser, error)
	ClientNotifications(ctx context.Context, idOrNumber string, p PageRequest) (Page[ClientNotification], error)
	MyNotifications(ctx context.Context, unread *bool, p PageRequest) (Page[AgentNotification], error)
	MarkNotificationRead(ctx context.Context, id string) (AgentNotification, error)
}

// Clock is a due date on a ticket: a response owed to the client, a dev
// ticket's deadline, or one a procedure action set.
type Clock struct {
	ID          string
	Kind        string // "response", "dev", or the clock name an action gives
	Channel     Channel
	StartedAt   time.Time
	DueAt       *time.Time // nil while the ticket waits for the client
	Explanation []byte     // calendar.Explanation as JSON
	ClosedAt    *time.Time
}
