package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/seed"
)

// seedTickets runs the hidden command `guichet seed-tickets [-n N] [flags]
// [-- settings]`, for benchmarks (cmd/guichet-bench): it migrates the
// configured database, creates the first admin as a first start would,
// then seed agents, and writes N synthetic tickets straight into the
// database (internal/seed). Run it while no server uses the database.
func seedTickets(args []string) error {
	fs := flag.NewFlagSet("guichet seed-tickets", flag.ContinueOnError)
	opts := seed.Options{}
	fs.IntVar(&opts.N, "n", 1_000_000, "tickets to write")
	agents := fs.Int("agents", 20, "agents to assign them to (seed-agent-NN, created when missing)")
	fs.IntVar(&opts.Batch, "batch", 0, "tickets per transaction (0: the default, 2000)")
	fs.IntVar(&opts.Workers, "workers", 0, "batches built and written concurrently (0: the default, 2)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the generated texts and draws")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(fs.Args(), os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &app.Main{Config: cfg, Spec: api.Spec, Out: os.Stdout}
	defer m.Close()
	if err := m.Open(ctx, true); err != nil {
		return err
	}
	// The server creates the first admin only in an empty agents table.
	generated, err := m.Store.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	if generated != "" {
		fmt.Printf("First start: created agent \"admin\" with password %s (shown once; change it).\n", generated)
	}
	if opts.Assignees, err = seed.Agents(ctx, m.Store, *agents); err != nil {
		return err
	}
	opts.Progress = progress(opts.N, time.Now())
	res, err := seed.Tickets(ctx, m.Store, opts)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d tickets, %s to %s (%d open, %d open clocks), in %.1f s: %.0f tickets/s\n",
		res.Tickets, res.First, res.Last, res.Open, res.Clocks, res.Took.Seconds(), float64(res.Tickets)/res.Took.Seconds())
	return nil
}

// progress prints a line at every tenth of n.
func progress(n int, start time.Time) func(done int) {
	printed := 0
	return func(done int) {
		if tenth := done * 10 / n; tenth > printed && done < n {
			printed = tenth
			fmt.Printf("seed-tickets: %d/%d in %.1f s\n", done, n, time.Since(start).Seconds())
		}
	}
}
