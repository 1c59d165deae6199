package imapsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Move moves one message to another folder, to archive it once processed:
// UID MOVE when the server has it, otherwise UID COPY, STORE \Deleted and
// UID EXPUNGE of that UID only (UIDPLUS). Without either it returns
// ErrNoMove and changes nothing, since a plain EXPUNGE would also remove
// what the user flagged \Deleted in another client. A UID no longer in the
// folder is not an error, so a job that runs twice does no harm. A missing
// destination is ErrNoFolder.
func (s *Session) Move(ctx context.Context, folder string, uid uint32, to string) error {
	return s.run(ctx, fmt.Sprintf("move UID %d from %s to %s", uid, folder, to), func() error {
		caps := s.c.Caps()
		if !caps.Has(imap.CapMove) && !caps.Has(imap.CapUIDPlus) {
			return local(ErrNoMove)
		}
		if s.selected != folder || s.readOnly {
			if _, err := s.selectFolder(folder, false); err != nil {
				return err
			}
		}
		// Look first: imapmemserver answers a move of nothing with an empty
		// COPYUID that go-imap's client cannot parse, killing the session.
		if gone, err := s.expunged(imap.UID(uid)); err != nil || gone {
			return err
		}
		_, err := s.c.Move(imap.UIDSetNum(imap.UID(uid)), to).Wait()
		return err
	})
}

// Append stores a message in a folder (a sent reply in Sent, so that the
// mailbox stays the archive), streaming exactly size bytes from r, with
// flags (e.g. \Seen) and an internal date (zero: the server's now). A
// reader that fails or ends early is reported as such (not ErrUnavailable),
// and the Session is then closed: the command cannot be completed.
func (s *Session) Append(ctx context.Context, folder string, flags []string, date time.Time, r io.Reader, size int64) error {
	return s.run(ctx, "append to "+folder, func() error {
		cmd := s.c.Append(folder, size, &imap.AppendOptions{Flags: imapFlags(flags), Time: date})
		src := &sourceReader{r: r}
		if _, err := io.CopyN(cmd, src, size); err != nil {
			s.c.Close() // the literal promised size bytes: nothing else can follow
			cmd.Close()
			if src.err != nil {
				return local(fmt.Errorf("reading the message: %w", src.err))
			}
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	})
}

// sourceReader remembers the caller's read error, to tell it from the
// connection's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
		if errors.Is(err, io.EOF) {
			s.err = io.ErrUnexpectedEOF // shorter than size
		}
	}
	return n, err
}
