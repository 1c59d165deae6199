package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailparse"
	"github.com/guichet/guichet/internal/textsearch"
)

// ForwardMailItem forwards a queue item's mail, whole, as a message/rfc822
// attachment, from its mailbox. Whoever sees the mailbox's queue may
// forward (a personal mailbox is not found for anyone else). A shared
// mailbox's mail never goes to a personal mailbox nor to an agent's own
// address (« on ne transfère pas les mails dans les boîtes perso »):
// EINVALID.
func (s *Store) ForwardMailItem(ctx context.Context, itemID string, in guichet.MailForward) (guichet.OutgoingMail, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeMailboxesWrite); err != nil {
		return guichet.OutgoingMail{}, err
	}
	to, ok := textsearch.NormalizeEmail(in.To)
	if !ok {
		return guichet.OutgoingMail{}, guichet.Invalid("to", fmt.Sprintf("%q is not an email address", in.To))
	}
	var out guichet.OutgoingMail
	err := s.inTx(ctx, func(tx *Tx) error {
		item, err := loadByID[mailItemRow](ctx, tx, itemID, "mail item")
		if err != nil {
			return err
		}
		mb, _, err := s.loadVisibleMailbox(ctx, tx, item.MailboxID)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return notFound("mail item")
		} else if err != nil {
			return err
		}
		if err := forwardAllowed(ctx, tx, &mb, to); err != nil {
			return err
		}
		row, err := s.forward(ctx, tx, &mb, &item, to, in.Note, c.Agent.ID)
		if err != nil {
			return err
		}
		out = row.domain()
		return nil
	})
	return out, wrap("forward mail item", err)
}

func forwardAllowed(ctx context.Context, tx *Tx, mb *mailboxRow, to string) error {
	if mb.personal() {
		return nil
	}
	n, err := tx.NewSelect().Table("mailboxes").Where("kind = ? AND lower(address) = ?", guichet.MailboxPersonal, to).Count(ctx)
	if err == nil && n == 0 {
		n, err = tx.NewSelect().Table("agents").Where("lower(email) = ?", to).Count(ctx)
	}
	if err != nil {
		return fmt.Errorf("forward target: %w", err)
	}
	if n > 0 {
		return guichet.Invalid("to", "On ne transfère pas les mails dans les boîtes perso: a shared mailbox's mail is not forwarded to a personal mailbox or an agent's address")
	}
	return nil
}

func (s *Store) forward(ctx context.Context, tx *Tx, mb *mailboxRow, item *mailItemRow, to, note, author string) (*outboxMailRow, error) {
	if mb.Smtp == nil {
		return nil, guichet.Invalid("mail_item", fmt.Sprintf("the mailbox %s has no SMTP settings", mb.Address))
	}
	msg, err := loadByID[mailMessageRow](ctx, tx, item.MailMessageID, "mail message")
	if err != nil {
		return nil, err
	}
	if msg.RawBlobKey == nil || msg.RawHeaderOnly {
		return nil, guichet.Invalid("mail_item", "the original mail is not kept whole: it cannot be forwarded")
	}
	raw, err := s.opts.Blobs.Open(ctx, *msg.RawBlobKey)
	if err != nil {
		return nil, fmt.Errorf("open original mail: %w", err)
	}
	defer raw.Close()
	text := strings.TrimSpace(note)
	if text == "" {
		text = fmt.Sprintf("Message transféré depuis %s.", mb.Address)
	}
	o := &outgoing{kind: guichet.OutMailForward, mb: mb, ticketID: deref(item.TicketID), itemID: item.ID, authorID: author,
		msg: mailparse.Outgoing{To: []mailparse.Address{{Email: to}}, Subject: "Tr: " + ticketSubject(msg.Subject), Text: text + "\n",
			Attachments: []mailparse.OutgoingAttachment{{Filename: "message.eml", ContentType: "message/rfc822", Body: raw}}}}
	return s.enqueueMail(ctx, tx, o)
}
