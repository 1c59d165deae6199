package imapsync

import (
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// meta is what a message's metadata FETCH returned.
type meta struct {
	date             time.Time
	size             int64
	flags            []string
	hasDate, hasSize bool
}

// planned is a message of a batch whose metadata came back.
type planned struct {
	uid imap.UID
	meta
}

// metadata fetches UID, FLAGS, INTERNALDATE and RFC822.SIZE of some UIDs.
func (s *Session) metadata(uids []imap.UID) (map[imap.UID]meta, error) {
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true})
	metas := make(map[imap.UID]meta, len(uids))
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if uid, m := readMeta(msg); uid != 0 {
			metas[uid] = m
		}
	}
	return metas, cmd.Close()
}

func readMeta(msg *imapclient.FetchMessageData) (imap.UID, meta) {
	var uid imap.UID
	var m meta
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = item.UID
		case imapclient.FetchItemDataFlags:
			m.flags = flagStrings(item.Flags)
		case imapclient.FetchItemDataInternalDate:
			m.date, m.hasDate = item.Time, true
		case imapclient.FetchItemDataRFC822Size:
			m.size, m.hasSize = item.Size, true
		}
	}
	return uid, m
}

// planBatch keeps the UIDs whose metadata came back, in order: one missing
// was expunged since the search. It stops before a UID whose metadata came
// back incomplete (an unsolicited FLAGS update that go-imap took for the
// answer, hiding the real one), so that nothing after it is delivered
// first; the error makes the caller fetch again from there.
func planBatch(uids []imap.UID, metas map[imap.UID]meta) ([]planned, error) {
	plan := make([]planned, 0, len(uids))
	for _, uid := range uids {
		m, ok := metas[uid]
		if !ok {
			continue
		}
		if !m.hasDate || !m.hasSize {
			return plan, local(fmt.Errorf("%w: incomplete metadata for UID %d", ErrUnavailable, uid))
		}
		plan = append(plan, planned{uid: uid, meta: m})
	}
	return plan, nil
}

func flagStrings(flags []imap.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}
