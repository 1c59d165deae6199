package imapsync_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

func TestFetch(t *testing.T) {
	t.Parallel()

	t.Run("StreamsMailAfterTheCheckpointInUIDOrder", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		mails := appendMails(t, srv, "INBOX", 5, 300)
		got, state := fetchAll(t, dial(t, acct), "INBOX", 2, 0, 0)

		if want := []uint32{3, 4, 5}; !slices.Equal(uidsOf(got), want) {
			t.Fatalf("UIDs = %v, want %v", uidsOf(got), want)
		}
		for _, m := range got {
			if !bytes.Equal(m.raw, mails[m.UID]) {
				t.Errorf("UID %d: body differs from what the server holds", m.UID)
			}
			if m.Size != int64(len(mails[m.UID])) || m.Oversized {
				t.Errorf("UID %d: Size %d, Oversized %v; want %d, false", m.UID, m.Size, m.Oversized, len(mails[m.UID]))
			}
			if m.UIDValidity != state.UIDValidity || m.InternalDate.IsZero() {
				t.Errorf("UID %d: UIDValidity %d (folder %d), InternalDate %v", m.UID, m.UIDValidity, state.UIDValidity, m.InternalDate)
			}
		}
		if state.Messages != 5 || state.UIDNext != 6 || state.UIDValidity == 0 {
			t.Errorf("state = %+v, want 5 messages, UIDNext 6", state)
		}
	})

	t.Run("LeavesSeenUnset", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		appendMails(t, srv, "INBOX", 3, 300)
		fetchAll(t, dial(t, acct), "INBOX", 0, 0, 0)
		for _, m := range messages(t, srv, "INBOX") {
			if m.Seen() {
				t.Errorf("UID %d is \\Seen after Fetch: flags %v", m.UID, m.Flags)
			}
		}
	})

	t.Run("IncludesMailReadInAnotherClient", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		appendMails(t, srv, "INBOX", 3, 300)
		must(t, srv.MarkSeen(user, "INBOX", 2))
		got, _ := fetchAll(t, dial(t, acct), "INBOX", 0, 0, 0)
		if !slices.Equal(uidsOf(got), []uint32{1, 2, 3}) {
			t.Fatalf("UIDs = %v, want the read one too", uidsOf(got))
		}
		if !slices.Contains(got[1].Flags, `\Seen`) {
			t.Errorf("UID 2 flags = %v, want \\Seen as set elsewhere", got[1].Flags)
		}
	})

	t.Run("SameMailWhateverTheBatchSize", func(t *testing.T) {
		t.Parallel()
		for _, batch := range []int{1, 2, 3, 7, 0} {
			debug := &syncBuffer{}
			srv, acct := setup(t, imaptest.Options{Debug: debug})
			appendMails(t, srv, "INBOX", 7, 200)
			got, _ := fetchAll(t, dial(t, acct), "INBOX", 0, batch, 0)
			if want := []uint32{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(uidsOf(got), want) {
				t.Errorf("batch %d: UIDs = %v, want %v", batch, uidsOf(got), want)
			}
			size := batch
			if size == 0 {
				size = imapsync.DefaultBatch
			}
			if n, want := debug.count("BODY.PEEK[]"), (7+size-1)/size; n != want {
				t.Errorf("batch %d: %d body FETCH commands, want %d", batch, n, want)
			}
		}
	})

	t.Run("StarRangeDoesNotRefetchTheLastMessage", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		appendMails(t, srv, "INBOX", 5, 200)
		must(t, srv.Expunge(user, "INBOX", 4))
		must(t, srv.Expunge(user, "INBOX", 5))
		s := dial(t, acct)
		// UIDNEXT is 6 but the last message is UID 3, which "5:*" matches.
		for _, after := range []uint32{3, 4, 5, 9} {
			if got, _ := fetchAll(t, s, "INBOX", after, 0, 0); len(got) != 0 {
				t.Errorf("after %d: got UIDs %v, want none", after, uidsOf(got))
			}
		}
		if got, _ := fetchAll(t, s, "INBOX", 2, 0, 0); !slices.Equal(uidsOf(got), []uint32{3}) {
			t.Errorf("after 2: UIDs %v, want [3]", uidsOf(got))
		}
	})

	t.Run("OversizedMailComesWithItsHeaderOnly", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		small := rawMail(1, 500)
		big := rawMail(2, 20_000)
		for _, raw := range [][]byte{small, big, small} {
			_, err := srv.Append(user, "INBOX", raw, received)
			must(t, err)
		}
		got, _ := fetchAll(t, dial(t, acct), "INBOX", 0, 0, 5_000)
		if len(got) != 3 {
			t.Fatalf("got %d mails, want 3", len(got))
		}
		header := big[:bytes.Index(big, []byte("\r\n\r\n"))+4]
		if m := got[1]; !m.Oversized || m.Size != int64(len(big)) || !bytes.Equal(m.raw, header) {
			t.Errorf("oversized mail: Oversized %v, Size %d (want %d), body %q", m.Oversized, m.Size, len(big), m.raw)
		}
		if got[0].Oversized || got[2].Oversized || !bytes.Equal(got[2].raw, small) {
			t.Errorf("small mails around it must come whole")
		}
	})

	t.Run("CallbackErrorStopsAndIsReturned", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		appendMails(t, srv, "INBOX", 6, 200)
		s := dial(t, acct)
		errStore := errors.New("database is locked")
		var seen []uint32
		_, err := s.Fetch(testContext(t), "INBOX", 0, 4, 0, func(m imapsync.Mail) error {
			seen = append(seen, m.UID)
			if m.UID == 3 {
				return errStore
			}
			_, err := io.Copy(io.Discard, m.Body)
			return err
		})
		if !errors.Is(err, errStore) || errors.Is(err, imapsync.ErrUnavailable) {
			t.Fatalf("err = %v, want the callback's error, not ErrUnavailable", err)
		}
		if !slices.Equal(seen, []uint32{1, 2, 3}) {
			t.Errorf("fn saw %v, want it stopped at 3", seen)
		}
		// The session drained the batch and can go on from the checkpoint.
		if got, _ := fetchAll(t, s, "INBOX", 2, 4, 0); !slices.Equal(uidsOf(got), []uint32{3, 4, 5, 6}) {
			t.Errorf("after the failure: UIDs %v, want [3 4 5 6]", uidsOf(got))
		}
	})

	t.Run("SkipsMailExpungedDuringTheFetch", func(t *testing.T) {
		t.Parallel()
		debug := &syncBuffer{}
		srv, acct := setup(t, imaptest.Options{Debug: debug})
		for i, size := range []int{300, 9_000, 300, 300} {
			_, err := srv.Append(user, "INBOX", rawMail(i+1, size), received)
			must(t, err)
		}
		var seen []uint32
		_, err := dial(t, acct).Fetch(testContext(t), "INBOX", 0, 10, 5_000, func(m imapsync.Mail) error {
			seen = append(seen, m.UID)
			if m.UID == 1 {
				// Another client deletes UID 3 after its metadata was read:
				// the FETCH of [3 4] answers only for 4.
				must(t, srv.Expunge(user, "INBOX", 3))
			}
			_, err := io.Copy(io.Discard, m.Body)
			return err
		})
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if !slices.Equal(seen, []uint32{1, 2, 4}) {
			t.Errorf("fn saw %v, want [1 2 4]", seen)
		}
		if debug.count("UID FETCH 3 (UID)") != 1 {
			t.Errorf("the gap at UID 3 was not checked with the server")
		}
	})

	t.Run("EmptyFolderAndMissingFolder", func(t *testing.T) {
		t.Parallel()
		_, acct := setup(t, imaptest.Options{})
		s := dial(t, acct)
		if got, state := fetchAll(t, s, "INBOX", 0, 0, 0); len(got) != 0 || state.Messages != 0 {
			t.Errorf("empty INBOX: got %d mails, state %+v", len(got), state)
		}
		_, err := s.Fetch(testContext(t), "Nope", 0, 0, 0, func(imapsync.Mail) error { return nil })
		if !errors.Is(err, imapsync.ErrNoFolder) {
			t.Errorf("missing folder: err = %v, want ErrNoFolder", err)
		}
	})

	t.Run("CancelledContextStopsTheFetch", func(t *testing.T) {
		t.Parallel()
		srv, acct := setup(t, imaptest.Options{})
		appendMails(t, srv, "INBOX", 5, 200)
		ctx, cancel := context.WithCancel(testContext(t))
		_, err := dial(t, acct).Fetch(ctx, "INBOX", 0, 2, 0, func(m imapsync.Mail) error {
			cancel()
			_, err := io.Copy(io.Discard, m.Body)
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestStatusShowsANewUIDValidity(t *testing.T) {
	t.Parallel()
	srv, acct := setup(t, imaptest.Options{})
	mails := appendMails(t, srv, "INBOX", 3, 200)
	s := dial(t, acct)
	before, err := s.Status(testContext(t), "INBOX")
	must(t, err)
	if before.Messages != 3 || before.UIDNext != 4 {
		t.Errorf("Status = %+v, want 3 messages, UIDNext 4", before)
	}

	renumbered, err := srv.ResetUIDValidity(user, "INBOX")
	must(t, err)
	after, err := s.Status(testContext(t), "INBOX")
	must(t, err)
	if after.UIDValidity == before.UIDValidity || after.UIDValidity != renumbered {
		t.Fatalf("UIDValidity %d → %d, want the new %d", before.UIDValidity, after.UIDValidity, renumbered)
	}

	// A new mail after the rebuild: trusting the old checkpoint (3) would
	// fetch only it. Resynchronising from UID 0 brings all four, each
	// carrying the new UIDVALIDITY, for the caller to match by Message-ID.
	_, err = srv.Append(user, "INBOX", rawMail(4, 200), received)
	must(t, err)
	got, state := fetchAll(t, s, "INBOX", 0, 0, 0)
	if state.UIDValidity != renumbered || len(got) != 4 {
		t.Fatalf("fetch after reset: state %+v, %d mails", state, len(got))
	}
	for i, m := range got[:3] {
		if m.UIDValidity != renumbered || !bytes.Equal(m.raw, mails[uint32(i+1)]) {
			t.Errorf("mail %d: UIDValidity %d, same body %v", i, m.UIDValidity, bytes.Equal(m.raw, mails[uint32(i+1)]))
		}
	}
}

func TestFolders(t *testing.T) {
	t.Parallel()
	srv, acct := setup(t, imaptest.Options{})
	must(t, srv.CreateFolder(user, "Sent"))
	must(t, srv.CreateFolder(user, "Archive"))
	got, err := dial(t, acct).Folders(testContext(t))
	must(t, err)
	if want := []string{"Archive", "INBOX", "Sent"}; !slices.Equal(got, want) {
		t.Errorf("Folders = %v, want %v", got, want)
	}
}
