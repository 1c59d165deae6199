// Package apitest starts a whole Guichet (database, River, HTTP on a real
// loopback port) for end-to-end tests, with a controllable clock.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/testclock"
	"github.com/guichet/guichet/internal/testdb"
)

// AdminPassword is the first admin's password in every test server.
const AdminPassword = "admin-password-for-tests"

// Env is one running server.
type Env struct {
	t       testing.TB
	Main    *app.Main
	URL     string
	Clock   *testclock.Clock
	Backend testdb.Backend
	// Admin is an access token of the first admin.
	Admin string
	http  *http.Client
}

// Start runs a server on a fresh database of backend b. tweak, when given,
// adjusts the configuration first.
func Start(t testing.TB, b testdb.Backend, tweak ...func(*config.Config)) *Env {
	t.Helper()
	cfg := b.Config(t)
	cfg.AdminPassword = AdminPassword
	// Tests that need IMAP IDLE run their own watcher, with a short refresh.
	cfg.IMAPIdle = false
	for _, f := range tweak {
		f(&cfg)
	}
	clock := testclock.New(time.Now().UTC())
	m := &app.Main{Config: cfg, Spec: api.Spec, Now: clock.Now,
		Hasher: auth.NewHasherWithParams(4, 64, 1), Log: app.NewLogger(&cfg, logOutput())}
	ctx := context.Background()
	if err := m.Open(ctx, false); err != nil {
		m.Close()
		t.Fatalf("open: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, ln); err != nil {
		m.Close()
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Logf("close: %v", err)
		}
	})
	e := &Env{t: t, Main: m, URL: "http://" + ln.Addr().String(), Clock: clock, Backend: b,
		http: &http.Client{Timeout: 30 * time.Second}}
	e.Admin = e.Login("admin", AdminPassword).AccessToken
	return e
}

// Response is an HTTP response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Problem is the RFC 9457 body of an error.
type Problem struct {
	Type          string `json:"type"`
	Title         string `json:"title"`
	Status        int    `json:"status"`
	Detail        string `json:"detail"`
	CorrelationID string `json:"correlation_id"`
	Resource      string `json:"resource"`
	Errors        []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	Duplicates []struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		MatchedOn []string `json:"matched_on"`
	} `json:"duplicates"`
}

// Problem decodes the body as a problem, checking its content type.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	if p.Status != r.Status {
		t.Fatalf("problem status %d, response status %d", p.Status, r.Status)
	}
	return p
}

// Req is a request to send.
type Req struct {
	Method, Path string
	Token        string
	// Body is JSON-encoded unless it is a string or []byte, sent as is.
	Body    any
	Headers map[string]string
}

// Do sends a request and reads the response.
func (e *Env) Do(r Req) *Response {
	e.t.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(r.Method, e.URL+r.Path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Get, Post, Patch and Delete are shorthands for Do.
func (e *Env) Get(token, path string) *Response {
	e.t.Helper()
	return e.Do(Req{Method: http.MethodGet, Path: path, Token: token})
}

func (e *Env) Post(token, path string, body any) *Response {
	e.t.Helper()
	return e.Do(Req{Method: http.MethodPost, Path: path, Token: token, Body: body})
}

func (e *Env) Patch(token, path, ifMatch string, body any) *Response {
	e.t.Helper()
	h := map[string]string{}
	if ifMatch != "" {
		h["If-Match"] = ifMatch
	}
	return e.Do(Req{Method: http.MethodPatch, Path: path, Token: token, Body: body, Headers: h})
}

func (e *Env) Delete(token, path, ifMatch string) *Response {
	e.t.Helper()
	h := map[string]string{}
	if ifMatch != "" {
		h["If-Match"] = ifMatch
	}
	return e.Do(Req{Method: http.MethodDelete, Path: path, Token: token, Headers: h})
}

// Tokens is the body of /auth/token and /auth/refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// Login logs in, failing the test unless it succeeds.
func (e *Env) Login(username, password string) Tokens {
	e.t.Helper()
	r := e.Post("", "/auth/token", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	var tk Tokens
	r.JSON(e.t, &tk)
	return tk
}

// Agent creates an agent with roles (password "password-<username>") and
// returns its id and an access token.
func (e *Env) Agent(username string, roles ...string) (id, token string) {
	e.t.Helper()
	pw := "password-" + username
	r := e.Post(e.Admin, "/agents", map[string]any{"username": username, "display_name": username, "roles": roles, "password": pw})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create agent %s: %d %s", username, r.Status, r.Body)
	}
	return fmt.Sprint(r.Map(e.t)["id"]), e.Login(username, pw).AccessToken
}

// APIToken creates an API token for the holder of session token.
func (e *Env) APIToken(session string, scopes ...string) (id, secret string) {
	e.t.Helper()
	r := e.Post(session, "/api-tokens", map[string]any{"name": "test", "scopes": scopes})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create api token: %d %s", r.Status, r.Body)
	}
	m := r.Map(e.t)
	return fmt.Sprint(m["id"]), fmt.Sprint(m["token"])
}

// Expect fails the test unless the response has status want.
func (r *Response) Expect(t testing.TB, want int) *Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body %s", r.Status, want, r.Body)
	}
	return r
}

// logOutput shows the servers' logs when GUICHET_TEST_LOG is set.
func logOutput() io.Writer {
	if os.Getenv("GUICHET_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
