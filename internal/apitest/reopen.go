package apitest

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/auth"
)

// Reopen restarts the server: it closes this one and starts a new process
// state (store, River, HTTP) on the same database, configuration and
// clock. What must survive a restart lives in the database.
func (e *Env) Reopen() *Env {
	e.t.Helper()
	cfg := e.Main.Config
	if err := e.Main.Close(); err != nil {
		e.t.Logf("close before reopening: %v", err)
	}
	m := &app.Main{Config: cfg, Spec: api.Spec, Now: e.Clock.Now,
		Hasher: auth.NewHasherWithParams(4, 64, 1), Log: app.NewLogger(&cfg, logOutput())}
	ctx := context.Background()
	if err := m.Open(ctx, false); err != nil {
		m.Close()
		e.t.Fatalf("reopen: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := m.Start(ctx, ln); err != nil {
		m.Close()
		e.t.Fatalf("restart: %v", err)
	}
	e.t.Cleanup(func() {
		if err := m.Close(); err != nil {
			e.t.Logf("close: %v", err)
		}
	})
	n := &Env{t: e.t, Main: m, URL: "http://" + ln.Addr().String(), Clock: e.Clock, Backend: e.Backend,
		http: &http.Client{Timeout: 30 * time.Second}}
	n.Admin = n.Login("admin", AdminPassword).AccessToken
	return n
}
