package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/guichet"
)

// The lifecycle of letters and bailiff acts (gérance procedure): received
// → scanned → processed → answered → archived. A step asked before its
// turn is EINVALID (do the earlier step first); a step already passed is
// ECONFLICT.

// mailStep runs step on the entry in one transaction when ifMatch is its
// version, then saves it with a new version and audits the change.
func (s *Store) mailStep(ctx context.Context, kind guichet.InteractionKind, id string, ifMatch int,
	step func(tx *Tx, row *interactionRow) error) (guichet.Interaction, error) {
	var out guichet.Interaction
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := loadInteraction(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if row.Version != ifMatch {
			return stale(row.Version)
		}
		before := row.domain()
		if err := step(tx, &row); err != nil {
			return err
		}
		if err := saveInteraction(ctx, tx, &row); err != nil {
			return err
		}
		if out, err = interactionView(ctx, tx, &row); err != nil {
			return err
		}
		return audit(ctx, tx, "update", "interaction", row.ID, before, out)
	})
	return out, wrap("update "+string(kind), mapMissingReference(err))
}

// saveInteraction writes the row with the next version, if nobody else
// changed it meanwhile.
func saveInteraction(ctx context.Context, tx *Tx, row *interactionRow) error {
	prev := row.Version
	row.Version, row.UpdatedAt = prev+1, tx.Now
	res, err := tx.NewUpdate().Model(row).WherePK().Where("version = ?", prev).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save interaction: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return stale(prev + 1)
	}
	return nil
}

// mailWord names the entry in problem details.
func mailWord(kind guichet.InteractionKind) string {
	if kind == guichet.KindBailiffAct {
		return "bailiff act"
	}
	return "letter"
}

// requireStatus checks that the entry is at want: an earlier status is
// EINVALID with todo (what to do first), a later one ECONFLICT.
func requireStatus(row *interactionRow, want guichet.LetterStatus, todo string) error {
	st := guichet.LetterStatus(row.LetterStatus)
	word := mailWord(guichet.InteractionKind(row.Kind))
	switch {
	case st.Step() < want.Step():
		return &guichet.Error{Code: guichet.EINVALID, Message: fmt.Sprintf("the %s is %s: %s", word, st, todo),
			Fields: []guichet.FieldError{{Field: "status", Message: todo}}}
	case st.Step() > want.Step():
		return guichet.Errorf(guichet.ECONFLICT, "the %s is already %s", word, st)
	}
	return nil
}

// PutScan streams the scan into the blob store and files it on a received
// (or still unprocessed) letter or act, which becomes scanned. A scan sent
// again replaces the previous one until the entry is processed.
func (s *Store) PutScan(ctx context.Context, kind guichet.InteractionKind, id string, ifMatch int, filename string, r io.Reader) (guichet.Interaction, error) {
	c := guichet.CallerFrom(ctx)
	if err := requireWriter(c, kind); err != nil {
		return guichet.Interaction{}, err
	}
	name, err := cleanFilename(filename)
	if err != nil {
		return guichet.Interaction{}, err
	}
	// Refuse before reading the upload what would be refused after it.
	cur, err := loadInteraction(ctx, s.db.read, kind, id)
	if err != nil {
		return guichet.Interaction{}, err
	}
	if cur.Version != ifMatch {
		return guichet.Interaction{}, stale(cur.Version)
	}
	if guichet.LetterStatus(cur.LetterStatus).Step() > guichet.LetterScanned.Step() {
		return guichet.Interaction{}, guichet.Errorf(guichet.ECONFLICT, "the %s is already %s: its scan cannot change", mailWord(kind), cur.LetterStatus)
	}
	info, err := s.putBlob(ctx, r)
	if err != nil {
		return guichet.Interaction{}, err
	}
	var drop []string
	out, err := s.mailStep(ctx, kind, id, ifMatch, func(tx *Tx, row *interactionRow) error {
		if guichet.LetterStatus(row.LetterStatus).Step() > guichet.LetterScanned.Step() {
			return guichet.Errorf(guichet.ECONFLICT, "the %s is already %s: its scan cannot change", mailWord(kind), row.LetterStatus)
		}
		if row.ScanBlobKey != nil {
			drop = []string{*row.ScanBlobKey}
		}
		row.ScanBlobKey, row.ScanFilename, row.ScanContentType = &info.Key, name, info.ContentType
		row.ScanSize, row.ScanSHA256, row.ScannedAt, row.ScannedBy = info.Size, info.SHA256, &tx.Now, nullable(c.Agent.ID)
		row.LetterStatus = string(guichet.LetterScanned)
		return nil
	})
	if err != nil {
		s.dropBlob(ctx, info.Key)
		return out, err
	}
	for _, k := range drop {
		s.dropBlob(ctx, k)
	}
	return out, nil
}

// OpenScan returns the scan of a letter or act and its content to stream;
// the caller closes it.
func (s *Store) OpenScan(ctx context.Context, kind guichet.InteractionKind, id string) (guichet.Scan, io.ReadCloser, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return guichet.Scan{}, nil, err
	}
	row, err := loadInteraction(ctx, s.db.read, kind, id)
	if err != nil {
		return guichet.Scan{}, nil, err
	}
	d := row.domain()
	if d.Scan == nil {
		return guichet.Scan{}, nil, guichet.Errorf(guichet.ENOTFOUND, "the %s has no scan yet", mailWord(kind))
	}
	rc, err := s.opts.Blobs.Open(ctx, *row.ScanBlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return guichet.Scan{}, nil, fmt.Errorf("interaction %s: blob %s is missing", row.ID, *row.ScanBlobKey)
	}
	return *d.Scan, rc, wrap("open scan", err)
}

// ProcessMail opens or links the tickets of a scanned letter or act, one
// per subject; each gets the scan.
func (s *Store) ProcessMail(ctx context.Context, kind guichet.InteractionKind, id string, ifMatch int, in guichet.Subjects) (guichet.Interaction, error) {
	c := guichet.CallerFrom(ctx)
	if err := requireWriter(c, kind); err != nil {
		return guichet.Interaction{}, err
	}
	if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Interaction{}, err
	}
	if in.Empty() {
		return guichet.Interaction{}, guichet.Invalid("tickets", "name at least one ticket to open or link, one per subject")
	}
	cal, pols, mapping, err := s.settings(ctx)
	if err == nil {
		err = s.ensureSequences(ctx)
	}
	if err != nil {
		return guichet.Interaction{}, wrap("process "+mailWord(kind), err)
	}
	return s.mailStep(ctx, kind, id, ifMatch, func(tx *Tx, row *interactionRow) error {
		if err := requireStatus(row, guichet.LetterScanned, "scan first (PUT …/scan): the scan is required before anything else"); err != nil {
			return err
		}
		if err := s.attachSubjects(ctx, tx, row, in, ticketSettings{cal.Calendar, pols, mapping}); err != nil {
			return err
		}
		row.LetterStatus, row.ProcessedAt = string(guichet.LetterProcessed), &tx.Now
		return nil
	})
}

// MarkMailAnswered records that every ticket of a processed letter or act
// has its reply: a registered letter's by registered letter.
func (s *Store) MarkMailAnswered(ctx context.Context, kind guichet.InteractionKind, id string, ifMatch int) (guichet.Interaction, error) {
	if err := requireWriter(guichet.CallerFrom(ctx), kind); err != nil {
		return guichet.Interaction{}, err
	}
	return s.mailStep(ctx, kind, id, ifMatch, func(tx *Tx, row *interactionRow) error {
		if err := requireStatus(row, guichet.LetterProcessed, "process it into tickets first"); err != nil {
			return err
		}
		if err := checkReplies(ctx, tx, row); err != nil {
			return err
		}
		row.LetterStatus, row.AnsweredAt = string(guichet.LetterAnswered), &tx.Now
		return nil
	})
}

// ArchiveMail archives an answered letter or act.
func (s *Store) ArchiveMail(ctx context.Context, kind guichet.InteractionKind, id string, ifMatch int) (guichet.Interaction, error) {
	if err := requireWriter(guichet.CallerFrom(ctx), kind); err != nil {
		return guichet.Interaction{}, err
	}
	return s.mailStep(ctx, kind, id, ifMatch, func(tx *Tx, row *interactionRow) error {
		if err := requireStatus(row, guichet.LetterAnswered, "it is archived once answered (POST …/answered)"); err != nil {
			return err
		}
		row.LetterStatus, row.ArchivedAt = string(guichet.LetterArchived), &tx.Now
		return nil
	})
}

// checkReplies is EINVALID naming each ticket of the entry without a reply
// sent since it was processed (by registered letter for a registered
// letter: "la réponse doit être envoyée en recommandée également").
func checkReplies(ctx context.Context, tx *Tx, row *interactionRow) error {
	var refs []struct {
		ID     string `bun:"id"`
		Number string `bun:"number"`
	}
	err := tx.NewSelect().TableExpr("interaction_tickets AS it").ColumnExpr("t.id, t.number").
		Join("JOIN tickets AS t ON t.id = it.ticket_id").Where("it.interaction_id = ?", row.ID).OrderExpr("t.seq").Scan(ctx, &refs)
	if err != nil {
		return fmt.Errorf("check replies: %w", err)
	}
	e := &guichet.Error{Code: guichet.EINVALID}
	var lacking []string
	for _, t := range refs {
		ok, err := hasReply(ctx, tx, t.ID, row)
		if err != nil {
			return err
		}
		if !ok {
			lacking = append(lacking, t.Number)
			e.Fields = append(e.Fields, guichet.FieldError{Field: "tickets", Message: t.Number + " lacks its reply"})
		}
	}
	if len(lacking) == 0 {
		return nil
	}
	what := "a reply"
	if row.Registered {
		what = "a registered_letter reply"
	}
	e.Message = fmt.Sprintf("ticket(s) %s have no %s since the %s was processed", strings.Join(lacking, ", "), what,
		mailWord(guichet.InteractionKind(row.Kind)))
	return e
}

func hasReply(ctx context.Context, tx *Tx, ticketID string, row *interactionRow) (bool, error) {
	var data []string
	err := tx.NewSelect().Model((*eventRow)(nil)).Column("data").
		Where("ticket_id = ? AND kind = ? AND created_at >= ?", ticketID, guichet.EventReply, *row.ProcessedAt).Scan(ctx, &data)
	if err != nil {
		return false, fmt.Errorf("check replies: %w", err)
	}
	return slices.ContainsFunc(data, func(d string) bool {
		var reply struct {
			Channel guichet.Channel `json:"channel"`
		}
		_ = json.Unmarshal([]byte(d), &reply)
		return !row.Registered || reply.Channel == guichet.ChannelRegisteredLetter
	}), nil
}
