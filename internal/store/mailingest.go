package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailparse"
	"github.com/guichet/guichet/internal/textsearch"
)

// Mail directions: received, or written by the mailbox (its Sent folder,
// Guichet's own replies).
const (
	mailIn  = "in"
	mailOut = "out"
)

// maxServerSkew is the difference tolerated between the IMAP server's
// clock (INTERNALDATE) and Guichet's when a resynchronisation tells mail
// received since the folder's ingestion began from older mail.
const maxServerSkew = 10 * time.Minute

// RouteFailed marks a mail whose routing failed: it is stored with its
// queue item for a person, never lost, never blocking the mailbox.
const RouteFailed = "routing_failed"

// InboundFile is an attachment of an inbound mail, in the blob store.
type InboundFile struct {
	mailparse.PartInfo
	Key    string // "" for an empty part
	Size   int64
	SHA256 string
}

// InboundMail is one fetched mail for CommitMail: where it sits on the
// server, its raw source and attachments in the blob store, and what
// parsing it told.
type InboundMail struct {
	Folder       string
	UIDValidity  uint32
	UID          uint32
	InternalDate time.Time
	Sent         bool // from the mailbox's Sent folder
	Backfill     bool // old mail imported by a backfill: no automatic action
	// Resync: fetched again after a UIDVALIDITY change; unknown mail older
	// than StartedAt is not imported (it predates the folder's ingestion).
	Resync    bool
	StartedAt time.Time

	RawKey     string // "" when the mail was empty
	RawSHA256  string
	RawSize    int64
	HeaderOnly bool // RawKey holds the header only (an oversized mail)

	// Msg is the parsed mail; for a quarantined one, what its header told.
	Msg        *mailparse.Message
	Quarantine string // the quarantine reason, "" when parsed whole
	Files      []InboundFile
}

// BlobKeys are the blobs the mail brought.
func (in *InboundMail) BlobKeys() []string {
	var keys []string
	if in.RawKey != "" {
		keys = append(keys, in.RawKey)
	}
	for _, f := range in.Files {
		if f.Key != "" {
			keys = append(keys, f.Key)
		}
	}
	return keys
}

type mailMessageRow struct {
	bun.BaseModel `bun:"table:mail_messages,alias:mm"`

	ID               string     `bun:"id,pk"`
	MessageID        string     `bun:"message_id"`
	MailboxID        *string    `bun:"mailbox_id"`
	Direction        string     `bun:"direction"`
	InReplyTo        string     `bun:"in_reply_to"`
	Refs             string     `bun:"refs"`
	Subject          string     `bun:"subject"`
	FromName         string     `bun:"from_name"`
	FromEmail        string     `bun:"from_email"`
	ToList           string     `bun:"to_list"`
	CcList           string     `bun:"cc_list"`
	SentAt           *time.Time `bun:"sent_at"`
	ReceivedAt       time.Time  `bun:"received_at"`
	Excerpt          string     `bun:"excerpt"`
	TextBody         string     `bun:"text_body"`
	HTMLBody         string     `bun:"html_body"`
	Headers          string     `bun:"headers"`
	Classification   string     `bun:"classification"`
	Bounce           *string    `bun:"bounce"`
	BounceOfID       *string    `bun:"bounce_of_id"`
	QuarantineReason *string    `bun:"quarantine_reason"`
	SyntheticID      bool       `bun:"synthetic_id"`
	Backfill         bool       `bun:"backfill"`
	Warnings         string     `bun:"warnings"`
	RawBlobKey       *string    `bun:"raw_blob_key"`
	RawHeaderOnly    bool       `bun:"raw_header_only"`
	RawSHA256        string     `bun:"raw_sha256"`
	RawSize          int64      `bun:"raw_size"`
	ContactID        *string    `bun:"contact_id"`
	TicketID         *string    `bun:"ticket_id"`
	RoutingReason    string     `bun:"routing_reason"`
	CreatedAt        time.Time  `bun:"created_at"`
}

type mailLocationRow struct {
	bun.BaseModel `bun:"table:mail_locations"`

	MailboxID     string    `bun:"mailbox_id,pk"`
	Folder        string    `bun:"folder,pk"`
	UIDValidity   int64     `bun:"uidvalidity,pk"`
	UID           int64     `bun:"uid,pk"`
	MailMessageID string    `bun:"mail_message_id"`
	InternalDate  time.Time `bun:"internal_date"`
	CreatedAt     time.Time `bun:"created_at"`
}

type mailAttachmentRow struct {
	bun.BaseModel `bun:"table:mail_attachments"`

	ID            string  `bun:"id,pk"`
	MailMessageID string  `bun:"mail_message_id"`
	Position      int     `bun:"position"`
	Filename      string  `bun:"filename"`
	ContentType   string  `bun:"content_type"`
	ContentID     string  `bun:"content_id"`
	Inline        bool    `bun:"inline"`
	Size          int64   `bun:"size"`
	BlobKey       *string `bun:"blob_key"`
	SHA256        string  `bun:"sha256"`
}

type mailItemRow struct {
	bun.BaseModel `bun:"table:mail_items,alias:mi"`

	ID              string     `bun:"id,pk"`
	MailboxID       string     `bun:"mailbox_id"`
	MailMessageID   string     `bun:"mail_message_id"`
	Status          string     `bun:"status"`
	ReceivedAt      time.Time  `bun:"received_at"`
	RoutingReason   string     `bun:"routing_reason"`
	Quarantined     bool       `bun:"quarantined"`
	TicketID        *string    `bun:"ticket_id"`
	ClaimedBy       *string    `bun:"claimed_by"`
	ClaimedAt       *time.Time `bun:"claimed_at"`
	ProcessedBy     *string    `bun:"processed_by"`
	ProcessedAt     *time.Time `bun:"processed_at"`
	ProcessedReason *string    `bun:"processed_reason"`
	Version         int        `bun:"version"`
	CreatedAt       time.Time  `bun:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at"`

	// The queue's operations (mailqueue.go): reminders and archive move.
	ReminderStage int        `bun:"reminder_stage"`
	RemindFrom    *time.Time `bun:"remind_from"`
	ArchiveState  *string    `bun:"archive_state"`
	ArchiveError  *string    `bun:"archive_error"`
	ArchivedAt    *time.Time `bun:"archived_at"`
}

// CommitMail stores a batch of fetched mail of a mailbox in one
// transaction, with everything it causes (queue items, contacts, tickets,
// timeline events) and the folders' checkpoints, under holder's lease
// (ErrLeaseLost when another fetch took it). It returns the blob keys
// that nothing references (mail already known), for the caller to
// delete. When the batch fails for a reason of its own, the mails are
// committed one by one, and one whose routing fails is stored with its
// queue item alone (RouteFailed): never lost, never blocking the mailbox.
func (s *Store) CommitMail(ctx context.Context, mailboxID, holder string, mails []InboundMail, cps []FolderCheckpoint) ([]string, error) {
	set, err := s.ingestSettings(ctx)
	if err != nil {
		return nil, wrap("commit mail", err)
	}
	unused, err := s.commitBatch(ctx, mailboxID, holder, mails, cps, set, false)
	if err == nil || errors.Is(err, ErrLeaseLost) || IsConnectionFailure(err) || ctx.Err() != nil {
		return unused, wrap("commit mail", err)
	}
	s.log.Warn("mail batch failed, committing one by one", "mailbox", mailboxID, "error", err)
	unused = nil
	for i := range mails {
		in := mails[i : i+1]
		cp := []FolderCheckpoint{mailCheckpoint(&mails[i], cps)}
		u, err := s.commitBatch(ctx, mailboxID, holder, in, cp, set, false)
		if err != nil && !errors.Is(err, ErrLeaseLost) && !IsConnectionFailure(err) {
			s.log.Error("mail routing failed, stored for a person", "mailbox", mailboxID, "folder", mails[i].Folder,
				"uid", mails[i].UID, "error", err)
			u, err = s.commitBatch(ctx, mailboxID, holder, in, cp, set, true)
		}
		if err != nil {
			return unused, wrap("commit mail", err)
		}
		unused = append(unused, u...)
	}
	return unused, wrap("commit mail", s.SaveCheckpoints(ctx, mailboxID, holder, cps))
}

// mailCheckpoint is the checkpoint of the mail's folder, moved to the mail.
func mailCheckpoint(in *InboundMail, cps []FolderCheckpoint) FolderCheckpoint {
	cp := FolderCheckpoint{Folder: in.Folder, UIDValidity: in.UIDValidity, LastUID: in.UID, StartedAt: in.StartedAt}
	for _, c := range cps {
		if c.Folder == in.Folder {
			cp.StartedAt, cp.BackfillUntil = c.StartedAt, c.BackfillUntil
		}
	}
	return cp
}

func (s *Store) ingestSettings(ctx context.Context) (ticketSettings, error) {
	cal, pols, mapping, err := s.settings(ctx)
	if err == nil {
		err = s.ensureSequences(ctx)
	}
	return ticketSettings{cal.Calendar, pols, mapping}, err
}

func (s *Store) commitBatch(ctx context.Context, mailboxID, holder string, mails []InboundMail, cps []FolderCheckpoint,
	set ticketSettings, safe bool) ([]string, error) {
	var unused []string
	err := s.inTx(ctx, func(tx *Tx) error {
		unused = unused[:0]
		if err := holdLease(ctx, tx, mailboxID, holder); err != nil {
			return err
		}
		mb, err := loadByID[mailboxRow](ctx, tx, mailboxID, "mailbox")
		if err != nil {
			return err
		}
		batch, err := loadMailBatch(ctx, tx, mails)
		if err != nil {
			return err
		}
		for i := range mails {
			u, err := s.ingestOne(ctx, tx, batch, &mb, &mails[i], set, safe)
			if err != nil {
				return fmt.Errorf("%s UID %d: %w", mails[i].Folder, mails[i].UID, err)
			}
			unused = append(unused, u...)
		}
		for _, cp := range cps {
			if err := saveCheckpoint(ctx, tx, mailboxID, cp); err != nil {
				return err
			}
		}
		return nil
	})
	return unused, err
}

// mailCtx is one mail being ingested into one mailbox.
type mailCtx struct {
	batch *mailBatch
	mb    *mailboxRow
	in    *InboundMail
	row   *mailMessageRow
	set   ticketSettings
	from  string // the sender's normalised address, "" when none
	// senderKnown: row.ContactID is the sender's contact, whose
	// organisation is senderOrg.
	senderKnown bool
	senderOrg   *string
}

// ingestOne stores one mail, or only its new location when its Message-ID
// is known, and returns the blob keys left unused.
func (s *Store) ingestOne(ctx context.Context, tx *Tx, batch *mailBatch, mb *mailboxRow, in *InboundMail, set ticketSettings, safe bool) ([]string, error) {
	id := stableMessageID(in.Msg.MessageID)
	known, found, err := batch.knownMessage(ctx, tx, id)
	switch {
	case err != nil:
		return nil, err
	case found:
		if err := insertLocation(ctx, tx, mb.ID, in, known.ID); err != nil {
			return nil, err
		}
		mc := &mailCtx{batch: batch, mb: mb, in: in, row: &known, set: set, from: senderEmail(in.Msg)}
		return in.BlobKeys(), s.alsoReceived(ctx, tx, mc, safe)
	case in.Resync && in.InternalDate.Before(in.StartedAt.Add(-maxServerSkew)):
		return in.BlobKeys(), nil // older than the folder's ingestion: never imported
	}
	mc := &mailCtx{batch: batch, mb: mb, in: in, row: newMailMessageRow(mb, in, id, tx.Now), set: set, from: senderEmail(in.Msg)}
	r := route{Reason: RouteFailed, Item: !in.Sent}
	if !safe {
		f, target, err := s.gatherFacts(ctx, tx, mc)
		if err != nil {
			return nil, err
		}
		r = decideRoute(f)
		apply := func() error { return s.applyRoute(ctx, tx, mc, r, target) }
		if r.Effect == effectOpen && !r.Related && len(in.Files) == 0 && in.Msg.Bounce == nil {
			// Nothing reads the new ticket (nor the sender's new
			// contact) before the mail's own rows are written: they
			// all go in one round trip.
			err = tx.holdInserts(apply)
		} else {
			err = apply()
		}
		if err != nil {
			return nil, err
		}
	}
	mc.row.RoutingReason = r.Reason
	if err := s.insertMessage(ctx, tx, mc, r.Item); err != nil || safe {
		return nil, err
	}
	return nil, s.absenceReply(ctx, tx, mc)
}

// stableMessageID keeps an id an index can hold: a very long one is
// replaced by a digest of itself, the same for the same header.
func stableMessageID(id string) string {
	id = strings.ReplaceAll(id, "\x00", "")
	if len(id) <= 500 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "long-" + hex.EncodeToString(sum[:]) + "@guichet.invalid"
}

func senderEmail(m *mailparse.Message) string {
	if m.From == nil {
		return ""
	}
	e, ok := textsearch.NormalizeEmail(m.From.Email)
	if !ok {
		return ""
	}
	return e
}

func insertLocation(ctx context.Context, tx *Tx, mailboxID string, in *InboundMail, messageID string) error {
	loc := &mailLocationRow{MailboxID: mailboxID, Folder: in.Folder, UIDValidity: int64(in.UIDValidity), UID: int64(in.UID),
		MailMessageID: messageID, InternalDate: in.InternalDate.UTC(), CreatedAt: tx.Now}
	if loc.InternalDate.IsZero() {
		loc.InternalDate = tx.Now
	}
	if _, err := tx.NewInsert().Model(loc).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert location: %w", err)
	}
	return nil
}

// insertMessage writes a new message with its location, attachments,
// queue item and audit.
func (s *Store) insertMessage(ctx context.Context, tx *Tx, mc *mailCtx, item bool) error {
	row, in := mc.row, mc.in
	queries := []*bun.InsertQuery{tx.NewInsert().Model(row)}
	loc := &mailLocationRow{MailboxID: mc.mb.ID, Folder: in.Folder, UIDValidity: int64(in.UIDValidity), UID: int64(in.UID),
		MailMessageID: row.ID, InternalDate: row.ReceivedAt, CreatedAt: tx.Now}
	if !in.InternalDate.IsZero() {
		loc.InternalDate = in.InternalDate.UTC()
	}
	queries = append(queries, tx.NewInsert().Model(loc).On("CONFLICT DO NOTHING"))
	if atts := mailAttachments(row.ID, in.Files); len(atts) > 0 {
		queries = append(queries, tx.NewInsert().Model(&atts))
	}
	if item {
		queries = append(queries, tx.NewInsert().Model(newItem(mc.mb, row, row.RoutingReason, tx.Now)))
	}
	a, err := auditQueryFor(ctx, tx, mailOwner(mc.mb), "ingest", "mail_message", row.ID, nil, ingestAudit(mc))
	if err != nil {
		return err
	}
	if err := tx.execAll(ctx, append(queries, a)...); err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	return nil
}

// mailOwner is whose alone the audit of a mailbox's mail is: a personal
// mailbox's owner, nobody's for a shared one.
func mailOwner(mb *mailboxRow) string {
	if mb.personal() {
		return deref(mb.OwnerID)
	}
	return ""
}

func ingestAudit(mc *mailCtx) map[string]any {
	return map[string]any{"mailbox_id": mc.mb.ID, "folder": mc.in.Folder, "uidvalidity": mc.in.UIDValidity,
		"uid": mc.in.UID, "message_id": mc.row.MessageID, "routing_reason": mc.row.RoutingReason,
		"ticket_id": deref(mc.row.TicketID)}
}

func newItem(mb *mailboxRow, row *mailMessageRow, reason string, now time.Time) *mailItemRow {
	it := &mailItemRow{ID: newID(), MailboxID: mb.ID, MailMessageID: row.ID, Status: guichet.MailItemNew,
		ReceivedAt: row.ReceivedAt, RoutingReason: reason, Quarantined: row.QuarantineReason != nil,
		TicketID: row.TicketID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if mb.personal() {
		it.TicketID = nil // the private queue never points into shared tickets
	}
	if row.Backfill {
		it.ReminderStage = reminderResponsible // old mail: no reminder, as no other automatic action
	}
	return it
}

func mailAttachments(messageID string, files []InboundFile) []mailAttachmentRow {
	out := make([]mailAttachmentRow, 0, len(files))
	for i, f := range files {
		out = append(out, mailAttachmentRow{ID: newID(), MailMessageID: messageID, Position: i, Filename: noNUL(f.Filename),
			ContentType: noNUL(f.ContentType), ContentID: noNUL(f.ContentID), Inline: f.Inline, Size: f.Size, BlobKey: nullable(f.Key), SHA256: f.SHA256})
	}
	return out
}

// noNUL drops NUL characters, which PostgreSQL's text refuses.
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func newMailMessageRow(mb *mailboxRow, in *InboundMail, id string, now time.Time) *mailMessageRow {
	m := in.Msg
	received := in.InternalDate.UTC()
	if received.IsZero() || received.After(now) {
		received = now
	}
	row := &mailMessageRow{ID: newID(), MessageID: id, MailboxID: &mb.ID, Direction: mailIn,
		InReplyTo: noNUL(m.InReplyTo), Refs: jsonText(nonNil(m.References)), Subject: noNUL(m.Subject),
		ToList: jsonText(addressList(m.To)), CcList: jsonText(addressList(m.Cc)), ReceivedAt: received,
		Excerpt: noNUL(m.Excerpt), TextBody: noNUL(mailText(m)), HTMLBody: noNUL(m.HTML), Headers: jsonText(nonNilMap(m.Headers)),
		Classification: jsonText(map[string]any{"auto_reply": m.AutoReply, "auto_reply_reason": m.AutoReplyReason,
			"suppress_auto_response": m.SuppressAutoResponse, "loop": m.Loop, "loop_id": m.LoopID}),
		SyntheticID: m.Synthetic, Backfill: in.Backfill, Warnings: jsonText(nonNil(m.Warnings)),
		RawBlobKey: nullable(in.RawKey), RawHeaderOnly: in.HeaderOnly, RawSHA256: in.RawSHA256, RawSize: in.RawSize,
		CreatedAt: now}
	if in.Sent {
		row.Direction = mailOut
	}
	if m.From != nil {
		row.FromName, row.FromEmail = noNUL(m.From.Name), noNUL(m.From.Email)
		if e, ok := textsearch.NormalizeEmail(m.From.Email); ok {
			row.FromEmail = e
		}
	}
	if m.Date != nil {
		d := m.Date.UTC()
		row.SentAt = &d
	}
	if m.Bounce != nil {
		row.Bounce = nullable(jsonText(m.Bounce))
	}
	if in.Quarantine != "" {
		row.QuarantineReason = &in.Quarantine
	}
	return row
}

func mailText(m *mailparse.Message) string {
	if m.Text != "" {
		return m.Text
	}
	return m.TextFromHTML
}

func addressList(as []mailparse.Address) []guichet.MailAddress {
	out := make([]guichet.MailAddress, 0, len(as))
	for _, a := range as {
		out = append(out, guichet.MailAddress{Name: noNUL(a.Name), Email: noNUL(a.Email)})
	}
	return out
}

func nonNilMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = noNUL(v)
	}
	return out
}
