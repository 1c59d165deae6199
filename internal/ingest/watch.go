package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/store"
)

// WatchStore is what the IDLE watcher needs from the store.
type WatchStore interface {
	WatchTargets(ctx context.Context) ([]store.WatchTarget, error)
	WakeFetch(ctx context.Context, mailboxID string) error
}

// Watcher keeps one IMAP IDLE connection per mailbox whose server offers
// IDLE, on its first ingested folder, and wakes the mailbox's fetch when
// mail arrives. It only wakes: the fetch job does the work, and polling
// (the fetch scheduler) goes on regardless, for servers without IDLE and
// for the other folders. Each process runs its own watcher; a wake-up
// from several replicas costs one fetch, the job being unique.
type Watcher struct {
	Store WatchStore
	Log   *slog.Logger
	// Refresh is how often the list of mailboxes is read again (default 30 s).
	Refresh time.Duration
	// Backoff paces reconnections after a failure (default 5 s to 5 min).
	Backoff imapsync.Backoff
	// Dialer connects to the server, as the fetch does.
	Dialer

	mu      sync.Mutex
	running map[string]*watch
}

type watch struct {
	key    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Run watches until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	refresh := w.Refresh
	if refresh <= 0 {
		refresh = 30 * time.Second
	}
	w.mu.Lock()
	w.running = map[string]*watch{}
	w.mu.Unlock()
	defer w.stopAll()
	for {
		if err := w.sync(ctx); err != nil && ctx.Err() == nil {
			w.log().Warn("imap idle: list mailboxes", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(refresh):
		}
	}
}

// Watching reports the mailboxes with a running watch (tests).
func (w *Watcher) Watching() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, 0, len(w.running))
	for id := range w.running {
		ids = append(ids, id)
	}
	return ids
}

// sync starts watches for new or changed mailboxes and stops the others.
func (w *Watcher) sync(ctx context.Context) error {
	targets, err := w.Store.WatchTargets(ctx)
	if err != nil {
		return err
	}
	want := map[string]store.WatchTarget{}
	for _, t := range targets {
		if len(t.Imap.Folders) > 0 {
			want[t.MailboxID] = t
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, wt := range w.running {
		if t, ok := want[id]; !ok || t.Key != wt.key {
			wt.cancel()
			<-wt.done
			delete(w.running, id)
		}
	}
	for id, t := range want {
		if _, ok := w.running[id]; ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		wt := &watch{key: t.Key, cancel: cancel, done: make(chan struct{})}
		w.running[id] = wt
		go func() {
			defer close(wt.done)
			w.watch(wctx, t)
		}()
	}
	return nil
}

func (w *Watcher) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, wt := range w.running {
		wt.cancel()
		<-wt.done
		delete(w.running, id)
	}
}

// watch holds one mailbox's IDLE connection, reconnecting with backoff;
// it returns for good when the server has no IDLE (polling is enough).
func (w *Watcher) watch(ctx context.Context, t store.WatchTarget) {
	backoff := w.Backoff
	if backoff.Min <= 0 {
		backoff = imapsync.Backoff{Min: 5 * time.Second, Max: 5 * time.Minute}
	}
	folder := t.Imap.Folders[0]
	for attempt := 0; ctx.Err() == nil; attempt++ {
		began := time.Now()
		err := w.idle(ctx, t, folder)
		if time.Since(began) > time.Minute {
			attempt = 0 // it had been listening: not a failing server
		}
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, imapsync.ErrNoIdle):
			w.log().Info("imap idle: not offered, the mailbox is polled", "mailbox", t.MailboxID)
			return
		case err != nil:
			// The fetch records connection failures on the mailbox; here a
			// failure only delays the next listening.
			w.log().Debug("imap idle: reconnecting", "mailbox", t.MailboxID, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff.Next(attempt)):
		}
	}
}

func (w *Watcher) idle(ctx context.Context, t store.WatchTarget, folder string) error {
	mailboxID := t.MailboxID
	sess, err := w.connect(ctx, t.Imap, t.Password)
	if err != nil {
		return err
	}
	defer sess.Close()
	return sess.Idle(ctx, folder, func() {
		if err := w.Store.WakeFetch(context.WithoutCancel(ctx), mailboxID); err != nil {
			w.log().Warn("imap idle: wake fetch", "mailbox", mailboxID, "error", err)
		}
	})
}

func (w *Watcher) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}
