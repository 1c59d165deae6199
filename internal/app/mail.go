package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/ingest"
	"github.com/guichet/guichet/internal/store"
)

// instanceID is the configured instance id, else one derived from the
// secret key: every replica sharing the key signs its mail alike.
func instanceID(configured string, key []byte) string {
	if configured != "" {
		return configured
	}
	sum := sha256.Sum256(append([]byte("guichet-instance:"), key...))
	return hex.EncodeToString(sum[:8])
}

// leaseHolder names this process in fetch leases.
func leaseHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// FetchMailbox runs one fetch of a mailbox in this process (the fetch job,
// the fetch-once command and tests).
func (m *Main) FetchMailbox(ctx context.Context, mailboxID string) (ingest.Result, error) {
	return m.Fetcher.Fetch(ctx, mailboxID)
}

// mailJobs adapts the fetcher to the jobs package.
type mailJobs struct{ m *Main }

// FetchMailbox fails the job only for what the mailbox did not record:
// a fetch running elsewhere or a server failure is not to be retried by
// River (the mailbox's own schedule and backoff do that).
func (j mailJobs) FetchMailbox(ctx context.Context, mailboxID string) error {
	res, err := j.m.Fetcher.Fetch(ctx, mailboxID)
	if err == nil || res.Recorded || errors.Is(err, ingest.ErrBusy) || errors.Is(err, store.ErrLeaseLost) {
		return nil
	}
	return err
}

func (j mailJobs) EnqueueDueFetches(ctx context.Context) (int, error) {
	return j.m.Store.EnqueueDueFetches(ctx)
}

// startWatcher runs the IMAP IDLE watcher in the background when the
// configuration enables it; Close stops it.
func (m *Main) startWatcher() {
	if !m.Config.IMAPIdle {
		return
	}
	if m.Watcher == nil {
		m.Watcher = &ingest.Watcher{Store: m.Store, Log: m.Log, Dialer: m.Fetcher.Dialer}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Watcher.Run(ctx)
	}()
	m.stopWatch = func() {
		cancel()
		<-done
	}
}

// mailboxes is the mailbox service whose checks also survey the watched
// folders over IMAP, with the fetch's connection settings.
func (m *Main) mailboxes() guichet.MailboxService {
	return &ingest.Checks{MailboxService: m.Store, Store: m.Store, Dialer: m.Fetcher.Dialer}
}
