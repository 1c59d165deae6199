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

// createAPIToken returns the secret of a new contacts read/write API token
// (c.token must be an access token).
func (c *apiClient) createAPIToken(ctx context.Context) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	body := map[string]any{"name": "guichet-bench", "scopes": []string{"contacts:read", "contacts:write"}}
	if err := c.do(ctx, http.MethodPost, "/api-tokens", body, http.StatusCreated, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// contact is the body of POST /contacts.
type contact struct {
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Email          string `json:"email,omitempty"`
	Phone          string `json:"phone,omitempty"`
	Individual     bool   `json:"individual"`
	AllowDuplicate bool   `json:"allow_duplicate"`
}

// createContact expects 201.
func (c *apiClient) createContact(ctx context.Context, ct contact) error {
	return c.do(ctx, http.MethodPost, "/contacts", ct, http.StatusCreated, nil)
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

// do sends body as JSON and decodes the answer into out (when not nil). A
// status other than want is a *statusError. Errors name the path without
// its query so that they group well in reports.
func (c *apiClient) do(ctx context.Context, method, path string, body any, want int, out any) error {
	route, _, _ := strings.Cut(path, "?")
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
