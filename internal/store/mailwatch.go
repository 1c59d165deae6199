package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/guichet/guichet/internal/guichet"
)

// WatchTarget is a mailbox whose first ingested folder an IMAP IDLE
// watcher listens to. Password is opened from its seal: the system caller
// only (the watcher).
type WatchTarget struct {
	MailboxID string
	Imap      guichet.ImapSettings
	Password  string
	// Key changes whenever what the watcher connects with changes, so
	// that it reconnects with the new settings.
	Key string
}

// WatchTargets lists the mailboxes to watch: ingestion on, IMAP set.
func (s *Store) WatchTargets(ctx context.Context) ([]WatchTarget, error) {
	var rows []mailboxRow
	err := s.db.read.NewSelect().Model(&rows).Where("ingestion_enabled = ? AND imap IS NOT NULL", true).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return nil, wrap("watch targets", err)
	}
	out := make([]WatchTarget, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		t := WatchTarget{MailboxID: r.ID, Key: fmt.Sprintf("%s/%d", *r.Imap, r.Version)}
		if err := json.Unmarshal([]byte(*r.Imap), &t.Imap); err != nil {
			return nil, fmt.Errorf("mailbox %s imap settings: %w", r.ID, err)
		}
		var err error
		if t.Password, err = s.imapPassword(r); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// WakeFetch enqueues a fetch of a mailbox now (IDLE saw new mail). A
// fetch already queued or running absorbs it (the job is unique per
// mailbox), so a burst of wake-ups costs one fetch.
func (s *Store) WakeFetch(ctx context.Context, mailboxID string) error {
	return wrap("wake fetch", s.inTx(ctx, func(tx *Tx) error {
		return tx.InsertJob(ctx, guichet.MailboxFetchJob{MailboxID: mailboxID}, fetchJobOpts())
	}))
}
