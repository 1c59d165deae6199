package seed

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// apiCall is what the tests read of a call.
type apiCall struct {
	ID                string  `json:"id"`
	ContactID         *string `json:"contact_id"`
	Outcome           string  `json:"outcome"`
	TransferredTo     *string `json:"transferred_to"`
	OrientedTo        string  `json:"oriented_to"`
	NeedsConfirmation bool    `json:"needs_confirmation"`
	Confirmation      *struct {
		Text string `json:"text"`
	} `json:"confirmation"`
	OccurredAt time.Time `json:"occurred_at"`
	Identity   struct {
		Name      string `json:"name"`
		Structure string `json:"structure"`
	} `json:"identity"`
}

// TestSeededCallsAreCallsOfTheAPI seeds a book of calls, then reads,
// filters, exports and confirms them through the API.
func TestSeededCallsAreCallsOfTheAPI(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		agents, err := Agents(context.Background(), env.Main.Store, 5)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Calls(context.Background(), env.Main.Store, CallOptions{N: 300, Batch: 64, Contacts: 20,
			Agents: agents, Supervisors: Supervisors(agents), Now: env.Clock.Now(), Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Calls != 300 || res.Contacts != 20 || res.Unconfirmed == 0 {
			t.Fatalf("seeded %+v: want 300 calls naming 20 contacts, some to confirm", res)
		}
		all := listCalls(t, env, "")
		t.Run("ListSeesEveryCallNewestFirst", func(t *testing.T) {
			if len(all) != 300 {
				t.Fatalf("GET /calls lists %d calls, want 300", len(all))
			}
			for i, c := range all {
				if i > 0 && c.OccurredAt.After(all[i-1].OccurredAt) {
					t.Fatalf("call %d at %s after call %d at %s: want newest first", i, c.OccurredAt, i-1, all[i-1].OccurredAt)
				}
				if (c.Outcome == "transferred_to_supervisor") != (c.TransferredTo != nil) ||
					(c.Outcome == "oriented_elsewhere") != (c.OrientedTo != "") ||
					c.NeedsConfirmation != (c.Outcome != "oriented_elsewhere") {
					t.Fatalf("call %+v: outcome and its fields disagree", c)
				}
				if c.ContactID == nil && c.Identity.Structure == "" {
					t.Fatalf("call %+v names nobody", c)
				}
			}
		})
		t.Run("UnconfirmedFilter", func(t *testing.T) {
			if got := len(listCalls(t, env, "&unconfirmed=true")); got != res.Unconfirmed {
				t.Errorf("unconfirmed=true lists %d calls, seeded %d", got, res.Unconfirmed)
			}
		})
		t.Run("CSVExportHasEveryCall", func(t *testing.T) {
			r := env.Do(apitest.Req{Method: http.MethodGet, Path: "/calls", Token: env.Admin,
				Headers: map[string]string{"Accept": "text/csv"}}).Expect(t, http.StatusOK)
			if !bytes.HasPrefix(r.Body, []byte("\xEF\xBB\xBF")) || bytes.Count(r.Body, []byte("\n")) != 301 {
				t.Errorf("export of %d bytes, %d lines: want a BOM, a header and 300 rows", len(r.Body), bytes.Count(r.Body, []byte("\n")))
			}
		})
		t.Run("SeededCallIsConfirmedInWriting", func(t *testing.T) {
			unconfirmed := listCalls(t, env, "&unconfirmed=true")
			if len(unconfirmed) == 0 {
				t.Fatal("no call to confirm")
			}
			env.Post(env.Admin, "/interactions/"+unconfirmed[0].ID+"/confirmation", map[string]string{"text": "Confirmé par courriel."}).
				Expect(t, http.StatusOK)
		})
	})
}

// listCalls pages through GET /calls with the extra parameters.
func listCalls(t *testing.T, env *apitest.Env, extra string) []apiCall {
	t.Helper()
	var all []apiCall
	cursor := ""
	for {
		path := "/calls?limit=200" + extra
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items      []apiCall `json:"items"`
			NextCursor *string   `json:"next_cursor"`
		}
		env.Get(env.Admin, path).Expect(t, http.StatusOK).JSON(t, &page)
		all = append(all, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all
		}
		cursor = *page.NextCursor
	}
}
