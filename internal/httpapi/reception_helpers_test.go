package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
)

// message is the JSON of a message of the "cahier des messages".
type message struct {
	ID   string `json:"id"`
	From struct {
		Name, Structure, Phone, Email string
	} `json:"from"`
	ContactID             *string `json:"contact_id"`
	Reason                string  `json:"reason"`
	Urgency               string  `json:"urgency"`
	RecipientAgentID      *string `json:"recipient_agent_id"`
	RecipientRole         *string `json:"recipient_role"`
	InteractionID         *string `json:"interaction_id"`
	TicketID              *string `json:"ticket_id"`
	Status                string  `json:"status"`
	RemindedAt            *string `json:"reminded_at"`
	EscalatedTo           *string `json:"escalated_to"`
	EscalatedAt           *string `json:"escalated_at"`
	AcknowledgedBy        *string `json:"acknowledged_by"`
	AcknowledgedAt        *string `json:"acknowledged_at"`
	ReceivedDuringAbsence *bool   `json:"received_during_absence"`
	CreatedAt             string  `json:"created_at"`
}

type messagePage struct {
	Items      []message `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

// appointment is the JSON of an appointment.
type appointment struct {
	ID                  string  `json:"id"`
	ContactID           string  `json:"contact_id"`
	AgentID             string  `json:"agent_id"`
	StartsAt            string  `json:"starts_at"`
	EndsAt              string  `json:"ends_at"`
	Reason              string  `json:"reason"`
	TicketID            *string `json:"ticket_id"`
	Status              string  `json:"status"`
	PreparedBy          *string `json:"prepared_by"`
	PreparedAt          *string `json:"prepared_at"`
	OutsideOpeningHours bool    `json:"outside_opening_hours"`
	Version             int     `json:"version"`
}

func (a appointment) etag() string { return fmt.Sprintf(`"%d"`, a.Version) }

type appointmentPage struct {
	Items      []appointment `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

func postMessage(t *testing.T, env *apitest.Env, token string, body map[string]any) message {
	t.Helper()
	var m message
	env.Post(token, "/messages", body).Expect(t, http.StatusCreated).JSON(t, &m)
	return m
}

// messageFor is a message from a caller to the agent or role to.
func messageFor(to map[string]any, reason string) map[string]any {
	body := map[string]any{"from": map[string]any{"name": "Jean GRONDIN", "structure": "SCI Les Lataniers", "phone": "0692 12 34 56"},
		"reason": reason}
	for k, v := range to {
		body[k] = v
	}
	return body
}

func listMessages(t *testing.T, env *apitest.Env, token, query string) []message {
	t.Helper()
	var p messagePage
	env.Get(token, "/messages?"+query).Expect(t, http.StatusOK).JSON(t, &p)
	return p.Items
}

func postAppointment(env *apitest.Env, token string, body map[string]any) *apitest.Response {
	return env.Post(token, "/appointments", body)
}

// paris parses a Paris wall-clock time such as "2026-11-23 10:00".
func parisTime(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// countRows counts the rows of table matching where, straight from the
// database, to check that a refused request wrote nothing.
func countRows(t *testing.T, env *apitest.Env, table, where string, args ...any) int {
	t.Helper()
	q := env.Main.DB.Reader().NewSelect().TableExpr(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// notificationsOf returns the agent's notifications of kind.
func notificationsOf(t *testing.T, env *apitest.Env, token, kind string) []agentNotification {
	t.Helper()
	var out []agentNotification
	for _, n := range myNotifications(t, env, token) {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// equalJSON compares two values through their JSON encoding.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}
