// Command guichet serves the Guichet API; `guichet migrate` applies the
// migrations and `guichet keys rotate` rotates the JWT signing key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/config"
)

const usage = `usage: guichet [command] [flags]

commands:
  serve (default)   run the API and the background jobs
  migrate           apply the database migrations and exit
  keys rotate       create a new JWT signing key; old ones verify until their tokens expire
  config            print the table of settings

Every flag also reads a GUICHET_* environment variable; run 'guichet -h'.
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "guichet:", err)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "keys" {
		if len(args) == 0 || args[0] != "rotate" {
			return errors.New("usage: guichet keys rotate [flags]")
		}
		args = args[1:]
	}
	switch cmd { // hidden: for benchmarks
	case "seed-tickets":
		return seedTickets(args)
	case "seed-calls":
		return seedCalls(args)
	}
	if cmd == "fetch-once" {
		return fetchOnce(args) // hidden: for crash tests and benchmarks
	}
	if cmd == "config" {
		fmt.Print(config.Table())
		return nil
	}
	cfg, err := config.Load(args, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &app.Main{Config: cfg, Spec: api.Spec, Out: os.Stdout}
	switch cmd {
	case "serve":
		return serve(ctx, m)
	case "migrate":
		defer m.Close()
		return m.Open(ctx, true)
	case "keys":
		defer m.Close()
		if err := m.Open(ctx, true); err != nil {
			return err
		}
		return m.Store.RotateSigningKey(ctx)
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func serve(ctx context.Context, m *app.Main) error {
	start := time.Now()
	if err := m.Open(ctx, false); err != nil {
		m.Close()
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		m.Close()
		return err
	}
	if err := m.Start(ctx, ln); err != nil {
		m.Close()
		return err
	}
	m.Log.Info("ready", "startup", time.Since(start).String())
	<-ctx.Done()
	m.Log.Info("shutting down")
	return m.Close()
}
