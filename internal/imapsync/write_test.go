package imapsync_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

func TestMove(t *testing.T) {
	t.Parallel()

	for name, opts := range map[string]imaptest.Options{
		"WithMOVE":                   {},
		"WithCopyStoreAndUIDExpunge": {NoMove: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, acct := setup(t, opts)
			must(t, srv.CreateFolder(user, "Archive"))
			mails := appendMails(t, srv, "INBOX", 2, 200)
			// Flagged \Deleted in another client, not expunged: must stay.
			_, err := srv.Append(user, "INBOX", rawMail(3, 200), received, `\Deleted`)
			must(t, err)
			s := dial(t, acct)
			fetchAll(t, s, "INBOX", 0, 0, 0) // EXAMINE first: Move must SELECT

			must(t, s.Move(testContext(t), "INBOX", 1, "Archive"))
			// Twice, as a job that runs again would: nothing left to move.
			must(t, s.Move(testContext(t), "INBOX", 1, "Archive"))

			var left []uint32
			for _, m := range messages(t, srv, "INBOX") {
				left = append(left, m.UID)
			}
			if !slices.Equal(left, []uint32{2, 3}) {
				t.Errorf("INBOX UIDs = %v, want [2 3]", left)
			}
			archived := messages(t, srv, "Archive")
			if len(archived) != 1 || !bytes.Equal(archived[0].Raw, mails[1]) {
				t.Fatalf("Archive = %d messages, want UID 1's", len(archived))
			}
			if slices.Contains(archived[0].Flags, `\Deleted`) || archived[0].Seen() {
				t.Errorf("archived flags = %v, want none", archived[0].Flags)
			}
		})
	}

	t.Run("NeitherMOVENorUIDPLUSIsErrNoMove", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{NoMove: true, NoUIDPlus: true})
		must(t, srv.CreateFolder(user, "Archive"))
		appendMails(t, srv, "INBOX", 1, 200)
		if err := dial(t, acct).Move(testContext(t), "INBOX", 1, "Archive"); !errors.Is(err, imapsync.ErrNoMove) {
			t.Errorf("Move = %v, want ErrNoMove", err)
		}
		if n := len(messages(t, srv, "INBOX")); n != 1 {
			t.Errorf("INBOX has %d messages, want it untouched", n)
		}
	})

	t.Run("MissingDestinationIsErrNoFolder", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		appendMails(t, srv, "INBOX", 1, 200)
		if err := dial(t, acct).Move(testContext(t), "INBOX", 1, "Nope"); !errors.Is(err, imapsync.ErrNoFolder) {
			t.Errorf("Move = %v, want ErrNoFolder", err)
		}
	})
}

func TestAppend(t *testing.T) {
	t.Parallel()

	t.Run("StoresTheReplyInSent", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		must(t, srv.CreateFolder(user, "Sent"))
		reply := rawMail(1, 6_000) // past 4 KiB: a synchronising literal
		err := dial(t, acct).Append(testContext(t), "Sent", []string{`\Seen`}, received, bytes.NewReader(reply), int64(len(reply)))
		must(t, err)
		sent := messages(t, srv, "Sent")
		if len(sent) != 1 || !bytes.Equal(sent[0].Raw, reply) || !sent[0].Seen() || !sent[0].InternalDate.Equal(received) {
			t.Fatalf("Sent = %+v, want the reply, \\Seen, dated %v", sent, received)
		}
	})

	t.Run("ShortOrFailingReaderIsTheCallersError", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		must(t, srv.CreateFolder(user, "Sent"))
		errDisk := errors.New("disk read failed")
		for _, r := range []struct {
			name string
			err  error
			size int64
			src  *strings.Reader
		}{
			{"short", nil, 100, strings.NewReader("only this")},
			{"failing", errDisk, 100, nil},
		} {
			reader := iotest.ErrReader(errDisk)
			if r.src != nil {
				reader = r.src
			}
			err := dial(t, acct).Append(testContext(t), "Sent", nil, received, reader, r.size)
			if err == nil || errors.Is(err, imapsync.ErrUnavailable) || (r.err != nil && !errors.Is(err, r.err)) {
				t.Errorf("%s reader: Append = %v, want the reader's error", r.name, err)
			}
		}
		if n := len(messages(t, srv, "Sent")); n != 0 {
			t.Errorf("Sent has %d messages, want none", n)
		}
	})
}
