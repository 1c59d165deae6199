package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
)

// queueItem is a queue item as GET /mail-items/{id} shows it.
type queueItem struct {
	ID              string  `json:"id"`
	MailboxID       string  `json:"mailbox_id"`
	MessageID       string  `json:"message_id"`
	Status          string  `json:"status"`
	ReceivedAt      string  `json:"received_at"`
	TicketID        *string `json:"ticket_id"`
	ClaimedBy       *string `json:"claimed_by"`
	ProcessedBy     *string `json:"processed_by"`
	ProcessedReason *string `json:"processed_reason"`
	Version         int     `json:"version"`
	Tickets         []struct {
		TicketID string `json:"ticket_id"`
		Number   string `json:"number"`
		How      string `json:"how"`
		Note     string `json:"note"`
	} `json:"tickets"`
	Archive *struct {
		State string  `json:"state"`
		Error *string `json:"error"`
	} `json:"archive"`
}

func getItem(t *testing.T, env *apitest.Env, token, id string) (queueItem, string) {
	t.Helper()
	var it queueItem
	r := env.Get(token, "/mail-items/"+id).Expect(t, http.StatusOK)
	r.JSON(t, &it)
	return it, r.Header.Get("ETag")
}

// itemAction posts an action on the item with its current ETag.
func itemAction(t *testing.T, env *apitest.Env, token, id, action string, body any) *apitest.Response {
	t.Helper()
	var it queueItem
	env.Get(token, "/mail-items/"+id).JSON(t, &it)
	etag := `"` + strconv.Itoa(it.Version) + `"`
	if it.Version == 0 {
		etag = `"1"` // an item the caller cannot see: let the API say so
	}
	return ifMatchDo(env, http.MethodPost, token, "/mail-items/"+id+"/"+action, etag, body)
}

// queueMail delivers a mail to user's INBOX, fetches the mailbox and
// returns the mail's queue item.
func (mt *mailTest) queueMail(t *testing.T, token, user, mailboxID, from, subject string) mailItem {
	t.Helper()
	id := strings.ReplaceAll(strings.ToLower(subject), " ", "-") + "@client.example"
	mt.deliver(t, user, "INBOX", eml(from, user+"@guichet.example", subject, id, "Bonjour, "+subject+"."))
	mt.mustFetch(t, mailboxID)
	return itemBySubject(t, mt.items(t, token, mailboxID, ""), subject)
}

// queueNotifications lists the caller's notifications of one kind.
func queueNotifications(t *testing.T, env *apitest.Env, token, kind string) []agentNotification {
	t.Helper()
	var page struct {
		Items []agentNotification `json:"items"`
	}
	env.Get(token, "/me/notifications?limit=200").Expect(t, http.StatusOK).JSON(t, &page)
	var out []agentNotification
	for _, n := range page.Items {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// waitArchive waits for the item's archive move to end.
func waitArchive(t *testing.T, env *apitest.Env, token, id string) queueItem {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		it, _ := getItem(t, env, token, id)
		if it.Archive != nil && it.Archive.State != "pending" {
			return it
		}
		if time.Now().After(deadline) {
			t.Fatalf("the archive move is still pending: %+v", it.Archive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
