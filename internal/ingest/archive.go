package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/store"
)

// ArchiveStore is what an archive move needs from the store.
type ArchiveStore interface {
	BeginArchive(ctx context.Context, itemID string) (store.ArchivePlan, error)
	EndArchive(ctx context.Context, itemID string, err error, final bool) error
}

// ErrArchiveFinal wraps an archive failure that no retry will cure (no
// MOVE nor UIDPLUS, a missing folder, a renumbered folder): the item shows
// it as failed.
var ErrArchiveFinal = errors.New("ingest: the archive move cannot succeed")

// Archiver moves processed mail to its mailbox's archive folder.
type Archiver struct {
	Store ArchiveStore
	// Dial and Account are the Fetcher's (tests trust their server).
	Dial    func(ctx context.Context, acct imapsync.Account) (*imapsync.Session, error)
	Account func(*imapsync.Account)
}

// Archive moves the item's mail and records the outcome. It is
// idempotent: a UID no longer in its folder is not an error, and an item
// already archived is left alone. A failure that retries cannot cure is
// recorded as failed and returned wrapping ErrArchiveFinal; any other is
// recorded as the pending move's last error and returned, for River to
// retry (recorded as failed when final).
func (a *Archiver) Archive(ctx context.Context, itemID string, final bool) error {
	plan, err := a.Store.BeginArchive(ctx, itemID)
	if err != nil || plan.Done {
		return err
	}
	err = a.move(ctx, &plan)
	permanent := errors.Is(err, ErrArchiveFinal)
	if endErr := a.Store.EndArchive(context.WithoutCancel(ctx), itemID, err, final || permanent); endErr != nil {
		return errors.Join(err, endErr)
	}
	return err
}

// move moves the mail from each folder it was ingested from, under the
// UIDVALIDITY the folder has now: a renumbered folder's UID names
// another message, so it is skipped.
func (a *Archiver) move(ctx context.Context, plan *store.ArchivePlan) error {
	if len(plan.Locations) == 0 {
		return fmt.Errorf("%w: the mail was not ingested from this mailbox's folders", ErrArchiveFinal)
	}
	acct := imapsync.Account{Host: plan.Imap.Host, Port: plan.Imap.Port, Security: string(plan.Imap.Security),
		Username: plan.Imap.Username, Password: plan.Password}
	if a.Account != nil {
		a.Account(&acct)
	}
	dial := a.Dial
	if dial == nil {
		dial = imapsync.Dial
	}
	sess, err := dial(ctx, acct)
	if err != nil {
		return err
	}
	defer sess.Close()
	moved, skipped := 0, 0
	for _, l := range plan.Locations {
		st, err := sess.Status(ctx, l.Folder)
		if err != nil {
			return permanentIf(err)
		}
		if st.UIDValidity != l.UIDValidity {
			skipped++
			continue
		}
		if err := sess.Move(ctx, l.Folder, l.UID, plan.Imap.ArchiveFolder); err != nil {
			return permanentIf(err)
		}
		moved++
	}
	if moved == 0 {
		return fmt.Errorf("%w: the folder was renumbered (UIDVALIDITY changed) since the mail was ingested: not moved (%d place(s) skipped)", ErrArchiveFinal, skipped)
	}
	return nil
}

// permanentIf marks the errors no retry cures.
func permanentIf(err error) error {
	if errors.Is(err, imapsync.ErrNoMove) || errors.Is(err, imapsync.ErrNoFolder) {
		return fmt.Errorf("%w: %w", ErrArchiveFinal, err)
	}
	return err
}
