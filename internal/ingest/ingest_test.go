package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/ingest"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// bulk is a Guichet without jobs nor HTTP and an IMAP server, with one
// contact@ mailbox.
type bulk struct {
	m   *app.Main
	srv *imaptest.Server
}

func newBulk(t *testing.T, b testdb.Backend) *bulk {
	t.Helper()
	cfg := b.Config(t)
	cfg.AdminPassword = "admin-password-for-tests"
	m := &app.Main{Config: cfg, Spec: api.Spec, Hasher: auth.NewHasherWithParams(2, 64, 1)}
	ctx := context.Background()
	if err := m.Open(ctx, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if _, err := m.Store.EnsureAdmin(ctx, cfg.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return &bulk{m: m, srv: imaptest.Start(t, imaptest.Options{})}
}

// mailbox creates an IMAP user and a contact mailbox reading it, and runs
// its first fetch (which starts at the end of its folders).
func (bk *bulk) mailbox(t *testing.T, user string) string {
	t.Helper()
	ctx := context.Background()
	if err := bk.srv.AddUser(user, "pw"); err != nil {
		t.Fatal(err)
	}
	var admin string
	if err := bk.m.DB.Reader().NewSelect().Table("agents").Column("id").Where("username = 'admin'").Scan(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	pw := "pw"
	mb, err := bk.m.Store.CreateMailbox(ctx, guichet.MailboxCreate{Kind: guichet.MailboxShared, Purpose: "contact", Name: user,
		Address: user + "@guichet.example", ResponsibleID: admin, Imap: &guichet.ImapInput{Password: &pw,
			ImapSettings: guichet.ImapSettings{Host: bk.srv.Host, Port: bk.srv.Port, Security: guichet.SecurityNone, Username: user}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bk.m.FetchMailbox(ctx, mb.ID); err != nil {
		t.Fatal(err)
	}
	return mb.ID
}

// fill appends n mails from 50 clients; every tenth is its client's
// answer to the mail before it.
func (bk *bulk) fill(t *testing.T, user string, n int) {
	t.Helper()
	for i := range n {
		extra, sender := "", i%50
		if i%10 == 9 { // the client of the previous mail adds to it
			extra, sender = fmt.Sprintf("In-Reply-To: <%s-%d@client.example>\r\n", user, i-1), (i-1)%50
		}
		raw := fmt.Sprintf("From: Client %d <client%d@client.example>\r\nTo: %s@guichet.example\r\nSubject: Demande %d\r\n"+
			"Message-ID: <%s-%d@client.example>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\n%s"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma demande numéro %d.\r\n", sender, sender, user, i, user, i, extra, i)
		if _, err := bk.srv.Append(user, "INBOX", []byte(raw), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
}

func (bk *bulk) count(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	n, err := bk.m.DB.Reader().NewSelect().TableExpr(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// exactlyOnce checks that the mailbox holds each of n mails once: one
// message, one location, one queue item each, a ticket per new request
// and a client message per reply.
func (bk *bulk) exactlyOnce(t *testing.T, id string, n int) {
	t.Helper()
	checks := []struct {
		what string
		got  int
		want int
	}{
		{"messages", bk.count(t, "mail_messages", "mailbox_id = ?", id), n},
		{"locations", bk.count(t, "mail_locations", "mailbox_id = ?", id), n},
		{"items", bk.count(t, "mail_items", "mailbox_id = ?", id), n},
		{"tickets", bk.count(t, "mail_items", "mailbox_id = ? AND routing_reason = 'new_ticket'", id), n - n/10},
		{"replies", bk.count(t, "mail_items", "mailbox_id = ? AND routing_reason = 'thread_header'", id), n / 10},
		{"distinct tickets", bk.count(t, "tickets", "id IN (SELECT ticket_id FROM mail_items WHERE mailbox_id = ?)", id), n - n/10},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
}

// TestThousandMailsExactlyOnceWhileInterrupted ingests 1,000 mails while
// the fetch is cancelled at random points (dial, stream, blob, parse,
// commit) and started again, as a crash and a restart would: every mail
// comes in once, none twice.
func TestThousandMailsExactlyOnceWhileInterrupted(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		bk := newBulk(t, b)
		id := bk.mailbox(t, "bulk")
		bk.fill(t, "bulk", 1000)
		rng := rand.New(rand.NewPCG(1, 2))
		runs, interrupted := 0, 0
		for ; runs < 500; runs++ {
			ctx, cancel := context.WithCancel(context.Background())
			timer := time.AfterFunc(time.Duration(rng.IntN(300))*time.Millisecond, cancel)
			res, err := bk.m.FetchMailbox(ctx, id)
			stopped := !timer.Stop()
			cancel()
			if err == nil && !res.More && !stopped {
				break
			}
			if errors.Is(err, ingest.ErrBusy) || errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("run %d: %v", runs, err)
			}
			interrupted++
		}
		if _, err := bk.m.FetchMailbox(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d fetches, %d interrupted", runs+1, interrupted)
		if interrupted == 0 {
			t.Error("no fetch was interrupted: the test proves nothing")
		}
		bk.exactlyOnce(t, id, 1000)
	})
}

// TestThousandMailsThroughput measures an uninterrupted ingestion of
// 1,000 mails into threaded tickets (the figure goes to the log; the
// bench holds the bar).
func TestThousandMailsThroughput(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		bk := newBulk(t, b)
		id := bk.mailbox(t, "speed")
		bk.fill(t, "speed", 1000)
		start, total := time.Now(), 0
		for {
			res, err := bk.m.FetchMailbox(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			total += res.Mails
			if !res.More {
				break
			}
		}
		took := time.Since(start)
		t.Logf("%s: %d mails in %.2f s: %.0f mails/s", b.Name, total, took.Seconds(), float64(total)/took.Seconds())
		bk.exactlyOnce(t, id, 1000)
	})
}
