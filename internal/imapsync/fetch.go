package imapsync

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// DefaultBatch is the number of UIDs per FETCH when Fetch's batch is 0.
const DefaultBatch = 100

// Mail is one message handed to Fetch's callback.
type Mail struct {
	UID          uint32
	UIDValidity  uint32 // of the EXAMINE it was fetched under: part of its identity
	InternalDate time.Time
	Size         int64    // RFC822.SIZE: the whole message, even when Oversized
	Flags        []string // as on the server now: \Seen if read in another client
	Oversized    bool     // Size > maxSize: Body is the header only, to quarantine
	// Body streams the message, or its header, from the connection; it is
	// valid until the callback returns. A connection lost midway reads as
	// io.ErrUnexpectedEOF, never as a short message ending in io.EOF.
	Body io.Reader
}

// Fetch selects folder read-only (EXAMINE) and hands fn, in UID order,
// every message whose UID is above afterUID, batch UIDs per FETCH command
// (DefaultBatch when batch <= 0). Bodies stream from the connection
// (BODY.PEEK[], which leaves \Seen alone); whatever the size of a message,
// only a buffer's worth is in memory. A message larger than maxSize (when
// maxSize > 0) comes with its header only (BODY.PEEK[HEADER]) and
// Oversized set. A message expunged meanwhile is skipped.
//
// fn must read Body before returning, must return an error if reading it
// fails, and must not use the Session: the connection is in the middle of
// a response. An error from fn stops the fetch once the current FETCH is
// drained, and is returned wrapped; it also matches ErrUnavailable when
// Body broke because the connection did.
//
// The state returned is the folder's at EXAMINE (see the package
// documentation for checking UIDValidity around a fetch).
func (s *Session) Fetch(ctx context.Context, folder string, afterUID uint32, batch int, maxSize int64, fn func(Mail) error) (FolderState, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	var state FolderState
	err := s.run(ctx, "fetch "+folder, func() error {
		var err error
		if state, err = s.selectFolder(folder, true); err != nil {
			return err
		}
		if state.Messages == 0 || (state.UIDNext != 0 && uint64(state.UIDNext) <= uint64(afterUID)+1) {
			return nil // nothing new: the usual poll costs one round trip
		}
		uids, err := s.uidsAfter(afterUID)
		if err != nil {
			return err
		}
		f := &fetcher{s: s, validity: state.UIDValidity, maxSize: maxSize, fn: fn}
		for start := 0; start < len(uids) && ctx.Err() == nil; start += batch {
			if err := f.batch(uids[start:min(start+batch, len(uids))]); err != nil {
				return err
			}
		}
		return nil
	})
	return state, err
}

func (s *Session) selectFolder(folder string, readOnly bool) (FolderState, error) {
	s.selected = ""
	data, err := s.c.Select(folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		return FolderState{}, err
	}
	s.selected, s.readOnly = folder, readOnly
	return FolderState{UIDValidity: data.UIDValidity, UIDNext: uint32(data.UIDNext), Messages: data.NumMessages}, nil
}

// uidsAfter lists the selected folder's UIDs above after, ascending.
func (s *Session) uidsAfter(after uint32) ([]imap.UID, error) {
	if after == math.MaxUint32 {
		return nil, nil
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(after+1), 0) // 0 is "*"
	data, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return nil, err
	}
	// "n:*" always matches the last message, even when its UID is below n
	// (RFC 3501 §6.4.8): that one was fetched before.
	uids := slices.DeleteFunc(data.AllUIDs(), func(uid imap.UID) bool { return uint32(uid) <= after })
	slices.Sort(uids)
	return uids, nil
}

type fetcher struct {
	s        *Session
	validity uint32
	maxSize  int64
	fn       func(Mail) error
	broken   bool // a body stream failed: the connection is gone
}

// batch fetches the metadata of some UIDs, then their bodies: the size
// must be known before choosing between BODY.PEEK[] and the header only,
// and a server may send the items of one response in any order.
func (f *fetcher) batch(uids []imap.UID) error {
	metas, err := f.s.metadata(uids)
	if err != nil {
		return err
	}
	plan, planErr := planBatch(uids, metas)
	for len(plan) > 0 {
		n := f.runLength(plan)
		if err := f.bodies(plan[:n]); err != nil {
			return err
		}
		plan = plan[n:]
	}
	return planErr
}

func (f *fetcher) oversized(p planned) bool { return f.maxSize > 0 && p.size > f.maxSize }

// runLength is how many messages at the head of plan one FETCH can bring:
// an oversized message alone, otherwise every message up to the next
// oversized one.
func (f *fetcher) runLength(plan []planned) int {
	if f.oversized(plan[0]) {
		return 1
	}
	n := 1
	for n < len(plan) && !f.oversized(plan[n]) {
		n++
	}
	return n
}

// bodies delivers a run of messages. One that does not come back was
// expunged meanwhile, or came back in a form go-imap could not match to
// the command (it needs the UID before the literal): the server is asked
// which, and the fetch goes on past it or stops, so that a message is
// never skipped while a later one is delivered.
func (f *fetcher) bodies(run []planned) error {
	for len(run) > 0 {
		done, err := f.fetchRun(run)
		if err != nil {
			return err
		}
		if done == len(run) {
			return nil
		}
		gone, err := f.s.expunged(run[done].uid)
		if err != nil {
			return err
		}
		if !gone {
			return local(fmt.Errorf("UID %d is on the server but its FETCH response could not be read", run[done].uid))
		}
		run = run[done+1:]
	}
	return nil
}

// fetchRun fetches the bodies of run with one command and returns how many
// messages at its head were delivered.
func (f *fetcher) fetchRun(run []planned) (int, error) {
	section := &imap.FetchItemBodySection{Peek: true}
	if f.oversized(run[0]) {
		section.Specifier = imap.PartSpecifierHeader
	}
	var uids imap.UIDSet
	for _, p := range run {
		uids.AddNum(p.uid)
	}
	cmd := f.s.c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	done, err := f.deliver(cmd, run)
	if f.broken {
		// Draining would read the cut literal again, racing go-imap's
		// reader goroutine, which took the connection back at the error.
		f.s.c.Close()
		return done, err
	}
	// Close drains what is left of the response, at most this run.
	if closeErr := cmd.Close(); err == nil {
		err = closeErr
	}
	return done, err
}

func (f *fetcher) deliver(cmd *imapclient.FetchCommand, run []planned) (int, error) {
	next := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		uid, lit := readBody(msg)
		if next == len(run) || uid != run[next].uid || lit == nil {
			return next, nil // a gap: see bodies
		}
		if err := f.deliverOne(run[next], lit); err != nil {
			return next, err
		}
		next++
	}
	return next, nil
}

func (f *fetcher) deliverOne(p planned, lit imap.LiteralReader) error {
	body := &bodyReader{r: lit, left: lit.Size()}
	err := f.fn(Mail{
		UID: uint32(p.uid), UIDValidity: f.validity, InternalDate: p.date, Size: p.size,
		Flags: p.flags, Oversized: f.oversized(p), Body: body,
	})
	if body.broken() {
		f.broken = true
		if err == nil {
			err = body.err
		}
		return local(fmt.Errorf("UID %d: %w: %w", p.uid, ErrUnavailable, err))
	}
	if err != nil {
		return local(fmt.Errorf("UID %d: %w", p.uid, err))
	}
	return nil
}

func readBody(msg *imapclient.FetchMessageData) (imap.UID, imap.LiteralReader) {
	var uid imap.UID
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = item.UID
		case imapclient.FetchItemDataBodySection:
			return uid, item.Literal
		}
	}
	return uid, nil
}

// expunged tells whether a UID is gone from the selected folder.
func (s *Session) expunged(uid imap.UID) (bool, error) {
	msgs, err := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true}).Collect()
	return len(msgs) == 0, err
}

// bodyReader turns a literal cut short into io.ErrUnexpectedEOF: go-imap
// reads a literal through an io.LimitReader, which reports a connection
// closed midway as a plain io.EOF and would pass a truncated message off
// as complete.
type bodyReader struct {
	r    io.Reader
	left int64
	err  error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	b.err = err
	return n, err
}

func (b *bodyReader) broken() bool { return b.err != nil && b.err != io.EOF }
