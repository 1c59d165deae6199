package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// mailBatch is what a batch's transaction reads once for all its mails:
// which of their Message-IDs are already known and who their senders are.
// Asked mail by mail, these were two queries per mail, each a round trip
// to PostgreSQL while the batch holds its mailbox's lease.
type mailBatch struct {
	known   map[string]mailMessageRow // by Message-ID, as the batch began
	repeats map[string]int            // how often each Message-ID is in the batch
	senders map[string]senderContactInfo
}

// senderContactInfo is a sender's contact, identified ones first, then
// the oldest, and its organisation.
type senderContactInfo struct {
	id  string
	org *string
}

func loadMailBatch(ctx context.Context, tx *Tx, mails []InboundMail) (*mailBatch, error) {
	b := &mailBatch{known: map[string]mailMessageRow{}, repeats: map[string]int{}, senders: map[string]senderContactInfo{}}
	var ids, emails []string
	seenEmail := map[string]bool{}
	for i := range mails {
		id := stableMessageID(mails[i].Msg.MessageID)
		if b.repeats[id]++; b.repeats[id] == 1 {
			ids = append(ids, id)
		}
		if e := senderEmail(mails[i].Msg); e != "" && !seenEmail[e] {
			seenEmail[e] = true
			emails = append(emails, e)
		}
	}
	if len(ids) > 0 {
		var rows []mailMessageRow
		if err := tx.NewSelect().Model(&rows).Where("message_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("known messages: %w", err)
		}
		for _, r := range rows {
			b.known[r.MessageID] = r
		}
	}
	if len(emails) > 0 {
		var rows []struct {
			ID    string  `bun:"id"`
			Org   *string `bun:"organisation_id"`
			Email string  `bun:"email"`
		}
		// The partial index's condition is named: SQLite cannot infer it.
		err := tx.NewSelect().Table("contacts").Column("id", "organisation_id", "email").
			Where("email IN (?) AND email <> ''", bun.List(emails)).OrderExpr("unidentified, created_at, id").Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("sender contacts: %w", err)
		}
		for _, r := range rows {
			if _, ok := b.senders[r.Email]; !ok {
				b.senders[r.Email] = senderContactInfo{id: r.ID, org: r.Org}
			}
		}
	}
	return b, nil
}

// knownMessage finds the stored message with this Message-ID. One that
// the batch holds twice may have been stored by its first copy, so it is
// looked up in the transaction.
func (b *mailBatch) knownMessage(ctx context.Context, tx *Tx, id string) (mailMessageRow, bool, error) {
	if b.repeats[id] <= 1 {
		r, ok := b.known[id]
		return r, ok, nil
	}
	var r mailMessageRow
	err := tx.NewSelect().Model(&r).Where("message_id = ?", id).Scan(ctx)
	if isNoRows(err) {
		return r, false, nil
	} else if err != nil {
		return r, false, fmt.Errorf("find message: %w", err)
	}
	return r, true, nil
}

// sender returns the contact with this address, if any.
func (b *mailBatch) sender(email string) (senderContactInfo, bool) {
	c, ok := b.senders[email]
	return c, ok
}

// addSender records a contact the batch created, for its later mails.
func (b *mailBatch) addSender(email, id string) {
	if _, ok := b.senders[email]; !ok {
		b.senders[email] = senderContactInfo{id: id}
	}
}
