package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
)

// ticket is the JSON of a ticket.
type ticket struct {
	ID                      string  `json:"id"`
	Number                  string  `json:"number"`
	Subject                 string  `json:"subject"`
	Channel                 string  `json:"channel"`
	Category                string  `json:"category"`
	Level                   int     `json:"level"`
	Status                  string  `json:"status"`
	State                   string  `json:"state"`
	AssigneeID              *string `json:"assignee_id"`
	ContactID               *string `json:"contact_id"`
	FileReference           string  `json:"file_reference"`
	DueAt                   *string `json:"due_at"`
	AwaitingRegisteredReply bool    `json:"awaiting_registered_reply"`
	Procedure               struct {
		Code    string `json:"code"`
		Version string `json:"version"`
	} `json:"procedure"`
	Links []struct {
		TicketID string `json:"ticket_id"`
		Number   string `json:"number"`
		Relation string `json:"relation"`
	} `json:"links"`
	Clocks []struct {
		Kind     string  `json:"kind"`
		DueAt    *string `json:"due_at"`
		Paused   bool    `json:"paused"`
		ClosedAt *string `json:"closed_at"`
	} `json:"clocks"`
	DevTickets []struct {
		Title       string `json:"title"`
		DeveloperID string `json:"developer_id"`
		DueAt       string `json:"due_at"`
		Status      string `json:"status"`
	} `json:"dev_tickets"`
	Version int `json:"version"`
}

func (tk ticket) etag() string { return fmt.Sprintf(`"%d"`, tk.Version) }

type timelineEvent struct {
	Kind     string         `json:"kind"`
	Internal bool           `json:"internal"`
	ActorID  *string        `json:"actor_id"`
	Body     string         `json:"body"`
	Data     map[string]any `json:"data"`
}

type notification struct {
	Template string         `json:"template"`
	Data     map[string]any `json:"data"`
	Status   string         `json:"status"`
}

type agentNotification struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	TicketID *string `json:"ticket_id"`
	Message  string  `json:"message"`
	Read     bool    `json:"read"`
}

func createTicket(t *testing.T, env *apitest.Env, token string, body map[string]any) ticket {
	t.Helper()
	var tk ticket
	env.Post(token, "/tickets", body).Expect(t, http.StatusCreated).JSON(t, &tk)
	return tk
}

func getTicket(t *testing.T, env *apitest.Env, token, id string) ticket {
	t.Helper()
	var tk ticket
	env.Get(token, "/tickets/"+id).Expect(t, http.StatusOK).JSON(t, &tk)
	return tk
}

// transition applies a transition with the ticket's current ETag.
func transition(env *apitest.Env, token string, tk ticket, name string, fields map[string]any) *apitest.Response {
	body := map[string]any{"transition": name}
	if fields != nil {
		body["fields"] = fields
	}
	return env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + tk.ID + "/transitions", Token: token,
		Body: body, Headers: map[string]string{"If-Match": tk.etag()}})
}

// mustTransition applies a transition and returns the ticket after it.
func mustTransition(t *testing.T, env *apitest.Env, token string, tk ticket, name string, fields map[string]any) ticket {
	t.Helper()
	var out ticket
	transition(env, token, tk, name, fields).Expect(t, http.StatusOK).JSON(t, &out)
	return out
}

func timeline(t *testing.T, env *apitest.Env, token, id string) []timelineEvent {
	t.Helper()
	var page struct {
		Items []timelineEvent `json:"items"`
	}
	env.Get(token, "/tickets/"+id+"/timeline?limit=200").Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

func clientNotifications(t *testing.T, env *apitest.Env, token, id string) []notification {
	t.Helper()
	var page struct {
		Items []notification `json:"items"`
	}
	env.Get(token, "/tickets/"+id+"/client-notifications").Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

func myNotifications(t *testing.T, env *apitest.Env, token string) []agentNotification {
	t.Helper()
	var page struct {
		Items []agentNotification `json:"items"`
	}
	env.Get(token, "/me/notifications").Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

func availableTransitions(t *testing.T, env *apitest.Env, token, id string) []string {
	t.Helper()
	var list struct {
		Transitions []struct {
			Name string `json:"name"`
		} `json:"transitions"`
	}
	env.Get(token, "/tickets/"+id+"/transitions").Expect(t, http.StatusOK).JSON(t, &list)
	var names []string
	for _, tr := range list.Transitions {
		names = append(names, tr.Name)
	}
	return names
}

// fieldsOf returns the field names of a problem's errors.
func fieldsOf(p apitest.Problem) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}
