package guichet

import (
	"context"
	"errors"
	"time"
)

// Kinds of outgoing mail.
const (
	OutMailReply        = "reply"         // an agent's reply to the client, from a ticket
	OutMailNotification = "notification"  // a client notification written by a procedure
	OutMailAbsenceReply = "absence_reply" // a personal mailbox owner's absence message
	OutMailForward      = "forward"       // a queue item's mail forwarded to an address
)

// Statuses of outgoing mail: queued → sending → sent | failed; suppressed
// mail is never sent.
const (
	OutMailQueued     = "queued"
	OutMailSending    = "sending"
	OutMailSent       = "sent"
	OutMailFailed     = "failed"
	OutMailSuppressed = "suppressed"
)

// Reasons a mail or a client notification was suppressed.
const (
	SuppressRateLimited = "rate_limited" // over GUICHET_AUTO_MAIL_PER_HOUR for the address
	SuppressNoEmail     = "no_email"     // the contact has no address
	SuppressBounced     = "bounced"      // the contact's address bounced
	SuppressNoMailbox   = "no_mailbox"   // no mailbox with SMTP settings to send from
)

// States of the copy of a sent mail in its mailbox's Sent folder.
const (
	SentFolderNone      = "none" // the mailbox has no Sent folder
	SentFolderPending   = "pending"
	SentFolderAppending = "appending"
	SentFolderAppended  = "appended"
	SentFolderFailed    = "failed"
)

// RouteGuichetSent is the routing reason of the mail_messages row that
// records a mail Guichet sent: the copy ingested from the Sent folder is
// recognised by its Message-ID.
const RouteGuichetSent = "guichet_sent"

// AgentNotificationMailFailed tells the author that their mail failed.
const AgentNotificationMailFailed = "mail_failed"

// EventMailFailed is the timeline event of a mail that could not be sent.
const EventMailFailed = "mail_failed"

// OutgoingMail is a mail Guichet sends, as the API shows it.
type OutgoingMail struct {
	ID, Kind, MailboxID, TicketID string
	NotificationID, MailItemID    string
	AuthorID                      string
	From                          string
	Recipients                    []string
	Subject, MessageID            string
	Status, Reason                string
	Attempts                      int
	LastError                     string
	SentAt                        *time.Time
	SentFolderState               string
	SentFolderError               string
	CreatedAt, UpdatedAt          time.Time
}

// EmailReply is an agent's reply to the client of a ticket, sent by email.
type EmailReply struct {
	Text          string
	Cc            []string
	AttachmentIDs []string
	MailboxID     string // "" picks the ticket's mailbox, else the shared "contact" one
}

// MailForward forwards a queue item's mail to an address.
type MailForward struct {
	To, Note string
}

// OutMailService sends mail on behalf of agents.
type OutMailService interface {
	// SendEmailReply records the reply on the ticket and queues its mail:
	// EINVALID when the contact has no address, no mailbox with SMTP
	// settings is found, or an attachment is not the ticket's.
	SendEmailReply(ctx context.Context, ticketIDOrNumber string, in EmailReply) (OutgoingMail, error)
	ListOutgoingMails(ctx context.Context, ticketIDOrNumber string, p PageRequest) (Page[OutgoingMail], error)
	// ForwardMailItem forwards the item's mail as an attachment: EINVALID
	// for a shared mailbox's mail to a personal mailbox's or an agent's
	// address.
	ForwardMailItem(ctx context.Context, itemID string, in MailForward) (OutgoingMail, error)
}

// MailSendJob is the River job that sends one outgoing mail.
type MailSendJob struct {
	OutboxID string `json:"outbox_id"`
}

// Kind names the job in River.
func (MailSendJob) Kind() string { return "mail_send" }

// OutgoingClaim is a send job's hold on one outgoing mail, and what it
// needs to do its part: send it (Send), then copy it to the Sent folder
// (SentFolder set). The passwords are opened for the job alone.
type OutgoingClaim struct {
	ID, MailboxID, From string
	Recipients          []string
	BlobKey             string
	Size                int64
	Send                bool
	SMTP                SmtpSettings
	SMTPPassword        string
	SentFolder          string
	IMAP                ImapSettings
	IMAPPassword        string
	Date                time.Time
}

// ErrNothingToSend is returned by ClaimOutgoing when the mail is sent (or
// being sent) with nothing left to do, or suppressed.
var ErrNothingToSend = errors.New("guichet: the outgoing mail has nothing left to do")
