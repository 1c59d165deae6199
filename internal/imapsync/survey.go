package imapsync

import (
	"context"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Survey is what a watched folder holds: how many messages, and when the
// oldest of them arrived.
type Survey struct {
	Messages uint32
	// Oldest is the internal date of the first message by arrival order
	// (sequence number 1); zero when the folder is empty.
	Oldest time.Time
}

// Survey examines folder read-only and reports its count and its oldest
// message. It never changes a flag: EXAMINE and FETCH INTERNALDATE do not
// mark anything seen. ErrNoFolder if the folder does not exist.
func (s *Session) Survey(ctx context.Context, folder string) (Survey, error) {
	var out Survey
	err := s.run(ctx, "survey "+folder, func() error {
		state, err := s.selectFolder(folder, true)
		if err != nil {
			return err
		}
		out.Messages = state.Messages
		if state.Messages == 0 {
			return nil
		}
		msgs, err := s.c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{InternalDate: true}).Collect()
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			out.Oldest = msgs[0].InternalDate
		}
		return nil
	})
	return out, err
}
