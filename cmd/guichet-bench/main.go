// Command guichet-bench measures a Guichet server the way DESIGN.md's
// quality bars are stated: it builds cmd/guichet, runs it as its own process
// on SQLite (and on PostgreSQL when GUICHET_TEST_DATABASE_URL is set), and
// loads it over loopback TCP — contact creation at 1 and 16 clients,
// seeding, search and list latency; ticket creation at 1 and 16 clients,
// transitions, filtered lists and full-text search on a database bulk
// seeded with a million tickets before the server starts (the hidden
// command `guichet seed-tickets`); the reception: the CSV export of a book
// of 100,000 calls bulk seeded before the server starts (`guichet
// seed-calls`) with the server's memory sampled while it streams, call
// logging at 1 and 16 clients, messages taken then acknowledged by their
// recipients at 16 clients; mail ingestion: mail appended to an IMAP
// server in this process, fetched by the server into threaded tickets
// (mails per second, the server's memory sampled meanwhile), then by
// `guichet fetch-once` in a process of its own; start-up time, peak RSS.
//
// It reports and does not judge: it exits non-zero only when it could not
// set up or run a server, never because a number is slow.
//
//	go run ./cmd/guichet-bench -duration 3s -contacts 20000 -tickets 100000
//	go run ./cmd/guichet-bench -phases tickets -backends postgres
//	go run ./cmd/guichet-bench -phases reception -calls 20000 -messages 2000
//	go run ./cmd/guichet-bench -phases ingest -mails 10000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// envPostgres names the PostgreSQL server to create a scratch database on.
const envPostgres = "GUICHET_TEST_DATABASE_URL"

// phaseGroups are the groups of phases, in the order they run.
var phaseGroups = []string{"contacts", "tickets", "reception", "ingest"}

type options struct {
	duration       time.Duration // each measured window
	warmup         time.Duration // before each window
	seedTimeout    time.Duration
	contacts       int
	tickets        int             // bulk seeded before the server starts
	calls          int             // bulk seeded before the server starts, then exported
	messages       int             // taken then acknowledged
	mails          int             // ingested by the server from an IMAP server in this process
	fetchOnceMails int             // ingested by `guichet fetch-once`, in a process of its own
	phases         map[string]bool // phase groups to run: contacts, tickets, reception, ingest
	backends       []string
	postgresURL    string
	keep           bool
	jsonPath       string // "" means bench-results.json in the work directory
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "guichet-bench:", err)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string) (options, error) {
	opts := options{postgresURL: getenv(envPostgres)}
	fs := flag.NewFlagSet("guichet-bench", flag.ContinueOnError)
	fs.DurationVar(&opts.duration, "duration", 10*time.Second, "measured duration of each load phase")
	fs.DurationVar(&opts.warmup, "warmup", time.Second, "warm-up before each load phase")
	fs.DurationVar(&opts.seedTimeout, "seed-timeout", 15*time.Minute, "longest time spent seeding contacts, tickets or calls, or taking or acknowledging messages")
	fs.IntVar(&opts.contacts, "contacts", 100_000, "contacts in the database before searching")
	fs.IntVar(&opts.tickets, "tickets", 1_000_000, "tickets bulk seeded before the server starts (0: none)")
	fs.IntVar(&opts.calls, "calls", 100_000, "calls bulk seeded before the server starts, then exported as CSV (0: none)")
	fs.IntVar(&opts.messages, "messages", 10_000, "messages taken, then acknowledged by their recipients")
	fs.IntVar(&opts.mails, "mails", 10_000, "mails ingested by the server from an IMAP server in the benchmark")
	fs.IntVar(&opts.fetchOnceMails, "fetch-once-mails", 2_000, "mails ingested by guichet fetch-once, in a process of its own (0: none)")
	phases := fs.String("phases", strings.Join(phaseGroups, ","), "phase groups to run: "+strings.Join(phaseGroups, ", "))
	backends := fs.String("backends", "sqlite,postgres", "databases to measure; postgres needs "+envPostgres)
	fs.BoolVar(&opts.keep, "keep", false, "keep the data directories (and the PostgreSQL database)")
	fs.StringVar(&opts.jsonPath, "json", "", "write the results there (default bench-results.json in the work directory)")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if opts.duration <= 0 || opts.warmup < 0 || opts.seedTimeout <= 0 || opts.contacts < 0 || opts.tickets < 0 ||
		opts.calls < 0 || opts.messages < 0 || opts.mails < 1 || opts.fetchOnceMails < 0 {
		return opts, errors.New("-duration, -seed-timeout and -mails must be positive, -warmup, -contacts, -tickets, -calls, -messages and -fetch-once-mails not negative")
	}
	opts.phases = map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		if p = strings.TrimSpace(p); !slices.Contains(phaseGroups, p) {
			return opts, fmt.Errorf("-phases: unknown phase group %q (want %s)", p, strings.Join(phaseGroups, ", "))
		}
		opts.phases[p] = true
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "backends" })
	for _, b := range strings.Split(*backends, ",") {
		switch b = strings.TrimSpace(b); {
		case b != "sqlite" && b != "postgres":
			return opts, fmt.Errorf("-backends: unknown backend %q (want sqlite, postgres)", b)
		case b == "postgres" && opts.postgresURL == "" && explicit:
			return opts, fmt.Errorf("-backends postgres needs %s", envPostgres)
		case b == "postgres" && opts.postgresURL == "":
			fmt.Fprintf(os.Stderr, "guichet-bench: %s not set, PostgreSQL skipped\n", envPostgres)
		case !slices.Contains(opts.backends, b):
			opts.backends = append(opts.backends, b)
		}
	}
	return opts, nil
}

// run builds the server once, measures every backend in turn, prints the
// tables and writes the JSON file.
func run(ctx context.Context, args []string, out io.Writer) error {
	opts, err := parseFlags(args, os.Getenv)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "guichet-bench-")
	if err != nil {
		return err
	}
	if opts.jsonPath == "" {
		opts.jsonPath = filepath.Join(work, "bench-results.json")
	}
	fmt.Fprintf(out, "guichet-bench: building the server in %s\n", work)
	bin, err := buildServer(ctx, work)
	if err != nil {
		return err
	}
	if !opts.keep {
		defer os.Remove(bin)
	}

	results := newResults(opts)
	var failures []error
	for _, backend := range opts.backends {
		dir := filepath.Join(work, backend)
		res, err := benchBackend(ctx, opts, bin, dir, backend, out)
		if err != nil {
			res.Error = err.Error()
			failures = append(failures, fmt.Errorf("%s: %w", backend, err))
		}
		if !opts.keep {
			_ = os.RemoveAll(filepath.Join(dir, "data"))
		}
		results.Backends = append(results.Backends, res)
		printBackend(out, res)
	}
	printSummary(out, results.Backends)
	if err := writeJSON(opts.jsonPath, results); err != nil {
		failures = append(failures, err)
	} else {
		fmt.Fprintf(out, "\nresults: %s\n", opts.jsonPath)
	}
	return errors.Join(failures...)
}
