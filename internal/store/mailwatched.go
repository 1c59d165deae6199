package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// WatchedFoldersTarget says where the caller reads the mailbox's watched
// folders (spam, commercial, social networks, promotions) for a check:
// ok is false when the mailbox has no IMAP settings or no watched folder,
// or when the caller is not the one in charge of emptying them
// (procedure #46): the owner of a personal mailbox; the responsible of a
// `contact` mailbox, or the backup during the responsible's absence
// (« Le/la responsable est en charge de surveiller/vider les dossiers
// spam… »); anyone in charge of another shared mailbox (« Chacun est
// responsable… »). ENOTFOUND when the caller cannot see the mailbox.
func (s *Store) WatchedFoldersTarget(ctx context.Context, mailboxID string) (WatchTarget, bool, error) {
	row, _, err := s.loadVisibleMailbox(ctx, s.db.read, mailboxID)
	if err != nil {
		return WatchTarget{}, false, wrap("watched folders", err)
	}
	if row.Imap == nil {
		return WatchTarget{}, false, nil
	}
	t := WatchTarget{MailboxID: row.ID}
	if err := json.Unmarshal([]byte(*row.Imap), &t.Imap); err != nil {
		return WatchTarget{}, false, fmt.Errorf("mailbox %s imap settings: %w", row.ID, err)
	}
	if len(t.Imap.WatchedFolders) == 0 {
		return WatchTarget{}, false, nil
	}
	charged, err := s.emptiesWatchedFolders(ctx, s.db.read, &row, guichet.CallerFrom(ctx).Agent.ID)
	if err != nil || !charged {
		return WatchTarget{}, false, wrap("watched folders", err)
	}
	if t.Password, err = s.imapPassword(&row); err != nil {
		return WatchTarget{}, false, err
	}
	return t, true, nil
}

// emptiesWatchedFolders tells whether agentID is in charge of the
// mailbox's watched folders now.
func (s *Store) emptiesWatchedFolders(ctx context.Context, db bun.IDB, row *mailboxRow, agentID string) (bool, error) {
	if row.personal() || deref(row.Purpose) != "contact" {
		return slices.Contains(row.inCharge(), agentID), nil
	}
	now, err := alertTarget(ctx, db, row, s.now())
	return now == agentID, err
}

// imapPassword opens the mailbox's sealed IMAP password ("" when none).
func (s *Store) imapPassword(row *mailboxRow) (string, error) {
	if len(row.ImapPassword) == 0 {
		return "", nil
	}
	pw, err := s.opts.Box.Open(row.ImapPassword, []byte("mailbox-imap:"+row.ID))
	if err != nil {
		return "", fmt.Errorf("mailbox %s imap password: %w", row.ID, err)
	}
	return string(pw), nil
}
