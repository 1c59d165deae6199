package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// requestTimeout bounds every request of the benchmark.
const requestTimeout = 10 * time.Second

// apiClient calls one Guichet server over loopback TCP.
type apiClient struct {
	base  string // http://127.0.0.1:port
	http  *http.Client
	token string // Authorization bearer
}

// newAPIClient returns a client keeping enough idle connections for every
// worker, that refuses to dial anything but 127.0.0.1.
func newAPIClient(base string) *apiClient {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
				return nil, fmt.Errorf("benchmark only targets 127.0.0.1, not %q", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

// Close drops the idle connections.
func (c *apiClient) Close() { c.http.CloseIdleConnections() }

// login returns an access token for the agent.
func (c *apiClient) login(ctx context.Context, username, password string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	body := map[string]string{"username": username, "password": password}
	if err := c.do(ctx, http.MethodPost, "/auth/token", body, http.StatusOK, &out); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

// Scopes of the benchmark's API tokens: the admin's, which creates the
// contacts, tickets, reception agents and mailboxes, and the reception
// agents'.
var (
	adminScopes = []string{"contacts:read", "contacts:write", "tickets:read", "tickets:write", "agents:read",
		"agents:write", "reception:read", "reception:write", "mailboxes:read", "mailboxes:write"}
	receptionScopes = []string{"contacts:read", "reception:read", "reception:write"}
)

// createAPIToken returns the secret of a new API token with the scopes
// (c.token must be an access token).
func (c *apiClient) createAPIToken(ctx context.Context, scopes []string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	body := map[string]any{"name": "guichet-bench", "scopes": scopes}
	if err := c.do(ctx, http.MethodPost, "/api-tokens", body, http.StatusCreated, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// as returns a client sending token, sharing c's connections.
func (c *apiClient) as(token string) *apiClient {
	return &apiClient{base: c.base, http: c.http, token: token}
}

// contact is the body of POST /contacts, and the id it was given.
type contact struct {
	ID             string `json:"-"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Email          string `json:"email,omitempty"`
	Phone          string `json:"phone,omitempty"`
	Individual     bool   `json:"individual"`
	AllowDuplicate bool   `json:"allow_duplicate"`
}

// createContact expects 201 and returns the contact's id.
func (c *apiClient) createContact(ctx context.Context, ct contact) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, "/contacts", ct, http.StatusCreated, &out)
	return out.ID, err
}

// listContacts fetches the first page of 20 contacts matching q (all when
// q is empty) and returns how many it got.
func (c *apiClient) listContacts(ctx context.Context, q string) (int, error) {
	path := "/contacts?limit=20"
	if q != "" {
		path += "&q=" + url.QueryEscape(q)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, path, nil, http.StatusOK, &page)
	return len(page.Items), err
}

// listAgents returns the first page of 200 active agents.
func (c *apiClient) listAgents(ctx context.Context) ([]agent, error) {
	var page struct {
		Items []agent `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, "/agents?active=true&limit=200", nil, http.StatusOK, &page)
	return page.Items, err
}

type agent struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// ticketCreate is the body of POST /tickets.
type ticketCreate struct {
	Subject       string `json:"subject"`
	Description   string `json:"description,omitempty"`
	Channel       string `json:"channel"`
	Category      string `json:"category"`
	Urgency       string `json:"urgency,omitempty"`
	FileReference string `json:"file_reference,omitempty"`
	AssigneeID    string `json:"assignee_id,omitempty"`
	ContactID     string `json:"contact_id,omitempty"`
}

// ticket is what the benchmark reads of a ticket.
type ticket struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Category string `json:"category"`
	State    string `json:"state"`
	Version  int    `json:"version"`
}

// createTicket expects 201.
func (c *apiClient) createTicket(ctx context.Context, t ticketCreate) (ticket, error) {
	var out ticket
	err := c.do(ctx, http.MethodPost, "/tickets", t, http.StatusCreated, &out)
	return out, err
}

// applyTransition applies a transition without inputs to the ticket at
// version (If-Match) and returns the ticket after it.
func (c *apiClient) applyTransition(ctx context.Context, id string, version int, name string) (ticket, error) {
	var out ticket
	body := map[string]string{"transition": name}
	h := http.Header{"If-Match": {fmt.Sprintf("%q", strconv.Itoa(version))}}
	err := c.send(ctx, http.MethodPost, "/tickets/"+id+"/transitions", h, body, http.StatusOK, &out)
	return out, err
}

// ticketPage is a page of GET /tickets.
type ticketPage struct {
	Items      []ticket `json:"items"`
	NextCursor *string  `json:"next_cursor"`
}

// listTickets fetches GET /tickets?query (query is already encoded).
func (c *apiClient) listTickets(ctx context.Context, query string) (ticketPage, error) {
	var page ticketPage
	err := c.do(ctx, http.MethodGet, "/tickets?"+query, nil, http.StatusOK, &page)
	return page, err
}

// agentCreate is the body of POST /agents.
type agentCreate struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	Password    string   `json:"password"`
}

// createAgent expects 201 and returns the agent's id.
func (c *apiClient) createAgent(ctx context.Context, a agentCreate) (string, error) {
	var out agent
	err := c.do(ctx, http.MethodPost, "/agents", a, http.StatusCreated, &out)
	return out.ID, err
}

// identity is who called or left a message, as they said it.
type identity struct {
	Name      string `json:"name"`
	Structure string `json:"structure,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
}

// callCreate is the body of POST /calls.
type callCreate struct {
	ContactID string   `json:"contact_id,omitempty"`
	Identity  identity `json:"identity"`
	Reason    string   `json:"reason"`
	Outcome   string   `json:"outcome"`
}

// createCall expects 201 and returns the id of the call's contact: the
// one named, or the unidentified contact it created.
func (c *apiClient) createCall(ctx context.Context, call callCreate) (string, error) {
	var out struct {
		ContactID *string `json:"contact_id"`
	}
	err := c.do(ctx, http.MethodPost, "/calls", call, http.StatusCreated, &out)
	if out.ContactID == nil {
		return "", err
	}
	return *out.ContactID, err
}

// messageCreate is the body of POST /messages.
type messageCreate struct {
	From             identity `json:"from"`
	ContactID        string   `json:"contact_id,omitempty"`
	Reason           string   `json:"reason"`
	Urgency          string   `json:"urgency,omitempty"`
	RecipientAgentID string   `json:"recipient_agent_id"`
}

// createMessage expects 201 and returns the message's id.
func (c *apiClient) createMessage(ctx context.Context, m messageCreate) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, "/messages", m, http.StatusCreated, &out)
	return out.ID, err
}

// acknowledgeMessage expects 200.
func (c *apiClient) acknowledgeMessage(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/messages/"+id+"/acknowledgement", nil, http.StatusOK, nil)
}

// do sends body as JSON and decodes the answer into out (when not nil). A
// status other than want is a *statusError. Errors name the path without
// its query so that they group well in reports.
func (c *apiClient) do(ctx context.Context, method, path string, body any, want int, out any) error {
	return c.send(ctx, method, path, nil, body, want, out)
}

// send is do with extra request headers. Errors name the route with ids
// left out (/tickets/{id}/transitions), so that they group well.
func (c *apiClient) send(ctx context.Context, method, path string, header http.Header, body any, want int, out any) error {
	route, _, _ := strings.Cut(path, "?")
	route = routePattern(route)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, route, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, route, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the full URL
		}
		return fmt.Errorf("%s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return newStatusError(method, route, resp)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body) // lets the connection be reused
	} else {
		err = json.NewDecoder(resp.Body).Decode(out)
	}
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, route, err)
	}
	return nil
}

// statusError is an answer with an unexpected status.
type statusError struct {
	Method, Route string
	Status        int
	Title         string   // the problem's title, when the body is problem+json
	Fields        []string // the fields its errors name
}

func newStatusError(method, route string, resp *http.Response) *statusError {
	var problem struct {
		Title  string `json:"title"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &problem)
	e := &statusError{Method: method, Route: route, Status: resp.StatusCode, Title: problem.Title}
	for _, fe := range problem.Errors {
		e.Fields = append(e.Fields, fe.Field)
	}
	return e
}

// Error leaves out the problem's detail: it may name ids, and reports group
// errors by message.
func (e *statusError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Route, e.Status)
	if e.Title != "" {
		msg += " " + e.Title
	}
	if len(e.Fields) > 0 {
		msg += " (" + strings.Join(e.Fields, ", ") + ")"
	}
	return msg
}

// routePattern replaces the ids in a path by {id}.
func routePattern(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if len(p) == 36 && strings.Count(p, "-") == 4 {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}
