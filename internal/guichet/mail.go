package guichet

import (
	"context"
	"io"
	"time"
)

// Queue item statuses: a mail waits (new), someone takes it (claimed),
// then processes it completely (processed). Nothing leaves the queue by
// itself.
const (
	MailItemNew       = "new"
	MailItemClaimed   = "claimed"
	MailItemProcessed = "processed"
)

// Routing reasons: why an ingested mail went where it did. They are
// stable values of the API.
const (
	RouteThreadHeader  = "thread_header"  // joined its ticket through In-Reply-To/References
	RouteThreadSubject = "thread_subject" // joined its ticket through the number in its subject
	RouteNewTicket     = "new_ticket"     // opened a ticket (automatic tickets)
	RouteQueued        = "queued"         // waits in the queue for its processor
	RoutePersonal      = "personal"       // a personal mailbox's mail: its owner's private queue
	RouteOtherClient   = "other_client"   // quoted a ticket of another client: a new ticket, never a join
	RouteTicketClosed  = "ticket_closed"  // answered a closed ticket: a new ticket, related to it
	RouteAutoReply     = "auto_reply"     // an automatic reply: stored, never answered, never reopening
	RouteBounce        = "bounce"         // a delivery status notification
	RouteOwnMail       = "own_mail"       // carries this instance's loop header: never a request
	RouteSentReply     = "sent_reply"     // from the Sent folder, counted as an answer on its ticket
	RouteSent          = "sent"           // from the Sent folder, stored only
	RouteQuarantined   = "quarantined"    // over the limits: kept with its headers for a person
	RouteNoSender      = "no_sender"      // no usable From: waits for a person
	RouteAlsoReceived  = "also_received"  // already ingested through another mailbox: its ticket is shared
)

// MailAddress is a mail's correspondent.
type MailAddress struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// MailItem is a mail in a mailbox's queue, with what the queue shows of
// its message.
type MailItem struct {
	ID            string
	MailboxID     string
	MessageID     string // the mail message's id (not its Message-ID header)
	Status        string
	ReceivedAt    time.Time
	RoutingReason string
	Quarantined   bool
	TicketID      string
	From          *MailAddress
	Subject       string
	Excerpt       string
	ClaimedBy     string
	ClaimedAt     *time.Time
	ProcessedBy   string
	ProcessedAt   *time.Time
	Version       int
	CreatedAt     time.Time
}

// MailAttachment is an attachment or inline part of a mail.
type MailAttachment struct {
	ID          string
	Filename    string
	ContentType string
	ContentID   string
	Inline      bool
	Size        int64
}

// MailMessage is a parsed mail, one per Message-ID.
type MailMessage struct {
	ID               string
	MessageID        string
	SyntheticID      bool
	MailboxID        string
	Direction        string // in, or out (Guichet's own or the Sent folder's)
	InReplyTo        string
	References       []string
	Subject          string
	From             *MailAddress
	To, Cc           []MailAddress
	SentAt           *time.Time
	ReceivedAt       time.Time
	Excerpt          string
	Text             string
	HTML             string // sanitised
	Headers          map[string]string
	AutoReply        bool
	AutoReplyReason  string
	SuppressAutoResp bool
	Loop             bool
	Bounce           map[string]any
	BounceOfID       string
	QuarantineReason string
	Backfill         bool
	Warnings         []string
	RawSize          int64
	RawSHA256        string
	RawHeaderOnly    bool
	ContactID        string
	TicketID         string
	RoutingReason    string
	Attachments      []MailAttachment
	CreatedAt        time.Time
}

// MailItemFilter selects a mailbox's queue items.
type MailItemFilter struct {
	Status      string
	Quarantined *bool
	Page        PageRequest
}

// MailService is the read side of ingested mail and the fetch on demand.
type MailService interface {
	// RequestFetch enqueues a fetch of the mailbox: ECONFLICT while one
	// runs, EINVALID when the mailbox cannot be fetched (ingestion off,
	// no IMAP settings).
	RequestFetch(ctx context.Context, mailboxID string) error
	ListMailItems(ctx context.Context, mailboxID string, f MailItemFilter) (Page[MailItem], error)
	GetMailMessage(ctx context.Context, id string) (MailMessage, error)
	// OpenMailRaw returns the message's raw source to stream; the caller
	// closes it.
	OpenMailRaw(ctx context.Context, id string) (MailMessage, io.ReadCloser, error)
}

// MailboxFetchJob is the River job that fetches a mailbox's new mail.
type MailboxFetchJob struct {
	MailboxID string `json:"mailbox_id"`
}

// Kind names the job in River.
func (MailboxFetchJob) Kind() string { return "mailbox_fetch" }
