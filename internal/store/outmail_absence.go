package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailparse"
)

// absenceReply answers a mail received by a personal mailbox during its
// owner's declared absence with the owner's absence message, once per
// sender and absence (the unique row commits with the mail, its outbox
// row and its job). Never to old mail (backfill), to the Sent folder, to
// an auto-reply, a bounce, a list or a sender who asked for no automatic
// answer, to mail carrying a loop header, nor to Guichet's own addresses.
func (s *Store) absenceReply(ctx context.Context, tx *Tx, mc *mailCtx) error {
	mb, in := mc.mb, mc.in
	if !mb.personal() || in.Sent || in.Backfill || in.Quarantine != "" || mc.from == "" ||
		strings.TrimSpace(deref(mb.AbsenceMessage)) == "" || mb.Smtp == nil || mb.OwnerID == nil {
		return nil
	}
	if m := in.Msg; m.Bounce != nil || !m.MayAutoRespond() {
		return nil
	}
	ours, err := isOwnAddress(ctx, tx, mc.from)
	if err != nil || ours {
		return err
	}
	absence, err := currentAbsence(ctx, tx, *mb.OwnerID)
	if err != nil || absence == "" {
		return err
	}
	id := newID()
	res, err := tx.NewRaw(`INSERT INTO mail_absence_replies (mailbox_id, absence_id, sender, outbox_id, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, mb.ID, absence, mc.from, id, tx.Now).Exec(ctx)
	if err != nil {
		return fmt.Errorf("absence reply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // this sender already had the absence message
	}
	o := &outgoing{id: id, kind: guichet.OutMailAbsenceReply, mb: mb, automatic: true, msg: mailparse.Outgoing{
		To: []mailparse.Address{{Email: mc.from}}, Subject: "Réponse automatique : " + ticketSubject(in.Msg.Subject),
		Text: *mb.AbsenceMessage, AutoSubmitted: mailparse.AutoReplied}}
	threadUnder(&o.msg, mc.row)
	_, err = s.enqueueMail(ctx, tx, o)
	if guichet.ErrorCode(err) == guichet.EINVALID {
		s.log.Warn("absence reply not written", "mailbox", mb.ID, "error", err)
		return nil
	}
	return err
}

// isOwnAddress: a mailbox's or an agent's address is never answered
// automatically (two absent colleagues would answer each other).
func isOwnAddress(ctx context.Context, tx *Tx, email string) (bool, error) {
	n, err := tx.NewSelect().Table("mailboxes").Where("lower(address) = ?", email).Count(ctx)
	if err == nil && n == 0 {
		n, err = tx.NewSelect().Table("agents").Where("lower(email) = ?", email).Count(ctx)
	}
	if err != nil {
		return false, fmt.Errorf("own address: %w", err)
	}
	return n > 0, nil
}

// currentAbsence is the id of the agent's declared absence covering now,
// "" when present.
func currentAbsence(ctx context.Context, tx *Tx, agentID string) (string, error) {
	var ids []string
	err := tx.NewSelect().Model((*absenceRow)(nil)).Column("id").Where("agent_id = ? AND starts_at <= ? AND ends_at > ?", agentID, tx.Now, tx.Now).
		OrderExpr("starts_at DESC, id").Limit(1).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}
