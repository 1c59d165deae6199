package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/guichet/guichet/internal/guichet"
)

// The archive move: once an item is processed, a River job (inserted with
// the processing) moves its mail to the mailbox's archive folder on the
// IMAP server (« archivés sur la boîte email »). BeginArchive tells the
// job where the mail is; EndArchive records how it went.

// ArchivePlan is what one archive move needs. Password is the opened IMAP
// password: it never leaves the job.
type ArchivePlan struct {
	ItemID    string
	MailboxID string
	Imap      guichet.ImapSettings
	Password  string
	// Done: nothing left to do (already archived or failed for good).
	Done bool
	// Locations are where the mail sits in the mailbox's ingested
	// folders, newest UIDVALIDITY first.
	Locations []ArchiveLocation
}

// ArchiveLocation is a message's place on the server.
type ArchiveLocation struct {
	Folder      string
	UIDValidity uint32
	UID         uint32
}

// archiveFolder is the mailbox's archive folder, "" when it has none.
func archiveFolder(box *mailboxRow) string {
	if box.Imap == nil {
		return ""
	}
	var imap guichet.ImapSettings
	_ = json.Unmarshal([]byte(*box.Imap), &imap)
	return imap.ArchiveFolder
}

// BeginArchive returns the plan of a processed item's archive move;
// ENOTFOUND when the item is gone. The system caller only: it reads the
// sealed password.
func (s *Store) BeginArchive(ctx context.Context, itemID string) (ArchivePlan, error) {
	plan := ArchivePlan{ItemID: itemID}
	row, err := loadByID[mailItemRow](ctx, s.db.read, itemID, "mail item")
	if err != nil {
		return plan, wrap("begin archive", err)
	}
	plan.MailboxID = row.MailboxID
	if deref(row.ArchiveState) != guichet.ArchivePending || row.Status != guichet.MailItemProcessed {
		plan.Done = true
		return plan, nil
	}
	box, err := loadByID[mailboxRow](ctx, s.db.read, row.MailboxID, "mailbox")
	if err != nil {
		return plan, wrap("begin archive", err)
	}
	if box.Imap == nil || archiveFolder(&box) == "" {
		return plan, guichet.Invalid("imap.archive_folder", "the mailbox no longer archives processed mail")
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		fp, err := s.fetchPlan(ctx, tx, &box)
		plan.Imap, plan.Password = fp.Imap, fp.Password
		return err
	})
	if err != nil {
		return plan, wrap("begin archive", err)
	}
	var locs []mailLocationRow
	err = s.db.read.NewSelect().Model(&locs).Where("mailbox_id = ? AND mail_message_id = ?", box.ID, row.MailMessageID).
		OrderExpr("created_at DESC").Scan(ctx)
	if err != nil {
		return plan, wrap("begin archive", err)
	}
	for _, l := range locs {
		if l.Folder == plan.Imap.ArchiveFolder || !slices.Contains(plan.Imap.Folders, l.Folder) {
			continue
		}
		plan.Locations = append(plan.Locations, ArchiveLocation{Folder: l.Folder, UIDValidity: uint32(l.UIDValidity), UID: uint32(l.UID)})
	}
	return plan, nil
}

// EndArchive records the outcome of an archive move: archived (err nil),
// failed for good (final), or still pending with the error of this try.
func (s *Store) EndArchive(ctx context.Context, itemID string, err error, final bool) error {
	state, msg := guichet.ArchiveArchived, ""
	if err != nil {
		state, msg = guichet.ArchivePending, truncateText(err.Error(), 1000)
		if final {
			state = guichet.ArchiveFailed
		}
	}
	return wrap("end archive", s.inTx(ctx, func(tx *Tx) error {
		q := tx.NewUpdate().Model((*mailItemRow)(nil)).Set("archive_state = ?", state).Set("archive_error = ?", nullable(msg)).
			Where("id = ? AND archive_state = ?", itemID, guichet.ArchivePending)
		if err == nil {
			q = q.Set("archived_at = ?", tx.Now)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("record archive: %w", err)
		}
		return nil
	}))
}
