// Package ingest fetches a mailbox's new mail from its IMAP server into
// Guichet, exactly once. One Fetch holds the mailbox's lease (renewed by a
// heartbeat), walks each ingested folder and the Sent folder as
// imapsync's package documentation says (Status, compare UIDVALIDITY with
// the checkpoint, Fetch after the last UID with BODY.PEEK), streams each
// raw mail into the blob store, parses it from there (attachments to the
// blob store too), and hands batches to the store, which commits the mail,
// everything it causes and the folder's checkpoint in one transaction.
//
// The fetch's context interrupts the IMAP conversation at once; database
// and blob store work, once started, runs to its end on a detached
// context (as the HTTP handlers' does): a statement cut by a cancellation
// would roll back a shared commit, and PostgreSQL connections torn down
// mid-write are not worth the risk. The fetch stops between two mails.
//
// A crash anywhere leaves at worst blobs that no row references (written
// before a commit that never happened): orphans, never a lost or
// duplicated mail, since identity is (mailbox, folder, UIDVALIDITY, UID)
// and the Message-ID.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/store"
)

// Store is what a fetch needs from the store.
type Store interface {
	BeginFetch(ctx context.Context, mailboxID, holder string) (store.FetchPlan, error)
	RenewFetchLease(ctx context.Context, mailboxID, holder string) error
	CommitMail(ctx context.Context, mailboxID, holder string, mails []store.InboundMail, cps []store.FolderCheckpoint) ([]string, error)
	SaveCheckpoints(ctx context.Context, mailboxID, holder string, cps []store.FolderCheckpoint) error
	EndFetch(ctx context.Context, mailboxID, holder string, out store.FetchOutcome) error
}

// Defaults of Fetcher's tunables.
const (
	DefaultBatch  = 50
	DefaultBudget = 40 * time.Second
	// MaxMailBytes: a larger mail is fetched header only and quarantined.
	MaxMailBytes = 50 << 20
)

// ErrBusy is returned by Fetch when another fetch holds the mailbox.
var ErrBusy = errors.New("ingest: a fetch of this mailbox is running")

// Fetcher fetches mailboxes. Its zero tunables take the defaults.
type Fetcher struct {
	Store Store
	Blobs blob.Store
	Log   *slog.Logger
	// Holder names this process in leases; make it unique per process.
	// Each fetch holds the lease as Holder#n.
	Holder string
	seq    atomic.Int64
	// Batch is the number of mails per transaction.
	Batch int
	// Budget bounds one fetch's time: past it the fetch commits what it
	// has and asks to be run again at once (a River job must not outlive
	// its timeout).
	Budget time.Duration
	// Heartbeat is how often the lease is renewed (default a third of the
	// lease's life).
	Heartbeat time.Duration
	// Dialer connects to the server; tests wrap its Dial.
	Dialer
}

// Result tells what one fetch did.
type Result struct {
	Mails int  // mails handed to the store (new or known)
	More  bool // stopped at its time budget with mail left
	// Recorded: the outcome, failure included, is on the mailbox (state,
	// last error, next fetch): a job has nothing to retry.
	Recorded bool
}

// Fetch runs one fetch of the mailbox. It returns ErrBusy when another
// fetch holds the mailbox and an EINVALID error when the mailbox is not
// to be fetched. A failure of the server (wrong password, unreachable,
// dropped connection) is recorded on the mailbox (state error, last
// error, next fetch after a backoff) and returned; mail received whole
// before it is kept.
func (f *Fetcher) Fetch(ctx context.Context, mailboxID string) (Result, error) {
	holder := fmt.Sprintf("%s#%d", f.Holder, f.seq.Add(1))
	plan, err := f.Store.BeginFetch(context.WithoutCancel(ctx), mailboxID, holder)
	if guichet.ErrorCode(err) == guichet.ECONFLICT {
		return Result{}, ErrBusy
	}
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := f.heartbeat(ctx, cancel, mailboxID, holder)
	res, err := f.run(ctx, &plan, holder)
	stop()
	if errors.Is(err, store.ErrLeaseLost) || errors.Is(context.Cause(ctx), store.ErrLeaseLost) {
		return res, store.ErrLeaseLost // the fetch that took over records the state
	}
	out := store.FetchOutcome{Err: err, More: res.More}
	if ctx.Err() != nil && err != nil {
		out.Err = fmt.Errorf("fetch interrupted: %w", err)
	}
	endErr := f.Store.EndFetch(ctx, mailboxID, holder, out)
	res.Recorded = endErr == nil
	if err == nil {
		err = endErr
	}
	return res, err
}

// heartbeat renews the lease until stop; a lost lease cancels the fetch.
func (f *Fetcher) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, mailboxID, holder string) (stop func()) {
	every := f.Heartbeat
	if every <= 0 {
		every = store.FetchLeaseTTL / 3
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := f.Store.RenewFetchLease(context.WithoutCancel(ctx), mailboxID, holder)
				if errors.Is(err, store.ErrLeaseLost) {
					cancel(err)
					return
				} else if err != nil {
					f.log().Warn("renew fetch lease", "mailbox", mailboxID, "error", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (f *Fetcher) log() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

func (f *Fetcher) run(ctx context.Context, plan *store.FetchPlan, holder string) (Result, error) {
	sess, err := f.connect(ctx, plan.Imap, plan.Password)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	run := &folderRun{f: f, plan: plan, sess: sess, holder: holder, deadline: time.Now().Add(f.budget())}
	var errs []error
	for _, folder := range foldersOf(plan) {
		err := run.folder(ctx, folder, folder == plan.Imap.SentFolder && !slices.Contains(plan.Imap.Folders, folder))
		switch {
		case err == nil:
		case errors.Is(err, errBudget):
			return Result{Mails: run.mails, More: true}, nil
		case errors.Is(err, imapsync.ErrNoFolder) && folder == plan.Imap.SentFolder:
			// No Sent folder on this server: nothing to count as answers.
		case errors.Is(err, imapsync.ErrNoFolder):
			errs = append(errs, err) // the other folders still come in
		default:
			return Result{Mails: run.mails}, err
		}
	}
	return Result{Mails: run.mails}, errors.Join(errs...)
}

func (f *Fetcher) budget() time.Duration {
	if f.Budget <= 0 {
		return DefaultBudget
	}
	return f.Budget
}

func (f *Fetcher) batch() int {
	if f.Batch <= 0 {
		return DefaultBatch
	}
	return f.Batch
}

// foldersOf lists the folders to ingest, then the Sent folder.
func foldersOf(plan *store.FetchPlan) []string {
	out := slices.Clone(plan.Imap.Folders)
	if s := plan.Imap.SentFolder; s != "" && !slices.Contains(out, s) {
		out = append(out, s)
	}
	return out
}
