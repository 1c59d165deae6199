package guichet

import (
	"context"
	"time"
)

// The mail queue (procedure #46): « un mail n'est enlevé de la file que
// quand il est complètement traité ; c'est la personne qui traite qui est
// en charge d'enlever le mail ». An item is claimed, processed by whoever
// holds it, and nothing else ever marks it processed.

// Archive states of a processed item whose mailbox archives on the server.
const (
	ArchivePending  = "pending"
	ArchiveArchived = "archived"
	ArchiveFailed   = "failed"
)

// How a processed item relates to a ticket.
const (
	MailLinkJoined = "joined" // the mail joined an existing ticket as a client message
	MailLinkOpened = "opened" // the processor opened the ticket for one of its subjects
	MailLinkKept   = "kept"   // the ticket opened when the mail arrived was kept
)

// DefaultQueueReminderMinutes is the delay before an unprocessed item is
// reminded to its holder, then again to whoever is in charge.
const DefaultQueueReminderMinutes = 240

// MailItemTicket is a ticket a processed item went to, and why.
type MailItemTicket struct {
	TicketID string
	Number   string
	How      string // MailLinkJoined, MailLinkOpened or MailLinkKept
	Note     string
}

// MailItemArchive is where the move of the mail to the archive folder
// stands.
type MailItemArchive struct {
	State      string
	Error      string
	ArchivedAt *time.Time
}

// MailItemDetail is a queue item with what its processing left.
type MailItemDetail struct {
	MailItem
	ProcessedReason string
	Tickets         []MailItemTicket
	Archive         *MailItemArchive
}

// MailProcessing is how an item is processed: exactly one of TicketIDs
// (join existing tickets), NewTickets (one ticket per subject),
// CloseReason (no ticket) or KeepTicket (the ticket it already has).
type MailProcessing struct {
	TicketIDs   []string
	NewTickets  []MailNewTicket
	CloseReason string
	KeepTicket  bool
	Note        string
}

// MailNewTicket is one subject of a mail to open a ticket for.
type MailNewTicket struct {
	Subject     string
	Category    Category
	Description string
}

// MailQueueService runs the queue's operations. Every change takes the
// item's version (If-Match): EPRECONDITION when stale.
type MailQueueService interface {
	GetMailItem(ctx context.Context, id string) (MailItemDetail, error)
	// ClaimMailItem: a new item becomes the caller's; ECONFLICT naming the
	// holder when someone else holds it, or when it is processed.
	ClaimMailItem(ctx context.Context, id string, ifMatch int) (MailItemDetail, error)
	// ReleaseMailItem: back to new, by the holder or whoever is in charge.
	ReleaseMailItem(ctx context.Context, id string, ifMatch int) (MailItemDetail, error)
	// ProcessMailItem removes the item from the queue: only its holder.
	ProcessMailItem(ctx context.Context, id string, ifMatch int, in MailProcessing) (MailItemDetail, error)
	// ReassignMailItem gives the item to another agent, who is notified:
	// by whoever is in charge of the mailbox or a manager.
	ReassignMailItem(ctx context.Context, id string, ifMatch int, agentID string) (MailItemDetail, error)
	// MoveMailItem moves an unprocessed item to another shared mailbox's
	// queue; never into a personal mailbox.
	MoveMailItem(ctx context.Context, id string, ifMatch int, mailboxID string) (MailItemDetail, error)
}

// MailArchiveJob is the River job that moves a processed item's mail to
// its mailbox's archive folder on the server.
type MailArchiveJob struct {
	MailItemID string `json:"mail_item_id"`
}

// Kind names the job in River.
func (MailArchiveJob) Kind() string { return "mail_archive" }
