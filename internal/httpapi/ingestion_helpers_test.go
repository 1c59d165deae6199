package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/ingest"
)

// mailTest is a Guichet and an IMAP server in process.
type mailTest struct {
	env *apitest.Env
	srv *imaptest.Server
	p   people
}

type mailItem struct {
	ID            string  `json:"id"`
	MessageID     string  `json:"message_id"`
	Status        string  `json:"status"`
	ReceivedAt    string  `json:"received_at"`
	RoutingReason string  `json:"routing_reason"`
	Quarantined   bool    `json:"quarantined"`
	TicketID      *string `json:"ticket_id"`
	Subject       string  `json:"subject"`
	Excerpt       string  `json:"excerpt"`
	From          *struct {
		Email string `json:"email"`
	} `json:"from"`
}

type mailMessage struct {
	ID               string            `json:"id"`
	MessageID        string            `json:"message_id"`
	SyntheticID      bool              `json:"synthetic_id"`
	MailboxID        *string           `json:"mailbox_id"`
	Direction        string            `json:"direction"`
	Subject          string            `json:"subject"`
	SentAt           *string           `json:"sent_at"`
	ReceivedAt       string            `json:"received_at"`
	Headers          map[string]string `json:"headers"`
	QuarantineReason *string           `json:"quarantine_reason"`
	BounceOfID       *string           `json:"bounce_of_id"`
	ContactID        *string           `json:"contact_id"`
	TicketID         *string           `json:"ticket_id"`
	RoutingReason    string            `json:"routing_reason"`
	Classification   struct {
		AutoReply            bool `json:"auto_reply"`
		SuppressAutoResponse bool `json:"suppress_auto_response"`
	} `json:"classification"`
}

// box creates an IMAP account with a Sent folder and a mailbox reading
// it; body completes the mailbox. It returns the mailbox's id.
func (mt *mailTest) box(t *testing.T, token, user string, body map[string]any) string {
	t.Helper()
	return mt.boxTB(t, token, user, body)
}

// boxTB is box for tests and benchmarks.
func (mt *mailTest) boxTB(t testing.TB, token, user string, body map[string]any) string {
	t.Helper()
	if err := mt.srv.AddUser(user, "pw-"+user); err != nil {
		t.Fatal(err)
	}
	if err := mt.srv.CreateFolder(user, "Sent"); err != nil {
		t.Fatal(err)
	}
	imap := map[string]any{"host": mt.srv.Host, "port": mt.srv.Port, "security": "none", "username": user,
		"password": "pw-" + user, "fetch_interval_seconds": 3600}
	for _, k := range []string{"password", "watched_folders"} {
		if v, ok := body[k]; ok {
			imap[k] = v
			delete(body, k)
		}
	}
	body["imap"] = imap
	if _, ok := body["address"]; !ok {
		body["address"] = user + "@guichet.example"
	}
	if _, ok := body["name"]; !ok {
		body["name"] = user
	}
	return createMailbox(t, mt.env, token, body).ID
}

// fetch runs a fetch in the test's process, waiting for one that a
// background job may be running.
func (mt *mailTest) fetch(t *testing.T, id string) (ingest.Result, error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := mt.env.Main.FetchMailbox(context.Background(), id)
		if !errors.Is(err, ingest.ErrBusy) || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (mt *mailTest) mustFetch(t *testing.T, id string) ingest.Result {
	t.Helper()
	res, err := mt.fetch(t, id)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	return res
}

// quiesce waits until no fetch job is queued or running, so that a test
// that breaks the server meets only its own fetch.
func (mt *mailTest) quiesce(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for countRows(t, mt.env, "river_job", "kind = 'mailbox_fetch' AND state IN ('available', 'running', 'scheduled', 'retryable', 'pending')") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("fetch jobs still queued")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliver puts a mail in a user's folder, received a minute ago.
func (mt *mailTest) deliver(t *testing.T, user, folder string, raw []byte, flags ...string) uint32 {
	t.Helper()
	uid, err := mt.srv.Append(user, folder, raw, mt.env.Clock.Now().Add(-time.Minute).Truncate(time.Second), flags...)
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

func (mt *mailTest) items(t *testing.T, token, mailboxID, query string) []mailItem {
	t.Helper()
	var page struct {
		Items []mailItem `json:"items"`
	}
	mt.env.Get(token, "/mailboxes/"+mailboxID+"/items?limit=200"+query).Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

func (mt *mailTest) message(t *testing.T, token, id string) mailMessage {
	t.Helper()
	var m mailMessage
	mt.env.Get(token, "/mail-messages/"+id).Expect(t, http.StatusOK).JSON(t, &m)
	return m
}

// itemBySubject finds the item of the mail with this subject.
func itemBySubject(t *testing.T, items []mailItem, subject string) mailItem {
	t.Helper()
	for _, it := range items {
		if it.Subject == subject {
			return it
		}
	}
	t.Fatalf("no item %q among %d", subject, len(items))
	return mailItem{}
}

// eml writes a plain mail; headers are "Name: value" lines.
func eml(from, to, subject, id, body string, headers ...string) []byte {
	var b strings.Builder
	if from != "" {
		fmt.Fprintf(&b, "From: %s\r\n", from)
	}
	fmt.Fprintf(&b, "To: %s\r\nSubject: %s\r\n", to, subject)
	if id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", id)
	}
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return []byte(b.String())
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "mailparse", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func timelineKinds(events []timelineEvent) string {
	kinds := make([]string, len(events))
	for i, e := range events {
		kinds[i] = e.Kind
	}
	return strings.Join(kinds, ",")
}
