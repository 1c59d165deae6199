package guichet

import (
	"context"
	"time"
)

// MessageStatus is where a message of the "cahier des messages" stands.
type MessageStatus string

const (
	MessagePending      MessageStatus = "pending"      // waiting for its recipient
	MessageEscalated    MessageStatus = "escalated"    // still waiting, and escalated
	MessageAcknowledged MessageStatus = "acknowledged" // the recipient took it
)

// Valid reports whether s is a known message status.
func (s MessageStatus) Valid() bool {
	return s == MessagePending || s == MessageEscalated || s == MessageAcknowledged
}

// MessageSender is who left a message: "identité, coordonnées".
type MessageSender struct {
	Name      string `json:"name"`
	Structure string `json:"structure,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Message is a message taken for an agent or for a role.
type Message struct {
	ID        string        `json:"id"`
	From      MessageSender `json:"from"`
	ContactID string        `json:"contact_id,omitempty"`
	Reason    string        `json:"reason"`
	Urgency   Urgency       `json:"urgency"`
	// Exactly one of RecipientAgentID and RecipientRole is set.
	RecipientAgentID string `json:"recipient_agent_id,omitempty"`
	RecipientRole    Role   `json:"recipient_role,omitempty"`
	// InteractionID is the call, visit or voicemail the message was taken
	// from; it is stored as given.
	InteractionID  string        `json:"interaction_id,omitempty"`
	TicketID       string        `json:"ticket_id,omitempty"`
	Status         MessageStatus `json:"status"`
	RemindedAt     *time.Time    `json:"reminded_at,omitempty"`
	EscalatedTo    string        `json:"escalated_to,omitempty"`
	EscalatedAt    *time.Time    `json:"escalated_at,omitempty"`
	AcknowledgedBy string        `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time    `json:"acknowledged_at,omitempty"`
	CreatedBy      string        `json:"created_by,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	// ReceivedDuringAbsence is set in the caller's own list (MyMessages).
	ReceivedDuringAbsence bool `json:"-"`
}

// MessageFilter selects messages; zero fields do not filter. Mine keeps
// the caller's messages: addressed to them, to a role they hold, or
// escalated to them.
type MessageFilter struct {
	Mine             bool
	RecipientAgentID string
	RecipientRole    Role
	ContactID        string
	Status           MessageStatus
	Urgency          Urgency
	From, To         *time.Time
	Page             PageRequest
}

// Message follow-up steps.
const (
	FollowUpRemind   = "remind"
	FollowUpEscalate = "escalate"
)

// MessageFollowUpJob is the River job that reminds the recipient of a
// message, or escalates it, if it is still not acknowledged when it runs.
type MessageFollowUpJob struct {
	MessageID string `json:"message_id"`
	Step      string `json:"step"` // FollowUpRemind or FollowUpEscalate
}

// Kind names the job in River.
func (MessageFollowUpJob) Kind() string { return "message_follow_up" }

// MessageService keeps the message book.
type MessageService interface {
	// CreateMessage refuses (EINVALID) a recipient that is not an active
	// agent or a role no active agent holds, and schedules the follow-ups.
	CreateMessage(ctx context.Context, in Message) (Message, error)
	GetMessage(ctx context.Context, id string) (Message, error)
	ListMessages(ctx context.Context, f MessageFilter) (Page[Message], error)
	// MyMessages lists the caller's pending messages, those received
	// during their latest ended absence first.
	MyMessages(ctx context.Context, p PageRequest) (Page[Message], error)
	// AcknowledgeMessage is EFORBIDDEN for anyone but a recipient and
	// ECONFLICT when the message is already acknowledged.
	AcknowledgeMessage(ctx context.Context, id string) (Message, error)
}
