package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
)

// interaction is the JSON of any book's entry: the per-kind resources are
// flat, GET /interactions nests the kind's fields under its name (kindOf).
type interaction struct {
	ID            string  `json:"id"`
	Kind          string  `json:"kind"`
	OccurredAt    string  `json:"occurred_at"`
	AgentID       string  `json:"agent_id"`
	ContactID     *string `json:"contact_id"`
	IntervenantID *string `json:"intervenant_id"`
	Identity      struct {
		Name      string `json:"name"`
		Structure string `json:"structure"`
		Phone     string `json:"phone"`
		Email     string `json:"email"`
	} `json:"identity"`
	Reason  string `json:"reason"`
	Tickets []struct {
		TicketID string `json:"ticket_id"`
		Number   string `json:"number"`
		Opened   bool   `json:"opened"`
	} `json:"tickets"`
	NeedsConfirmation bool `json:"needs_confirmation"`
	Confirmation      *struct {
		TicketID *string `json:"ticket_id"`
		Text     string  `json:"text"`
	} `json:"confirmation"`
	Version int `json:"version"`
	// Kind fields (flat on the per-kind resources).
	Direction      string  `json:"direction"`
	Outcome        string  `json:"outcome"`
	TransferredTo  *string `json:"transferred_to"`
	ReferredTo     *string `json:"referred_to"`
	OrientedTo     string  `json:"oriented_to"`
	ConsultedBy    string  `json:"consulted_by"`
	WalkIn         bool    `json:"walk_in"`
	AppointmentID  *string `json:"appointment_id"`
	Status         string  `json:"status"`
	Registered     bool    `json:"registered"`
	TrackingNumber string  `json:"tracking_number"`
	ActType        string  `json:"act_type"`
	Scan           *struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256"`
	} `json:"scan"`
	// The generic view's nested kind fields.
	Call   map[string]any `json:"call"`
	Letter map[string]any `json:"letter"`
	Visit  map[string]any `json:"visit"`
}

func (i interaction) etag() string { return fmt.Sprintf(`"%d"`, i.Version) }

type interactionPage struct {
	Items      []interaction `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// logEntry posts an entry to a book and returns it.
func logEntry(t *testing.T, env *apitest.Env, token, book string, body map[string]any) interaction {
	t.Helper()
	var out interaction
	env.Post(token, "/"+book, body).Expect(t, http.StatusCreated).JSON(t, &out)
	return out
}

// walkBook reads every page of a book's list with the query.
func walkBook(t *testing.T, env *apitest.Env, token, book string, q url.Values) []interaction {
	t.Helper()
	q = cloneValues(q)
	var all []interaction
	for range 1000 {
		var p interactionPage
		env.Get(token, "/"+book+"?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		q.Set("cursor", *p.NextCursor)
	}
	t.Fatalf("walk %s: no last page", book)
	return nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{"limit": {"200"}}
	for k, v := range q {
		out[k] = v
	}
	return out
}

func ids(items []interaction) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// counts is what a refused request must leave as it was.
type counts struct{ interactions, tickets, contacts int }

func countAll(t *testing.T, env *apitest.Env) counts {
	t.Helper()
	n := 0
	q := url.Values{"limit": {"200"}}
	for {
		var p struct {
			Items      []ticket `json:"items"`
			NextCursor *string  `json:"next_cursor"`
		}
		env.Get(env.Admin, "/tickets?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
		n += len(p.Items)
		if p.NextCursor == nil {
			break
		}
		q.Set("cursor", *p.NextCursor)
	}
	return counts{interactions: len(walkBook(t, env, env.Admin, "interactions", nil)), tickets: n, contacts: countContacts(t, env)}
}

// ifMatchDo sends a request with If-Match.
func ifMatchDo(env *apitest.Env, method, token, path, etag string, body any) *apitest.Response {
	return env.Do(apitest.Req{Method: method, Path: path, Token: token, Body: body, Headers: map[string]string{"If-Match": etag}})
}

// putScan uploads a raw scan with If-Match.
func putScan(env *apitest.Env, token, path, etag string, content []byte) *apitest.Response {
	return env.Do(apitest.Req{Method: http.MethodPut, Path: path + "/scan?filename=courrier.pdf", Token: token, Body: content,
		Headers: map[string]string{"If-Match": etag, "Content-Type": "application/octet-stream"}})
}
