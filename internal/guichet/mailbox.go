package guichet

import (
	"context"
	"time"
)

// MailboxKind tells a personal mailbox (its owner's alone) from a shared one.
type MailboxKind string

const (
	MailboxPersonal MailboxKind = "personal"
	MailboxShared   MailboxKind = "shared"
)

// Scopes of the mailbox API.
const (
	ScopeMailboxesRead  Scope = "mailboxes:read"
	ScopeMailboxesWrite Scope = "mailboxes:write"
)

// MailSecurity is how a mail connection is protected.
type MailSecurity string

const (
	SecurityTLS      MailSecurity = "tls"
	SecurityStartTLS MailSecurity = "starttls"
	SecurityNone     MailSecurity = "none"
)

// ImapSettings are where a mailbox's mail is read. The password never
// leaves the store: PasswordSet says whether one is kept.
type ImapSettings struct {
	Host                 string       `json:"host"`
	Port                 int          `json:"port"`
	Security             MailSecurity `json:"security"`
	Username             string       `json:"username"`
	PasswordSet          bool         `json:"password_set"`
	Folders              []string     `json:"folders"`
	WatchedFolders       []string     `json:"watched_folders"`
	SentFolder           string       `json:"sent_folder"`
	ArchiveFolder        string       `json:"archive_folder,omitempty"`
	FetchIntervalSeconds int          `json:"fetch_interval_seconds"`
}

// SmtpSettings are how replies leave a mailbox.
type SmtpSettings struct {
	Host        string       `json:"host"`
	Port        int          `json:"port"`
	Security    MailSecurity `json:"security"`
	Username    string       `json:"username"`
	PasswordSet bool         `json:"password_set"`
}

// ImapInput sets a mailbox's IMAP settings. Password nil keeps the stored
// one unless ClearPassword.
type ImapInput struct {
	ImapSettings
	Password      *string
	ClearPassword bool
	// ArchiveSet says ArchiveFolder was given (empty clears it).
	ArchiveSet bool
}

// SmtpInput sets a mailbox's SMTP settings, like ImapInput.
type SmtpInput struct {
	SmtpSettings
	Password      *string
	ClearPassword bool
}

// CheckSchedule is when a mailbox must be checked: times of day
// ("09:00") in Europe/Paris on business days, and a grace period.
type CheckSchedule struct {
	Times        []string `json:"times"`
	GraceMinutes int      `json:"grace_minutes"`
}

// Mailbox is a personal or shared mailbox (procedure #46's rules).
type Mailbox struct {
	ID               string
	Kind             MailboxKind
	Purpose          string
	Name             string
	Address          string
	OwnerID          string
	DelegateID       string
	ResponsibleID    string
	BackupID         string
	IngestionEnabled bool
	AutoTickets      bool
	Priority         int
	Imap             *ImapSettings
	Smtp             *SmtpSettings
	CheckSchedule    CheckSchedule
	AbsenceMessage   string
	BackfillSince    string // a date, YYYY-MM-DD
	State            string
	LastError        string
	LastFetchAt      *time.Time
	NextFetchAt      *time.Time
	FetchFailures    int
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// QueueReminderMinutes: an unprocessed item is reminded after it
	// (mailqueue.go); 0 turns reminders off.
	QueueReminderMinutes int
}

// MailboxCreate creates a mailbox. Nil booleans take the kind's default.
type MailboxCreate struct {
	Kind             MailboxKind
	Purpose          string
	Name             string
	Address          string
	DelegateID       string
	ResponsibleID    string
	BackupID         string
	IngestionEnabled *bool
	AutoTickets      *bool
	Priority         int
	Imap             *ImapInput
	Smtp             *SmtpInput
	CheckSchedule    *CheckSchedule
	AbsenceMessage   string
	BackfillSince    string
	// QueueReminderMinutes: nil takes DefaultQueueReminderMinutes.
	QueueReminderMinutes *int
}

// MailboxUpdate changes the fields that are set. For the nullable ones,
// a pointer to "" clears; Clear* removes the connection settings.
type MailboxUpdate struct {
	Name             *string
	Address          *string
	DelegateID       *string
	ResponsibleID    *string
	BackupID         *string
	IngestionEnabled *bool
	AutoTickets      *bool
	Priority         *int
	Imap             *ImapInput
	ClearImap        bool
	Smtp             *SmtpInput
	ClearSmtp        bool
	CheckSchedule    *CheckSchedule
	AbsenceMessage   *string
	// QueueReminderMinutes: the queue's reminder delay (0: none).
	QueueReminderMinutes *int
}

// MailboxFilter selects mailboxes.
type MailboxFilter struct {
	Kind    MailboxKind
	Purpose string
	Page    PageRequest
}

// MailboxService manages mailboxes.
type MailboxService interface {
	CreateMailbox(ctx context.Context, in MailboxCreate) (Mailbox, error)
	GetMailbox(ctx context.Context, id string) (Mailbox, error)
	ListMailboxes(ctx context.Context, f MailboxFilter) (Page[Mailbox], error)
	UpdateMailbox(ctx context.Context, id string, ifMatch int, in MailboxUpdate) (Mailbox, error)
	DeleteMailbox(ctx context.Context, id string, ifMatch int) error
	ListMailboxAuditEvents(ctx context.Context, id string, p PageRequest) (Page[AuditEvent], error)
	MailboxChecks
}

// MailboxCheck records that someone in charge looked at a mailbox.
type MailboxCheck struct {
	ID        string
	MailboxID string
	AgentID   string
	CheckedAt time.Time
	// SlotAt is the check schedule's slot this check met, if any.
	SlotAt *time.Time
	Note   string
	// WatchedFolders is what waits in the watched folders, read when the
	// check was recorded, for the person in charge of emptying them (nil
	// otherwise); WatchedError says why they could not be read.
	WatchedFolders []WatchedFolder
	WatchedError   string
}

// WatchedFolder is a watched folder's content at a check.
type WatchedFolder struct {
	Folder   string
	Messages int
	OldestAt *time.Time // nil when empty
	Error    string     // e.g. the folder does not exist on the server
}

// CheckSlot is one expected check and what became of it.
type CheckSlot struct {
	At, Deadline time.Time
	Status       string // met, missed, exempt, pending
	CheckID      string
	CheckedAt    *time.Time
	CheckedBy    string
	ExemptReason string
}

// MailboxChecks records checks and reports the slots.
type MailboxChecks interface {
	RecordMailboxCheck(ctx context.Context, mailboxID, note string) (MailboxCheck, error)
	MailboxCheckSlots(ctx context.Context, mailboxID string, from, to time.Time) ([]CheckSlot, error)
}
