package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/guichet"
)

// OutgoingClaimTTL is how long a send job's claim on a mail holds: a
// process killed mid-send leaves a claim that another job may retake
// after it (the send job's timeout is well under it).
const OutgoingClaimTTL = 3 * time.Minute

// ClaimOutgoing takes the mail for one send job, in its own transaction
// before any SMTP: a queued mail (or one whose claim expired) becomes
// sending; a sent mail whose Sent-folder copy is due is claimed for that
// copy alone. Another run of the job, or a concurrent one, gets
// guichet.ErrNothingToSend.
func (s *Store) ClaimOutgoing(ctx context.Context, id string) (guichet.OutgoingClaim, error) {
	var claim guichet.OutgoingClaim
	err := s.inTx(ctx, func(tx *Tx) error {
		stale := tx.Now.Add(-OutgoingClaimTTL)
		res, err := tx.NewUpdate().Model((*outboxMailRow)(nil)).
			Set("status = ?, attempts = attempts + 1, claimed_at = ?, updated_at = ?", guichet.OutMailSending, tx.Now, tx.Now).
			Where("id = ?", id).
			Where("status = ? OR (status = ? AND claimed_at < ?)", guichet.OutMailQueued, guichet.OutMailSending, stale).Exec(ctx)
		if err != nil {
			return fmt.Errorf("claim outgoing mail: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claim.Send = true
		} else if ok, err := claimSentFolder(ctx, tx, id, stale); err != nil || !ok {
			if err == nil {
				err = guichet.ErrNothingToSend
			}
			return err
		}
		return s.fillClaim(ctx, tx, id, &claim)
	})
	return claim, err
}

func claimSentFolder(ctx context.Context, tx *Tx, id string, stale time.Time) (bool, error) {
	res, err := tx.NewUpdate().Model((*outboxMailRow)(nil)).
		Set("sent_folder_state = ?, claimed_at = ?, updated_at = ?", guichet.SentFolderAppending, tx.Now, tx.Now).
		Where("id = ? AND status = ?", id, guichet.OutMailSent).
		Where("sent_folder_state = ? OR (sent_folder_state = ? AND claimed_at < ?)", guichet.SentFolderPending,
			guichet.SentFolderAppending, stale).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("claim sent folder copy: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// fillClaim reads the mail and its mailbox's settings, passwords opened.
func (s *Store) fillClaim(ctx context.Context, tx *Tx, id string, claim *guichet.OutgoingClaim) error {
	row, err := loadByID[outboxMailRow](ctx, tx, id, "outgoing mail")
	if err != nil {
		return err
	}
	mb, err := loadByID[mailboxRow](ctx, tx, row.MailboxID, "mailbox")
	if err != nil {
		return err
	}
	claim.ID, claim.MailboxID, claim.From, claim.Recipients = row.ID, mb.ID, row.Sender, row.recipients()
	claim.BlobKey, claim.Size, claim.Date = deref(row.BlobKey), row.Size, row.CreatedAt
	if mb.Smtp != nil {
		if err := json.Unmarshal([]byte(*mb.Smtp), &claim.SMTP); err != nil {
			return fmt.Errorf("mailbox %s smtp settings: %w", mb.ID, err)
		}
		if claim.SMTPPassword, err = s.openSecret(mb.SmtpPassword, "mailbox-smtp:"+mb.ID); err != nil {
			return err
		}
	}
	if mb.Imap != nil {
		if err := json.Unmarshal([]byte(*mb.Imap), &claim.IMAP); err != nil {
			return fmt.Errorf("mailbox %s imap settings: %w", mb.ID, err)
		}
		claim.SentFolder = claim.IMAP.SentFolder
		if claim.IMAPPassword, err = s.openSecret(mb.ImapPassword, "mailbox-imap:"+mb.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) openSecret(sealed []byte, context string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	pw, err := s.opts.Box.Open(sealed, []byte(context))
	if err != nil {
		return "", fmt.Errorf("open %s password: %w", strings.TrimSuffix(context, ":"), err)
	}
	return string(pw), nil
}

// OpenOutgoing streams the composed mail of a claim.
func (s *Store) OpenOutgoing(ctx context.Context, claim guichet.OutgoingClaim) (io.ReadCloser, error) {
	if claim.BlobKey == "" {
		return nil, fmt.Errorf("outgoing mail %s has no content", claim.ID)
	}
	return s.opts.Blobs.Open(ctx, claim.BlobKey)
}

// RecordSent marks the claimed mail sent and records it as a message of
// its ticket (direction out, same Message-ID), so that its copy in the
// Sent folder is recognised when ingested, never a second message nor a
// request. It reports whether the copy to the Sent folder is due (then
// already claimed for the caller).
func (s *Store) RecordSent(ctx context.Context, id string) (appendDue bool, err error) {
	err = s.inTx(ctx, func(tx *Tx) error {
		row, err := loadByID[outboxMailRow](ctx, tx, id, "outgoing mail")
		if err != nil {
			return err
		}
		mb, err := loadByID[mailboxRow](ctx, tx, row.MailboxID, "mailbox")
		if err != nil {
			return err
		}
		appendDue = mb.Imap != nil && sentFolderOf(&mb) != ""
		state := guichet.SentFolderNone
		if appendDue {
			state = guichet.SentFolderAppending
		}
		_, err = tx.NewUpdate().Model((*outboxMailRow)(nil)).
			Set("status = ?, sent_at = ?, last_error = NULL, sent_folder_state = ?, claimed_at = ?, updated_at = ?",
				guichet.OutMailSent, tx.Now, state, tx.Now, tx.Now).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return fmt.Errorf("record sent: %w", err)
		}
		if row.NotificationID != nil {
			_, err = tx.NewUpdate().Table("client_notifications").Set("status = ?, sent_at = ?", guichet.OutMailSent, tx.Now).
				Where("id = ?", *row.NotificationID).Exec(ctx)
			if err != nil {
				return err
			}
		}
		return recordSentMessage(ctx, tx, &row, &mb)
	})
	return appendDue, wrap("record sent", err)
}

func sentFolderOf(mb *mailboxRow) string {
	var imap struct {
		SentFolder string `json:"sent_folder"`
	}
	_ = json.Unmarshal([]byte(deref(mb.Imap)), &imap)
	return imap.SentFolder
}

// recordSentMessage writes the mail_messages row of a sent mail.
func recordSentMessage(ctx context.Context, tx *Tx, row *outboxMailRow, mb *mailboxRow) error {
	now := tx.Now
	var to []map[string]string
	for _, a := range row.recipients() {
		to = append(to, map[string]string{"email": a})
	}
	m := &mailMessageRow{ID: newID(), MessageID: row.MessageID, MailboxID: &mb.ID, Direction: mailOut, Refs: "[]",
		Subject: row.Subject, FromName: mb.Name, FromEmail: row.Sender, ToList: jsonText(to), CcList: "[]",
		SentAt: &now, ReceivedAt: now, Excerpt: truncateText(row.TextBody, 500), TextBody: row.TextBody,
		Headers: "{}", Classification: "{}", Warnings: "[]", RawBlobKey: row.BlobKey, RawSHA256: row.SHA256,
		RawSize: row.Size, TicketID: row.TicketID, RoutingReason: guichet.RouteGuichetSent, CreatedAt: tx.Now}
	if _, err := tx.NewInsert().Model(m).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("record sent message: %w", err)
	}
	return nil
}

// RecordSendFailure records a failed attempt: a temporary one puts the
// mail back in the queue for River's retry; a permanent one marks it
// failed with the server's reply, on the ticket's timeline, to its author
// (or the ticket's assignee) as a notification, and on its client
// notification.
func (s *Store) RecordSendFailure(ctx context.Context, id, reason string, temporary bool) error {
	reason = truncateText(reason, 1000)
	return wrap("record send failure", s.inTx(ctx, func(tx *Tx) error {
		status := guichet.OutMailFailed
		if temporary {
			status = guichet.OutMailQueued
		}
		res, err := tx.NewUpdate().Model((*outboxMailRow)(nil)).Set("status = ?, last_error = ?, updated_at = ?", status, reason, tx.Now).
			Where("id = ? AND status = ?", id, guichet.OutMailSending).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || temporary {
			return nil
		}
		row, err := loadByID[outboxMailRow](ctx, tx, id, "outgoing mail")
		if err != nil {
			return err
		}
		return failureEffects(ctx, tx, &row, reason)
	}))
}

func failureEffects(ctx context.Context, tx *Tx, row *outboxMailRow, reason string) error {
	if row.NotificationID != nil {
		_, err := tx.NewUpdate().Table("client_notifications").Set("status = ?, reason = ?", guichet.OutMailFailed, truncateText(reason, 200)).
			Where("id = ?", *row.NotificationID).Exec(ctx)
		if err != nil {
			return err
		}
	}
	if row.TicketID == nil {
		return nil
	}
	t, err := findTicket(ctx, tx, *row.TicketID)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Le mail « %s » à %s n'a pas pu être envoyé : %s", row.Subject, strings.Join(row.recipients(), ", "), reason)
	_, err = addEvent(ctx, tx, t.ID, guichet.EventMailFailed, false, msg, map[string]any{"outgoing_mail_id": row.ID,
		"kind": row.Kind, "message_id": row.MessageID, "error": reason})
	if err != nil {
		return err
	}
	to := deref(row.AuthorID)
	if to == "" {
		to = deref(t.AssigneeID)
	}
	if to == "" {
		return nil
	}
	return notifyAgent(ctx, tx, to, t.ID, guichet.AgentNotificationMailFailed, fmt.Sprintf("%s : %s", t.Number, msg))
}

// RecordSentFolder records how the copy to the Sent folder went: done
// (failure ""), to retry, or given up (final).
func (s *Store) RecordSentFolder(ctx context.Context, id, failure string, final bool) error {
	state := guichet.SentFolderAppended
	switch {
	case failure != "" && final:
		state = guichet.SentFolderFailed
	case failure != "":
		state = guichet.SentFolderPending
	}
	return wrap("record sent folder copy", s.inTx(ctx, func(tx *Tx) error {
		_, err := tx.NewUpdate().Model((*outboxMailRow)(nil)).
			Set("sent_folder_state = ?, sent_folder_error = ?, updated_at = ?", state, nullable(truncateText(failure, 1000)), tx.Now).
			Where("id = ? AND sent_folder_state = ?", id, guichet.SentFolderAppending).Exec(ctx)
		return err
	}))
}
