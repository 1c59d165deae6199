package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/guichet"
)

type attachmentRow struct {
	bun.BaseModel `bun:"table:attachments,alias:att"`

	ID          string    `bun:"id,pk"`
	TicketID    string    `bun:"ticket_id"`
	Filename    string    `bun:"filename"`
	ContentType string    `bun:"content_type"`
	Size        int64     `bun:"size"`
	SHA256      string    `bun:"sha256"`
	BlobKey     string    `bun:"blob_key"`
	Direction   string    `bun:"direction"`
	CreatedBy   *string   `bun:"created_by"`
	CreatedAt   time.Time `bun:"created_at"`
}

func (r *attachmentRow) domain() guichet.Attachment {
	return guichet.Attachment{ID: r.ID, TicketID: r.TicketID, Filename: r.Filename, ContentType: r.ContentType,
		Size: r.Size, SHA256: r.SHA256, Direction: r.Direction, CreatedBy: deref(r.CreatedBy), CreatedAt: r.CreatedAt}
}

// Attachment directions.
const (
	attachmentIncoming = "incoming"
	attachmentOutgoing = "outgoing"
)

// AddAttachment streams r into the blob store (at most the configured
// size) and attaches it to the ticket. The same bytes attached again to
// the same ticket return the existing attachment with created false.
// ETOOLARGE over the limit, EINVALID when empty; nothing is kept then.
func (s *Store) AddAttachment(ctx context.Context, idOrNumber, filename, direction string, r io.Reader) (guichet.Attachment, bool, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Attachment{}, false, err
	}
	name, err := cleanFilename(filename)
	if err != nil {
		return guichet.Attachment{}, false, err
	}
	if direction == "" {
		direction = attachmentIncoming
	} else if direction != attachmentIncoming && direction != attachmentOutgoing {
		return guichet.Attachment{}, false, guichet.Invalid("direction", "incoming or outgoing")
	}
	if _, err := findTicket(ctx, s.db.read, idOrNumber); err != nil {
		return guichet.Attachment{}, false, wrap("add attachment", err)
	}
	info, err := s.putBlob(ctx, r)
	if err != nil {
		return guichet.Attachment{}, false, err
	}
	row := attachmentRow{ID: newID(), Filename: name, ContentType: info.ContentType, Size: info.Size, SHA256: info.SHA256,
		BlobKey: info.Key, Direction: direction, CreatedBy: nullable(c.Agent.ID)}
	created := true
	err = s.inTx(ctx, func(tx *Tx) error {
		t, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		var existing attachmentRow
		err = tx.NewSelect().Model(&existing).Where("ticket_id = ? AND sha256 = ?", t.ID, info.SHA256).Scan(ctx)
		if err == nil {
			row, created = existing, false
			return nil
		}
		row.TicketID, row.CreatedAt = t.ID, tx.Now
		ev := newEvent(ctx, tx, t.ID, guichet.EventAttachment, false, name, map[string]any{"attachment_id": row.ID,
			"filename": name, "content_type": row.ContentType, "size": row.Size, "sha256": row.SHA256, "direction": direction})
		q, err := auditQuery(ctx, tx, "create", "attachment", row.ID, nil, row.domain())
		if err != nil {
			return err
		}
		return tx.execAll(ctx, tx.NewInsert().Model(&row), tx.NewInsert().Model(ev), q)
	})
	if err != nil || !created {
		// The blob is not referenced: drop it (a failed delete leaves an
		// unreferenced blob, never a missing one).
		if derr := s.opts.Blobs.Delete(context.WithoutCancel(ctx), info.Key); derr != nil {
			s.log.Warn("delete unreferenced blob", "key", info.Key, "error", derr)
		}
	}
	return row.domain(), created, wrap("add attachment", err)
}

// putBlob streams an upload into the blob store, at most the configured
// attachment size: ETOOLARGE over it, EINVALID when empty, EBADREQUEST
// when cut short; nothing is kept then.
func (s *Store) putBlob(ctx context.Context, r io.Reader) (blob.Info, error) {
	info, err := s.opts.Blobs.Put(ctx, r, s.opts.MaxAttachmentBytes)
	switch {
	case errors.Is(err, blob.ErrTooLarge):
		return info, guichet.Errorf(guichet.ETOOLARGE, "the file exceeds %d bytes", s.opts.MaxAttachmentBytes)
	case errors.Is(err, blob.ErrEmpty):
		return info, guichet.Invalid("file", "the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return info, guichet.Errorf(guichet.EBADREQUEST, "the upload was cut short")
	case err != nil:
		return info, wrap("store attachment", err)
	}
	return info, nil
}

// dropBlob deletes a blob nothing references any more; a failed delete
// leaves an unreferenced blob, never a missing one.
func (s *Store) dropBlob(ctx context.Context, key string) {
	if err := s.opts.Blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.Warn("delete unreferenced blob", "key", key, "error", err)
	}
}

// cleanFilename keeps the base name, without control characters.
func cleanFilename(name string) (string, error) {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" || len(name) > 255 {
		return "", guichet.Invalid("filename", "give the file's name (at most 255 bytes)")
	}
	return name, nil
}

// ListAttachments lists a ticket's attachments, oldest first.
func (s *Store) ListAttachments(ctx context.Context, idOrNumber string) ([]guichet.Attachment, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return nil, err
	}
	t, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return nil, wrap("list attachments", err)
	}
	var rows []attachmentRow
	if err := s.db.read.NewSelect().Model(&rows).Where("ticket_id = ?", t.ID).Order("id").Scan(ctx); err != nil {
		return nil, wrap("list attachments", err)
	}
	out := make([]guichet.Attachment, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// OpenAttachment returns an attachment of the ticket and its content to
// stream; the caller closes it.
func (s *Store) OpenAttachment(ctx context.Context, idOrNumber, id string) (guichet.Attachment, io.ReadCloser, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.Attachment{}, nil, err
	}
	t, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return guichet.Attachment{}, nil, wrap("open attachment", err)
	}
	row, err := loadByID[attachmentRow](ctx, s.db.read, id, "attachment")
	if err == nil && row.TicketID != t.ID {
		err = notFound("attachment")
	}
	if err != nil {
		return guichet.Attachment{}, nil, wrap("open attachment", err)
	}
	rc, err := s.opts.Blobs.Open(ctx, row.BlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return guichet.Attachment{}, nil, fmt.Errorf("attachment %s: blob %s is missing", row.ID, row.BlobKey)
	}
	return row.domain(), rc, wrap("open attachment", err)
}

// replyAttachments checks that the ids are attachments of the ticket; a
// letter reply needs at least one (its scan).
func replyAttachments(ctx context.Context, tx *Tx, ticketID string, in guichet.Reply) error {
	letter := in.Channel == guichet.ChannelLetter || in.Channel == guichet.ChannelRegisteredLetter
	if letter && len(in.AttachmentIDs) == 0 {
		return guichet.Invalid("attachment_ids", "a letter reply needs the scan of the letter sent (upload it first)")
	}
	if len(in.AttachmentIDs) == 0 {
		return nil
	}
	for _, id := range in.AttachmentIDs {
		if !validID(id) {
			return guichet.Invalid("attachment_ids", fmt.Sprintf("%q is not an attachment of this ticket", id))
		}
	}
	n, err := tx.NewSelect().Model((*attachmentRow)(nil)).Where("ticket_id = ? AND id IN (?)", ticketID, bun.List(in.AttachmentIDs)).Count(ctx)
	if err != nil {
		return err
	}
	if n != len(in.AttachmentIDs) {
		return guichet.Invalid("attachment_ids", "every id must be an attachment of this ticket")
	}
	return nil
}
