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
	return withSeedAgents(fs.Args(), *agents, func(ctx context.Context, m *app.Main, ids []string) error {
		opts.Assignees = ids
		opts.Progress = progress("seed-tickets", opts.N, time.Now())
		res, err := seed.Tickets(ctx, m.Store, opts)
		if err != nil {
			return err
		}
		fmt.Printf("seeded %d tickets, %s to %s (%d open, %d open clocks), in %.1f s: %.0f tickets/s\n",
			res.Tickets, res.First, res.Last, res.Open, res.Clocks, res.Took.Seconds(), float64(res.Tickets)/res.Took.Seconds())
		return nil
	})
}

// seedCalls runs the hidden command `guichet seed-calls [-n N] [flags]
// [-- settings]`, for benchmarks: as seed-tickets, then N calls of the
// last year in the book of calls, naming contacts it creates first.
func seedCalls(args []string) error {
	fs := flag.NewFlagSet("guichet seed-calls", flag.ContinueOnError)
	opts := seed.CallOptions{}
	fs.IntVar(&opts.N, "n", 100_000, "calls to write")
	agents := fs.Int("agents", 20, "agents who took them (seed-agent-NN, created when missing)")
	fs.IntVar(&opts.Contacts, "contacts", 1000, "contacts to create first, whom the calls name")
	fs.IntVar(&opts.Batch, "batch", 0, "calls per transaction (0: the default, 2000)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the generated texts and draws")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withSeedAgents(fs.Args(), *agents, func(ctx context.Context, m *app.Main, ids []string) error {
		opts.Agents, opts.Supervisors = ids, seed.Supervisors(ids)
		opts.Progress = progress("seed-calls", opts.N, time.Now())
		res, err := seed.Calls(ctx, m.Store, opts)
		if err != nil {
			return err
		}
		fmt.Printf("seeded %d calls naming %d new contacts (%d to confirm in writing), in %.1f s: %.0f calls/s\n",
			res.Calls, res.Contacts, res.Unconfirmed, res.Took.Seconds(), float64(res.Calls)/res.Took.Seconds())
		return nil
	})
}

// withSeedAgents loads the settings from args, migrates the database,
// creates the first admin as a first start would and n seed agents, then
// runs seed with their ids.
func withSeedAgents(args []string, n int, seedFn func(context.Context, *app.Main, []string) error) error {
	cfg, err := config.Load(args, os.Getenv, os.Stderr)
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
	ids, err := seed.Agents(ctx, m.Store, n)
	if err != nil {
		return err
	}
	return seedFn(ctx, m, ids)
}

// progress prints a line at every tenth of n.
func progress(command string, n int, start time.Time) func(done int) {
	printed := 0
	return func(done int) {
		if tenth := done * 10 / n; tenth > printed && done < n {
			printed = tenth
			fmt.Printf("%s: %d/%d in %.1f s\n", command, done, n, time.Since(start).Seconds())
		}
	}
}
