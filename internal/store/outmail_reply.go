package store

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailparse"
	"github.com/guichet/guichet/internal/textsearch"
)

var _ guichet.OutMailService = (*Store)(nil)

// SendEmailReply records an agent's reply on the ticket (channel email:
// the response clocks close) and queues its mail, in one transaction.
// The mail answers the client's latest mail on the ticket (In-Reply-To,
// References), carries the ticket number and the file reference in its
// subject, and no Auto-Submitted: a person wrote it (RFC 3834).
func (s *Store) SendEmailReply(ctx context.Context, idOrNumber string, in guichet.EmailReply) (guichet.OutgoingMail, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.OutgoingMail{}, err
	}
	if strings.TrimSpace(in.Text) == "" {
		return guichet.OutgoingMail{}, guichet.Invalid("text", "must not be empty")
	}
	cc, err := mailAddresses("cc", in.Cc)
	if err != nil {
		return guichet.OutgoingMail{}, err
	}
	var out guichet.OutgoingMail
	err = s.inTx(ctx, func(tx *Tx) error {
		t, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		o, closeFiles, err := s.replyMail(ctx, tx, t, in)
		defer closeFiles()
		if err != nil {
			return err
		}
		o.msg.Cc, o.authorID = cc, c.Agent.ID
		reply := guichet.Reply{Channel: guichet.ChannelEmail, Body: in.Text, AttachmentIDs: in.AttachmentIDs}
		if err := replyFileReference(t, &reply); err != nil {
			return err
		}
		if _, err := s.recordReply(ctx, tx, t, reply, tx.Now); err != nil {
			return err
		}
		row, err := s.enqueueMail(ctx, tx, o)
		if err != nil {
			return err
		}
		out = row.domain()
		return nil
	})
	return out, wrap("send email reply", err)
}

// replyMail prepares the reply's mail; closeFiles closes the attachments'
// blobs once the mail is composed.
func (s *Store) replyMail(ctx context.Context, tx *Tx, t *ticketRow, in guichet.EmailReply) (*outgoing, func(), error) {
	closeFiles := func() {}
	to, err := ticketRecipient(ctx, tx, t)
	if err != nil {
		return nil, closeFiles, err
	}
	last, err := latestInbound(ctx, tx, t.ID)
	if err != nil {
		return nil, closeFiles, err
	}
	mb, err := s.replyMailbox(ctx, tx, in.MailboxID, last)
	if err != nil {
		return nil, closeFiles, err
	}
	files, closeFiles, err := s.replyFiles(ctx, tx, t.ID, in.AttachmentIDs)
	if err != nil {
		return nil, closeFiles, err
	}
	base := t.Subject
	if last != nil && strings.TrimSpace(last.Subject) != "" {
		base = last.Subject
	}
	o := &outgoing{kind: guichet.OutMailReply, mb: mb, ticketID: t.ID, msg: mailparse.Outgoing{To: []mailparse.Address{to},
		Subject: replySubject(base, t.Number, t.FileReference), Text: in.Text, Attachments: files}}
	threadUnder(&o.msg, last)
	return o, closeFiles, nil
}

// ticketRecipient is the ticket's contact's address: EINVALID without one.
func ticketRecipient(ctx context.Context, tx *Tx, t *ticketRow) (mailparse.Address, error) {
	if t.ContactID == nil {
		return mailparse.Address{}, guichet.Invalid("contact", "the ticket has no contact to write to")
	}
	c, err := loadByID[contactRow](ctx, tx, *t.ContactID, "contact")
	if err != nil {
		return mailparse.Address{}, err
	}
	if c.Email == "" {
		return mailparse.Address{}, guichet.Invalid("contact", "the ticket's contact has no email address")
	}
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	return mailparse.Address{Name: name, Email: c.Email}, nil
}

// replyMailbox picks the mailbox a reply leaves from: the one asked for
// (which the caller must see), else the mailbox of the client's latest
// mail, else the shared "contact" one; EINVALID when none has SMTP
// settings.
func (s *Store) replyMailbox(ctx context.Context, tx *Tx, asked string, last *mailMessageRow) (*mailboxRow, error) {
	if asked != "" {
		mb, _, err := s.loadVisibleMailbox(ctx, tx, asked)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return nil, guichet.Invalid("mailbox_id", "no such mailbox")
		} else if err != nil {
			return nil, err
		}
		if mb.Smtp == nil {
			return nil, guichet.Invalid("mailbox_id", fmt.Sprintf("the mailbox %s has no SMTP settings", mb.Address))
		}
		return &mb, nil
	}
	ids, err := ticketMailboxes(ctx, tx, last)
	if err != nil {
		return nil, err
	}
	mb, err := sendingMailbox(ctx, tx, ids...)
	if err == nil && mb == nil {
		err = guichet.Invalid("mailbox_id", "no mailbox with SMTP settings to send from: set the SMTP settings of the contact mailbox")
	}
	return mb, err
}

// replyFiles opens the ticket's attachments for the mail: EINVALID when
// one is not the ticket's.
func (s *Store) replyFiles(ctx context.Context, tx *Tx, ticketID string, ids []string) ([]mailparse.OutgoingAttachment, func(), error) {
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	if len(ids) == 0 {
		return nil, closeAll, nil
	}
	if err := replyAttachments(ctx, tx, ticketID, guichet.Reply{Channel: guichet.ChannelEmail, AttachmentIDs: ids}); err != nil {
		return nil, closeAll, err
	}
	var files []mailparse.OutgoingAttachment
	for _, id := range ids {
		a, err := loadByID[attachmentRow](ctx, tx, id, "attachment")
		if err != nil {
			return nil, closeAll, err
		}
		r, err := s.opts.Blobs.Open(ctx, a.BlobKey)
		if err != nil {
			return nil, closeAll, fmt.Errorf("open attachment %s: %w", a.ID, err)
		}
		closers = append(closers, r)
		files = append(files, mailparse.OutgoingAttachment{Filename: a.Filename, ContentType: bareMediaType(a.ContentType), Body: r})
	}
	return files, closeAll, nil
}

func bareMediaType(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.TrimSpace(ct)
}

// mailAddresses normalises a list of addresses: EINVALID names the field.
func mailAddresses(field string, list []string) ([]mailparse.Address, error) {
	var out []mailparse.Address
	for _, a := range list {
		e, ok := textsearch.NormalizeEmail(a)
		if !ok {
			return nil, guichet.Invalid(field, fmt.Sprintf("%q is not an email address", a))
		}
		out = append(out, mailparse.Address{Email: e})
	}
	return out, nil
}

// replySubject is "Re: <subject> [<ticket number>] réf. <file reference>",
// without piling up reply prefixes nor repeating what the subject holds.
func replySubject(base, number, fileRef string) string {
	base = strings.TrimSpace(base)
	for {
		trimmed := trimReplyPrefix(base)
		if trimmed == base {
			break
		}
		base = trimmed
	}
	s := "Re: " + base
	if !strings.Contains(s, number) {
		s += " [" + number + "]"
	}
	if fileRef != "" && !strings.Contains(s, fileRef) {
		s += " réf. " + fileRef
	}
	return s
}

func trimReplyPrefix(s string) string {
	lower := strings.ToLower(s)
	for _, p := range []string{"re:", "re :", "tr:", "tr :", "fw:", "fwd:", "aw:"} {
		if strings.HasPrefix(lower, p) {
			return strings.TrimSpace(s[len(p):])
		}
	}
	return s
}

// ListOutgoingMails pages the mail sent (or to send) from a ticket, oldest
// first.
func (s *Store) ListOutgoingMails(ctx context.Context, idOrNumber string, p guichet.PageRequest) (guichet.Page[guichet.OutgoingMail], error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.Page[guichet.OutgoingMail]{}, err
	}
	t, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return guichet.Page[guichet.OutgoingMail]{}, wrap("list outgoing mails", err)
	}
	q := s.db.read.NewSelect().Model((*outboxMailRow)(nil)).Where("ticket_id = ?", t.ID)
	return idPage(ctx, q, "outgoing_mails", p, false, func(r *outboxMailRow) (string, guichet.OutgoingMail) { return r.ID, r.domain() })
}
