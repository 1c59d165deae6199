package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/store"
)

// SurveyTimeout bounds the IMAP reading of watched folders at a check: a
// slow server delays the answer by this much at most.
const SurveyTimeout = 5 * time.Second

// CheckStore is what Checks needs from the store.
type CheckStore interface {
	WatchedFoldersTarget(ctx context.Context, mailboxID string) (store.WatchTarget, bool, error)
}

// Checks adds the watched folders' report to the mailbox service's check:
// the check is recorded first, then the watched folders are read over
// IMAP for the person in charge of emptying them. A server that fails is
// reported in the check, never an error: the check stands.
type Checks struct {
	guichet.MailboxService
	Store CheckStore
	// Dialer connects to the server, as the fetch does.
	Dialer
}

// RecordMailboxCheck records the check and reports the watched folders.
func (c *Checks) RecordMailboxCheck(ctx context.Context, mailboxID, note string) (guichet.MailboxCheck, error) {
	check, err := c.MailboxService.RecordMailboxCheck(ctx, mailboxID, note)
	if err != nil {
		return check, err
	}
	target, ok, err := c.Store.WatchedFoldersTarget(ctx, mailboxID)
	if err != nil || !ok {
		return check, err
	}
	ctx, cancel := context.WithTimeout(ctx, SurveyTimeout)
	defer cancel()
	check.WatchedFolders, err = c.survey(ctx, target)
	if err != nil {
		check.WatchedError = surveyError(err)
	}
	return check, nil
}

// survey reads each watched folder; a missing folder is reported on its
// own line, any other failure ends the survey.
func (c *Checks) survey(ctx context.Context, t store.WatchTarget) ([]guichet.WatchedFolder, error) {
	sess, err := c.connect(ctx, t.Imap, t.Password)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	out := make([]guichet.WatchedFolder, 0, len(t.Imap.WatchedFolders))
	for _, folder := range t.Imap.WatchedFolders {
		sv, err := sess.Survey(ctx, folder)
		line := guichet.WatchedFolder{Folder: folder, Messages: int(sv.Messages)}
		switch {
		case errors.Is(err, imapsync.ErrNoFolder):
			line.Error = "the folder does not exist on the server"
		case err != nil:
			return nil, err
		case !sv.Oldest.IsZero():
			oldest := sv.Oldest.UTC()
			line.OldestAt = &oldest
		}
		out = append(out, line)
	}
	return out, nil
}

// surveyError says in a sentence why the watched folders were not read.
func surveyError(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("the IMAP server did not answer within %s", SurveyTimeout)
	case errors.Is(err, imapsync.ErrAuth):
		return "the IMAP server refused the login"
	}
	return "the IMAP server could not be reached: " + err.Error()
}
