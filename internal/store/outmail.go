package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailparse"
)

// Outgoing mail is composed once, when its outbox row is written: the
// bytes go to the blob store, the row and its send job commit together,
// and every attempt sends the same bytes and Message-ID.

// DefaultAutoMailPerHour is Options.AutoMailPerHour's default.
const DefaultAutoMailPerHour = 5

// outSendMaxAttempts bounds the send job's attempts: past them a
// temporary failure is recorded as a failure.
const outSendMaxAttempts = 8

// maxOutgoingBytes bounds a composed mail (attachments included).
const maxOutgoingBytes = 60 << 20

type outboxMailRow struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:mo"`

	ID              string     `bun:"id,pk"`
	Kind            string     `bun:"kind"`
	MailboxID       string     `bun:"mailbox_id"`
	TicketID        *string    `bun:"ticket_id"`
	NotificationID  *string    `bun:"notification_id"`
	MailItemID      *string    `bun:"mail_item_id"`
	AuthorID        *string    `bun:"author_id"`
	Sender          string     `bun:"sender"`
	Recipients      string     `bun:"recipients"`
	Subject         string     `bun:"subject"`
	MessageID       string     `bun:"message_id"`
	TextBody        string     `bun:"text_body"`
	BlobKey         *string    `bun:"blob_key"`
	Size            int64      `bun:"size"`
	SHA256          string     `bun:"sha256"`
	Status          string     `bun:"status"`
	Reason          *string    `bun:"reason"`
	Attempts        int        `bun:"attempts"`
	LastError       *string    `bun:"last_error"`
	ClaimedAt       *time.Time `bun:"claimed_at"`
	SentAt          *time.Time `bun:"sent_at"`
	SentFolderState string     `bun:"sent_folder_state"`
	SentFolderError *string    `bun:"sent_folder_error"`
	CreatedAt       time.Time  `bun:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at"`
}

func (r *outboxMailRow) recipients() []string {
	var to []string
	_ = json.Unmarshal([]byte(r.Recipients), &to)
	return to
}

func (r *outboxMailRow) domain() guichet.OutgoingMail {
	return guichet.OutgoingMail{ID: r.ID, Kind: r.Kind, MailboxID: r.MailboxID, TicketID: deref(r.TicketID),
		NotificationID: deref(r.NotificationID), MailItemID: deref(r.MailItemID), AuthorID: deref(r.AuthorID),
		From: r.Sender, Recipients: r.recipients(), Subject: r.Subject, MessageID: r.MessageID, Status: r.Status,
		Reason: deref(r.Reason), Attempts: r.Attempts, LastError: deref(r.LastError), SentAt: r.SentAt,
		SentFolderState: r.SentFolderState, SentFolderError: deref(r.SentFolderError), CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt}
}

// outgoing is a mail to queue: what it is about and what it says. From,
// Date, MessageID and LoopID of msg are enqueueMail's.
type outgoing struct {
	id       string // "" for a new id
	kind     string
	mb       *mailboxRow
	ticketID string
	notifID  string
	itemID   string
	authorID string
	// automatic mail (notifications, absence replies) counts against the
	// hourly cap of its recipient; agents' mail does not.
	automatic bool
	msg       mailparse.Outgoing
}

// enqueueMail composes the mail, keeps its bytes in the blob store and
// writes its outbox row with its send job, or, over the automatic-mail
// cap, the row alone as suppressed (rate_limited). EINVALID when the mail
// cannot be composed (a bad address).
func (s *Store) enqueueMail(ctx context.Context, tx *Tx, o *outgoing) (*outboxMailRow, error) {
	if o.id == "" {
		o.id = newID()
	}
	_, domain, _ := strings.Cut(o.mb.Address, "@")
	o.msg.From = mailparse.Address{Name: o.mb.Name, Email: o.mb.Address}
	o.msg.MessageID, o.msg.Date, o.msg.LoopID = o.id+"@"+domain, tx.Now, s.opts.InstanceID
	row := &outboxMailRow{ID: o.id, Kind: o.kind, MailboxID: o.mb.ID, TicketID: nullable(o.ticketID),
		NotificationID: nullable(o.notifID), MailItemID: nullable(o.itemID), AuthorID: nullable(o.authorID),
		Sender: o.mb.Address, Recipients: jsonText(envelope(o.msg)), Subject: o.msg.Subject, MessageID: o.msg.MessageID,
		TextBody: o.msg.Text, Status: guichet.OutMailQueued, SentFolderState: guichet.SentFolderNone,
		CreatedAt: tx.Now, UpdatedAt: tx.Now}
	if o.automatic {
		ok, err := s.takeAutoMailSlots(ctx, tx, envelope(o.msg))
		if err != nil {
			return nil, err
		}
		if !ok {
			row.Status, row.Reason = guichet.OutMailSuppressed, nullable(guichet.SuppressRateLimited)
		}
	}
	if row.Status == guichet.OutMailQueued {
		if err := s.composeToBlob(ctx, row, o.msg); err != nil {
			return nil, err
		}
	}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return nil, fmt.Errorf("insert outgoing mail: %w", err)
	}
	if row.Status == guichet.OutMailQueued {
		opts := &river.InsertOpts{MaxAttempts: outSendMaxAttempts}
		if err := tx.InsertJob(ctx, guichet.MailSendJob{OutboxID: row.ID}, opts); err != nil {
			return nil, err
		}
	}
	err := auditPrivate(ctx, tx, mailOwner(o.mb), "create", "outgoing_mail", row.ID, nil, map[string]any{"kind": row.Kind,
		"mailbox_id": row.MailboxID, "ticket_id": o.ticketID, "recipients": row.recipients(), "subject": row.Subject,
		"message_id": row.MessageID, "status": row.Status})
	return row, err
}

// envelope lists the SMTP recipients: To then Cc.
func envelope(m mailparse.Outgoing) []string {
	var to []string
	for _, a := range append(append([]mailparse.Address(nil), m.To...), m.Cc...) {
		to = append(to, a.Email)
	}
	return to
}

func (s *Store) composeToBlob(ctx context.Context, row *outboxMailRow, msg mailparse.Outgoing) error {
	var b bytes.Buffer
	if _, err := mailparse.Compose(&b, msg); err != nil {
		if errors.Is(err, mailparse.ErrInvalidOutgoing) {
			return guichet.Errorf(guichet.EINVALID, "the mail cannot be written: %s", strings.TrimPrefix(err.Error(), mailparse.ErrInvalidOutgoing.Error()+": "))
		}
		return err
	}
	if s.opts.Blobs == nil {
		return errors.New("outgoing mail: no blob store configured")
	}
	info, err := s.opts.Blobs.Put(ctx, &b, maxOutgoingBytes)
	if err != nil {
		return fmt.Errorf("keep outgoing mail: %w", err)
	}
	row.BlobKey, row.Size, row.SHA256 = &info.Key, info.Size, info.SHA256
	return nil
}

// takeAutoMailSlots counts one automatic mail to each address in the
// current clock hour, unless one of them already had its
// Options.AutoMailPerHour; the conditional upsert makes the count hold
// across restarts and replicas.
func (s *Store) takeAutoMailSlots(ctx context.Context, tx *Tx, addresses []string) (bool, error) {
	limit := s.opts.AutoMailPerHour
	if limit <= 0 {
		limit = DefaultAutoMailPerHour
	}
	hour := tx.Now.Truncate(time.Hour)
	for _, a := range addresses {
		var n int
		err := tx.NewRaw(`INSERT INTO auto_mail_counts (address, hour, count) VALUES (?, ?, 1)
			ON CONFLICT (address, hour) DO UPDATE SET count = auto_mail_counts.count + 1
			WHERE auto_mail_counts.count < ? RETURNING count`, strings.ToLower(a), hour, limit).Scan(ctx, &n)
		if isNoRows(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("count automatic mail: %w", err)
		}
	}
	return true, nil
}

// sendingMailbox returns the first of the mailboxes with SMTP settings,
// nil when none has them.
func sendingMailbox(ctx context.Context, tx *Tx, ids ...string) (*mailboxRow, error) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		mb, err := loadByID[mailboxRow](ctx, tx, id, "mailbox")
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if mb.Smtp != nil {
			return &mb, nil
		}
	}
	return nil, nil
}

// ticketMailboxes are the mailboxes a ticket's mail leaves from, in order:
// the shared mailbox of the client's latest mail, then the shared
// "contact" mailbox.
func ticketMailboxes(ctx context.Context, tx *Tx, last *mailMessageRow) ([]string, error) {
	var ids []string
	if last != nil && last.MailboxID != nil {
		ids = append(ids, *last.MailboxID)
	}
	var contact []string
	err := tx.NewSelect().Table("mailboxes").Column("id").Where("kind = ? AND purpose = ?", guichet.MailboxShared, "contact").
		OrderExpr("priority DESC, id").Limit(1).Scan(ctx, &contact)
	if err != nil {
		return nil, fmt.Errorf("contact mailbox: %w", err)
	}
	return append(ids, contact...), nil
}

// latestInbound is the client's latest mail on the ticket, nil when none.
func latestInbound(ctx context.Context, tx *Tx, ticketID string) (*mailMessageRow, error) {
	var rows []mailMessageRow
	err := tx.NewSelect().Model(&rows).Where("ticket_id = ? AND direction = ?", ticketID, mailIn).
		OrderExpr("received_at DESC, id DESC").Limit(1).Scan(ctx)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// threadUnder sets the headers that thread msg under the mail it answers;
// ids Compose would refuse (a synthetic or broken one) are left out.
func threadUnder(msg *mailparse.Outgoing, parent *mailMessageRow) {
	if parent == nil || !threadable(parent.MessageID) {
		return
	}
	var refs []string
	_ = json.Unmarshal([]byte(parent.Refs), &refs)
	msg.InReplyTo = parent.MessageID
	for _, r := range refs {
		if threadable(r) {
			msg.References = append(msg.References, r)
		}
	}
}

func threadable(id string) bool {
	return id != "" && strings.Contains(id, "@") && !strings.ContainsAny(id, "<>\" \t\r\n") && len(id) < 500
}
