package imapsync_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

const (
	user     = "contact@example.com"
	password = "s3cret"
)

var received = time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)

func setup(t *testing.T, opts imaptest.Options) (*imaptest.Server, imapsync.Account) {
	t.Helper()
	srv := imaptest.Start(t, opts)
	must(t, srv.AddUser(user, password))
	return srv, imapsync.Account{
		Host: srv.Host, Port: srv.Port, Security: imapsync.SecurityNone,
		Username: user, Password: password,
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, acct imapsync.Account) *imapsync.Session {
	t.Helper()
	s, err := imapsync.Dial(testContext(t), acct)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawMail is a small message whose body pads it to about size bytes.
func rawMail(n, size int) []byte {
	head := fmt.Sprintf("From: client%d@example.org\r\nTo: %s\r\nSubject: Demande %d\r\nMessage-ID: <%d@example.org>\r\n\r\n", n, user, n, n)
	line := "Bonjour, ma facture est fausse.\r\n"
	return []byte(head + strings.Repeat(line, max(1, (size-len(head))/len(line))))
}

// appendMails puts count mails of about size bytes in folder and returns
// them by UID.
func appendMails(t *testing.T, srv *imaptest.Server, folder string, count, size int) map[uint32][]byte {
	t.Helper()
	mails := make(map[uint32][]byte, count)
	for i := range count {
		raw := rawMail(i+1, size)
		uid, err := srv.Append(user, folder, raw, received.Add(time.Duration(i)*time.Minute))
		must(t, err)
		mails[uid] = raw
	}
	return mails
}

type fetched struct {
	imapsync.Mail
	raw []byte
}

// fetchAll runs Fetch and keeps what fn received.
func fetchAll(t *testing.T, s *imapsync.Session, folder string, after uint32, batch int, maxSize int64) ([]fetched, imapsync.FolderState) {
	t.Helper()
	var got []fetched
	state, err := s.Fetch(testContext(t), folder, after, batch, maxSize, func(m imapsync.Mail) error {
		raw, err := io.ReadAll(m.Body)
		got = append(got, fetched{Mail: m, raw: raw})
		return err
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return got, state
}

func uidsOf(mails []fetched) []uint32 {
	uids := make([]uint32, len(mails))
	for i, m := range mails {
		uids[i] = m.UID
	}
	return uids
}

func messages(t *testing.T, srv *imaptest.Server, folder string) []imaptest.Message {
	t.Helper()
	msgs, err := srv.Messages(user, folder)
	must(t, err)
	return msgs
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// syncBuffer collects the server's debug output, written from several
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}
