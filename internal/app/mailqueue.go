package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/guichet/guichet/internal/ingest"
	"github.com/guichet/guichet/internal/jobs"
)

// mailQueueJobs adapts the store and the archiver to the jobs package.
type mailQueueJobs struct{ m *Main }

func (j mailQueueJobs) SweepQueueReminders(ctx context.Context) (int, error) {
	return j.m.Store.SweepQueueReminders(ctx)
}

// ArchiveMailItem dials as the fetcher does (tests adjust its account).
func (j mailQueueJobs) ArchiveMailItem(ctx context.Context, itemID string, final bool) error {
	a := &ingest.Archiver{Store: j.m.Store, Dial: j.m.Fetcher.Dial, Account: j.m.Fetcher.Account}
	err := a.Archive(ctx, itemID, final)
	if errors.Is(err, ingest.ErrArchiveFinal) {
		return fmt.Errorf("%w: %w", jobs.ErrArchiveFinal, err)
	}
	return err
}
