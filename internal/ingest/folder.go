package ingest

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/store"
)

var (
	// errBudget stops a fetch at its time budget, between two mails.
	errBudget = errors.New("ingest: time budget spent")
	// errValidity: the folder was recreated during the fetch; the next
	// fetch starts again from its Status.
	errValidity = errors.New("ingest: the folder's UIDVALIDITY changed during the fetch")
)

// folderRun is one fetch's walk over the folders.
type folderRun struct {
	f        *Fetcher
	plan     *store.FetchPlan
	sess     *imapsync.Session
	holder   string
	deadline time.Time
	mails    int
}

// folderState is the fetch of one folder.
type folderState struct {
	run      *folderRun
	live     context.Context // the fetch's: checked between two mails
	ctx      context.Context // detached: for the store and the blob store
	folder   string
	sent     bool
	validity uint32
	cp       store.FolderCheckpoint
	dirty    bool // cp moved past mail that was skipped

	resync        bool
	skipAll       bool      // the server gave no UIDNEXT: reach the end without importing
	backfillSince time.Time // a backfill: older mail is skipped
	pending       []store.InboundMail
	// inflight receives the result of the batch being committed while the
	// next one is received (nil when none is): the database's round trips
	// overlap the server's and the parsing. One at a time, so batches and
	// their checkpoints commit in order.
	inflight chan error
}

// batch is mail to commit with the checkpoint that follows it.
type batch struct {
	mails []store.InboundMail
	cp    store.FolderCheckpoint
}

// folder ingests one folder: a folder never seen starts at its current
// end (or, with a backfill date, imports from the start the mail received
// since that date), a folder whose UIDVALIDITY changed is read again from
// the start and deduplicated by Message-ID, any other resumes after its
// last UID.
func (r *folderRun) folder(ctx context.Context, folder string, sent bool) error {
	st, err := r.sess.Status(ctx, folder)
	if err != nil {
		return err
	}
	fs := &folderState{run: r, live: ctx, ctx: context.WithoutCancel(ctx), folder: folder, sent: sent, validity: st.UIDValidity}
	cp, known := r.plan.Checkpoints[folder]
	switch {
	case !known && r.plan.BackfillSince == nil:
		cp = store.FolderCheckpoint{Folder: folder, UIDValidity: st.UIDValidity, StartedAt: r.plan.Now}
		if st.UIDNext > 0 || st.Messages == 0 {
			cp.LastUID = max(st.UIDNext, 1) - 1
			return r.f.Store.SaveCheckpoints(fs.ctx, r.plan.MailboxID, r.holder, []store.FolderCheckpoint{cp})
		}
		fs.skipAll = true // no UIDNEXT: walk to the end, importing nothing
	case !known:
		cp = store.FolderCheckpoint{Folder: folder, UIDValidity: st.UIDValidity, StartedAt: *r.plan.BackfillSince,
			BackfillUntil: max(st.UIDNext, 1) - 1}
		fs.backfillSince = *r.plan.BackfillSince
	case cp.UIDValidity != st.UIDValidity:
		fs.resync = true
		cp = store.FolderCheckpoint{Folder: folder, UIDValidity: st.UIDValidity, StartedAt: cp.StartedAt}
	}
	fs.cp = cp
	_, err = r.sess.Fetch(ctx, folder, cp.LastUID, 0, MaxMailBytes, fs.mail)
	// What was received whole is kept, whatever stopped the fetch.
	if flushErr := fs.flush(); err == nil {
		err = flushErr
	}
	if errors.Is(err, errValidity) {
		return errBudget // fetch again at once, from Status
	}
	return err
}

// mail receives one mail from the server.
func (fs *folderState) mail(m imapsync.Mail) error {
	if m.UIDValidity != fs.validity {
		return errValidity
	}
	if err := fs.live.Err(); err != nil {
		return err
	}
	if time.Now().After(fs.run.deadline) {
		return errBudget
	}
	if fs.skipAll || (!fs.backfillSince.IsZero() && m.InternalDate.Before(fs.backfillSince)) {
		if _, err := io.Copy(io.Discard, m.Body); err != nil {
			return err
		}
		fs.cp.LastUID, fs.dirty = m.UID, true
		return nil
	}
	in, err := fs.run.f.receive(fs.ctx, fs.run.plan.MailboxID, fs.folder, m)
	if err != nil {
		return err
	}
	in.Sent, in.Resync, in.StartedAt = fs.sent, fs.resync, fs.cp.StartedAt
	in.Backfill = !fs.backfillSince.IsZero() && m.UID <= fs.cp.BackfillUntil
	fs.pending = append(fs.pending, in)
	fs.cp.LastUID = m.UID
	if len(fs.pending) >= fs.run.f.batch() {
		return fs.flushAsync()
	}
	return nil
}

// flush commits the pending mail with the checkpoint, after the batch in
// flight. On failure the blobs stay (the commit may have happened: a
// missing blob would be worse than an orphan) and the mail will be fetched
// again.
func (fs *folderState) flush() error {
	if err := fs.wait(); err != nil {
		return err
	}
	if len(fs.pending) == 0 && !fs.dirty {
		return nil
	}
	return fs.commit(fs.take())
}

// flushAsync starts committing the pending mail and returns at once,
// after the previous batch has committed (its error, if any).
func (fs *folderState) flushAsync() error {
	if err := fs.wait(); err != nil {
		return err
	}
	b, done := fs.take(), make(chan error, 1)
	go func() { done <- fs.commit(b) }()
	fs.inflight = done
	return nil
}

// wait returns the result of the batch in flight, if any.
func (fs *folderState) wait() error {
	if fs.inflight == nil {
		return nil
	}
	err := <-fs.inflight
	fs.inflight = nil
	return err
}

// take hands the pending mail and the checkpoint over to a commit.
func (fs *folderState) take() batch {
	b := batch{mails: fs.pending, cp: fs.cp}
	fs.pending, fs.dirty = nil, false
	return b
}

// commit stores a batch and its checkpoint in one transaction.
func (fs *folderState) commit(b batch) error {
	f := fs.run.f
	cps := []store.FolderCheckpoint{b.cp}
	if len(b.mails) == 0 {
		return f.Store.SaveCheckpoints(fs.ctx, fs.run.plan.MailboxID, fs.run.holder, cps)
	}
	unused, err := f.Store.CommitMail(fs.ctx, fs.run.plan.MailboxID, fs.run.holder, b.mails, cps)
	if err != nil {
		return err
	}
	for _, k := range unused {
		if err := f.Blobs.Delete(context.WithoutCancel(fs.ctx), k); err != nil {
			f.log().Warn("delete unused mail blob", "key", k, "error", err)
		}
	}
	fs.run.mails += len(b.mails)
	return nil
}
