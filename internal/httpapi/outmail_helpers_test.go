package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/smtptest"
	"github.com/guichet/guichet/internal/testdb"
)

// outTest is a Guichet with an IMAP and an SMTP server in process, and a
// shared contact mailbox that sends through the SMTP server.
type outTest struct {
	*mailTest
	smtp    *smtptest.Server
	contact string // the contact mailbox's id
}

type outgoingMail struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	TicketID        *string  `json:"ticket_id"`
	NotificationID  *string  `json:"notification_id"`
	Recipients      []string `json:"recipients"`
	Subject         string   `json:"subject"`
	MessageID       string   `json:"message_id"`
	Status          string   `json:"status"`
	Reason          *string  `json:"reason"`
	Attempts        int      `json:"attempts"`
	LastError       *string  `json:"last_error"`
	SentAt          *string  `json:"sent_at"`
	SentFolderState string   `json:"sent_folder_state"`
}

type clientNotification struct {
	ID             string  `json:"id"`
	Template       string  `json:"template"`
	Status         string  `json:"status"`
	Reason         *string `json:"reason"`
	OutgoingMailID *string `json:"outgoing_mail_id"`
}

func newOutTest(t *testing.T, b testdb.Backend) *outTest {
	t.Helper()
	env := apitest.Start(t, b)
	ot := &outTest{mailTest: &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)},
		smtp: smtptest.Start(t, smtptest.Options{})}
	ot.contact = ot.box(t, ot.p.manager, "contact", map[string]any{"kind": "shared", "purpose": "contact",
		"responsible_id": ot.p.agentID, "priority": 10, "smtp": ot.smtpSettings()})
	ot.mustFetch(t, ot.contact) // a new mailbox starts at the end of its folders
	return ot
}

func (ot *outTest) smtpSettings() map[string]any {
	return map[string]any{"host": ot.smtp.Host, "port": ot.smtp.Port, "security": "none"}
}

// clientTicket delivers a client's mail to contact@ and returns the ticket
// it opened.
func (ot *outTest) clientTicket(t *testing.T, subject, messageID string) ticket {
	t.Helper()
	ot.deliver(t, "contact", "INBOX", eml("Mélanie Loubet <m.loubet@example.fr>", "contact@guichet.example", subject, messageID,
		"Bonjour, "+subject+"."))
	ot.mustFetch(t, ot.contact)
	it := itemBySubject(t, ot.items(t, ot.p.agent, ot.contact, ""), subject)
	if it.TicketID == nil {
		t.Fatalf("no ticket for %q: %+v", subject, it)
	}
	return getTicket(t, ot.env, ot.p.agent, *it.TicketID)
}

func (ot *outTest) outgoing(t *testing.T, ticketID string) []outgoingMail {
	t.Helper()
	var page struct {
		Items []outgoingMail `json:"items"`
	}
	ot.env.Get(ot.p.agent, "/tickets/"+ticketID+"/outgoing-mails?limit=200").Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

func (ot *outTest) outgoingByID(t *testing.T, ticketID, id string) outgoingMail {
	t.Helper()
	for _, m := range ot.outgoing(t, ticketID) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("outgoing mail %s not listed on ticket %s", id, ticketID)
	return outgoingMail{}
}

// waitStatus waits until the outgoing mail reaches status (River works the
// send job in the background).
func (ot *outTest) waitStatus(t *testing.T, ticketID, id, status string) outgoingMail {
	t.Helper()
	var m outgoingMail
	deadline := time.Now().Add(30 * time.Second)
	for m = ot.outgoingByID(t, ticketID, id); m.Status != status; m = ot.outgoingByID(t, ticketID, id) {
		if time.Now().After(deadline) {
			t.Fatalf("outgoing mail %s is %s (%+v), want %s", id, m.Status, m, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

func (ot *outTest) notifications(t *testing.T, ticketID string) []clientNotification {
	t.Helper()
	var page struct {
		Items []clientNotification `json:"items"`
	}
	ot.env.Get(ot.p.agent, "/tickets/"+ticketID+"/client-notifications").Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

// sweep turns pending client notifications into mail now, as the periodic
// job does every few seconds.
func sweep(t *testing.T, env *apitest.Env) {
	t.Helper()
	if _, err := env.Main.Store.SweepClientNotifications(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// sentTo returns the messages the SMTP server accepted for rcpt.
func sentTo(srv *smtptest.Server, rcpt string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			if to == rcpt {
				out = append(out, m)
			}
		}
	}
	return out
}

// parsed is a delivered message: its header and its first text part.
type parsed struct {
	Header mail.Header
	Text   string
	Parts  []string // content types of the other parts
}

func parseMail(t *testing.T, data []byte) parsed {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse sent mail: %v\n%s", err, data)
	}
	out := parsed{Header: r.Header}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		ct, _, _ := p.Header.(interface {
			ContentType() (string, map[string]string, error)
		}).ContentType()
		if out.Text == "" && strings.HasPrefix(ct, "text/plain") {
			out.Text = string(b)
		} else {
			out.Parts = append(out.Parts, ct)
		}
	}
	return out
}

func (p parsed) messageID() string {
	id, _ := p.Header.MessageID()
	return id
}
