package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// backendResult is everything measured on one database.
type backendResult struct {
	Backend      string            `json:"backend"`
	Error        string            `json:"error,omitempty"`    // why the run stopped early
	Database     string            `json:"database,omitempty"` // the scratch PostgreSQL database
	StartupMs    float64           `json:"startup_ms"`
	Create1      *phase            `json:"create_1,omitempty"`
	Create16     *phase            `json:"create_16,omitempty"`
	Seed         *phase            `json:"seed,omitempty"`
	Contacts     int               `json:"contacts"` // created in all, warm-ups included
	Search       *phase            `json:"search,omitempty"`
	SearchByKind map[string]*phase `json:"search_by_kind,omitempty"`
	List         *phase            `json:"list,omitempty"`

	TicketSeed         *bulkSeed         `json:"ticket_seed,omitempty"`
	TicketCreate1      *phase            `json:"ticket_create_1,omitempty"`
	TicketCreate16     *phase            `json:"ticket_create_16,omitempty"`
	TicketsCreated     int               `json:"tickets_created"` // over HTTP, warm-ups included
	Transition         *phase            `json:"transition,omitempty"`
	TransitionByKind   map[string]*phase `json:"transition_by_kind,omitempty"`
	TicketList         *phase            `json:"ticket_list,omitempty"`
	TicketListByKind   map[string]*phase `json:"ticket_list_by_kind,omitempty"`
	TicketSearch       *phase            `json:"ticket_search,omitempty"`
	TicketSearchByKind map[string]*phase `json:"ticket_search_by_kind,omitempty"`

	CallSeed           *bulkSeed         `json:"call_seed,omitempty"`
	ExportRecent       *bookExport       `json:"export_recent,omitempty"` // the last 30 days of the book of calls
	Export             *bookExport       `json:"export,omitempty"`        // the whole book of calls
	CallCreate1        *phase            `json:"call_create_1,omitempty"`
	CallCreate16       *phase            `json:"call_create_16,omitempty"`
	CallCreate16ByKind map[string]*phase `json:"call_create_16_by_kind,omitempty"`
	CallsLogged        int               `json:"calls_logged"` // over HTTP, warm-ups included
	MessageCreate      *phase            `json:"message_create,omitempty"`
	Acknowledge        *phase            `json:"acknowledge,omitempty"`

	Ingest    *ingestResult    `json:"ingest,omitempty"`
	FetchOnce *fetchOnceResult `json:"fetch_once,omitempty"`

	PeakRSSMB     float64 `json:"peak_rss_mb"`
	RSSMB         float64 `json:"rss_mb"`
	ShutdownMs    float64 `json:"shutdown_ms"`
	ShutdownError string  `json:"shutdown_error,omitempty"`
	ServerLog     string  `json:"server_log"`
}

// benchBackend starts a server on a fresh database of the backend, measures
// it, reads its memory and stops it. The error is a setup failure (the
// database, the server, logging in) or an interruption; what was measured
// before it is in the result.
func benchBackend(ctx context.Context, opts options, bin, dir, backend string, out io.Writer) (res backendResult, err error) {
	res.Backend = backend
	res.ServerLog = filepath.Join(dir, "server.log")
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return res, err
	}
	password := "bench-" + randomHex(12)
	env := []string{"GUICHET_DATA_DIR=" + dataDir, "GUICHET_ADMIN_PASSWORD=" + password, "GUICHET_LOG_LEVEL=warn"}
	var refreshStats, vacuum func(context.Context) error
	if backend == "postgres" {
		db, err := createDatabase(ctx, opts.postgresURL)
		if err != nil {
			return res, err
		}
		res.Database = db.Name
		defer func() {
			err = errors.Join(err, db.Release(!opts.keep))
			if opts.keep {
				progress(out, backend, "kept database %s; DROP DATABASE %[1]s WITH (FORCE) when done", db.Name)
			}
		}()
		env = append(env, "GUICHET_DATABASE_URL="+db.URL, "GUICHET_SECRET_KEY="+newSecretKey())
		refreshStats, vacuum = db.Analyze, db.VacuumAnalyze
	}

	if err := seedAll(ctx, opts, bin, dir, env, vacuum, &res, progressTo(out, backend)); err != nil {
		return res, err
	}
	srv, err := startServer(ctx, bin, res.ServerLog, env)
	if err != nil {
		return res, err
	}
	res.StartupMs = ms(srv.Startup)
	progress(out, backend, "ready in %.0f ms", res.StartupMs)
	defer func() {
		if mem, err := srv.Memory(); err != nil {
			progress(out, backend, "%v", err)
		} else {
			res.PeakRSSMB, res.RSSMB = mb(mem.Peak), mb(mem.Current)
		}
		sd := srv.Stop()
		res.ShutdownMs = ms(sd.Took)
		if sd.Err != nil {
			res.ShutdownError = sd.Err.Error()
			progress(out, backend, "shutdown: %s", res.ShutdownError)
		}
	}()
	err = measure(ctx, opts, srv, password, refreshStats, &res, out)
	return res, err
}

// seedAll bulk seeds the calls, then the tickets, of the phase groups to
// run, before the server starts; vacuum, when not nil, runs after the
// last load.
func seedAll(ctx context.Context, opts options, bin, dir string, env []string, vacuum func(context.Context) error,
	res *backendResult, log func(string, ...any)) error {
	type load struct {
		command string
		n       int
		dst     **bulkSeed
	}
	var loads []load
	if opts.phases["reception"] && opts.calls > 0 {
		loads = append(loads, load{"seed-calls", opts.calls, &res.CallSeed})
	}
	if opts.phases["tickets"] && opts.tickets > 0 {
		loads = append(loads, load{"seed-tickets", opts.tickets, &res.TicketSeed})
	}
	for i, l := range loads {
		after := vacuum
		if i < len(loads)-1 {
			after = nil
		}
		var err error
		if *l.dst, err = seedBulk(ctx, opts, bin, dir, env, l.command, l.n, after, log); err != nil {
			return err
		}
	}
	return nil
}

// measure runs the phases in order. refreshStats, when not nil, runs after
// the bulk seeding: PostgreSQL's planner needs statistics, which
// autovacuum would gather within minutes of such a load.
func measure(ctx context.Context, opts options, srv *server, password string, refreshStats func(context.Context) error,
	res *backendResult, out io.Writer) error {
	api := newAPIClient(srv.url)
	defer api.Close()
	if err := authenticate(ctx, api, password); err != nil {
		return err
	}
	r := newPhaseRunner(opts, api)
	var steps []step
	if opts.phases["contacts"] {
		steps = append(steps, contactSteps(ctx, r, res)...)
	}
	if opts.phases["tickets"] {
		tr, err := newTicketRunner(ctx, r, progressTo(out, res.Backend))
		if err != nil {
			return err
		}
		defer func() { res.TicketsCreated = int(tr.created.Load()) }()
		steps = append(steps, ticketSteps(ctx, tr, res)...)
	}
	if opts.phases["reception"] {
		rr := newReceptionRunner(r, srv, progressTo(out, res.Backend))
		defer func() { res.CallsLogged = int(rr.calls.Load()) }()
		steps = append(steps, receptionSteps(ctx, rr, res)...)
	}
	if opts.phases["ingest"] {
		ir, err := newIngestRunner(opts, api, srv, progressTo(out, res.Backend))
		if err != nil {
			return err
		}
		defer ir.Close()
		steps = append(steps, ingestSteps(ctx, ir, res)...)
	}
	for _, s := range steps {
		p := s.run()
		res.Contacts = int(r.created.Load())
		if st, ok := p.(setup); ok && st.err != nil {
			return fmt.Errorf("%s: %w", s.label, st.err)
		}
		progress(out, res.Backend, "%-11s %s", s.label, p.summary())
		if err := stillUp(ctx, srv); err != nil {
			return fmt.Errorf("after %s: %w", s.label, err)
		}
		if s.label == "seed" && refreshStats != nil {
			if err := refreshStats(ctx); err != nil {
				return fmt.Errorf("refresh statistics: %w", err)
			}
			progress(out, res.Backend, "statistics refreshed (ANALYZE) after the bulk load")
		}
	}
	return nil
}

// step is a measured phase; run stores its results and returns what to
// show.
type step struct {
	label string
	run   func() summarizer
}

// summarizer is a phase's result, for progress: a *phase, a *bookExport
// or a setup.
type summarizer interface{ summary() string }

// setup is what an untimed step did to set up the next ones; its error
// ends the run.
type setup struct {
	done string
	err  error
}

func (s setup) summary() string { return s.done }

func contactSteps(ctx context.Context, r *phaseRunner, res *backendResult) []step {
	return []step{
		{"create @1", func() summarizer { res.Create1 = r.create(ctx, 1); return res.Create1 }},
		{"create @16", func() summarizer { res.Create16 = r.create(ctx, loadClients); return res.Create16 }},
		{"seed", func() summarizer { res.Seed = r.seed(ctx); return res.Seed }},
		{"search", func() summarizer { res.Search, res.SearchByKind = r.search(ctx); return res.Search }},
		{"list", func() summarizer { res.List = r.list(ctx); return res.List }},
	}
}

func ticketSteps(ctx context.Context, tr *ticketRunner, res *backendResult) []step {
	return []step{
		{"tickets @1", func() summarizer { res.TicketCreate1 = tr.create(ctx, 1); return res.TicketCreate1 }},
		{"tickets @16", func() summarizer { res.TicketCreate16 = tr.create(ctx, loadClients); return res.TicketCreate16 }},
		{"transition", func() summarizer {
			res.Transition, res.TransitionByKind = tr.transition(ctx, rateOf(res.TicketCreate16))
			return res.Transition
		}},
		{"t. list", func() summarizer { res.TicketList, res.TicketListByKind = tr.list(ctx); return res.TicketList }},
		{"t. search", func() summarizer { res.TicketSearch, res.TicketSearchByKind = tr.search(ctx); return res.TicketSearch }},
	}
}

// receptionSteps export the book of calls first, while it holds the bulk
// seeded calls alone (the whole book is expected): an untimed export of
// the last day, then the last 30 days, then the whole book (RSS growing
// with the period would mean the export is not streamed), all before the
// reception agents log in, whose password hashes would blur the server's
// memory.
func receptionSteps(ctx context.Context, rr *receptionRunner, res *backendResult) []step {
	book := func() int { // the rows expected: seeded, and logged over HTTP
		n := int(rr.calls.Load())
		if res.CallSeed != nil {
			n += res.CallSeed.Rows
		}
		return n
	}
	return []step{
		{"export 30d", func() summarizer {
			rr.warmExport(ctx)
			res.ExportRecent = rr.exportCalls(ctx, true, -1)
			return res.ExportRecent
		}},
		{"export", func() summarizer { res.Export = rr.exportCalls(ctx, false, book()); return res.Export }},
		{"agents", func() summarizer { return rr.addAgents(ctx) }},
		{"calls @1", func() summarizer { res.CallCreate1, _ = rr.logCalls(ctx, 1); return res.CallCreate1 }},
		{"calls @16", func() summarizer {
			res.CallCreate16, res.CallCreate16ByKind = rr.logCalls(ctx, loadClients)
			return res.CallCreate16
		}},
		{"messages", func() summarizer { res.MessageCreate = rr.takeMessages(ctx); return res.MessageCreate }},
		{"acks @16", func() summarizer { res.Acknowledge = rr.acknowledge(ctx); return res.Acknowledge }},
	}
}

// authenticate logs in as the admin and switches api to a new API token,
// as a script would.
func authenticate(ctx context.Context, api *apiClient, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	access, err := api.login(ctx, "admin", password)
	if err != nil {
		return fmt.Errorf("log in as admin: %w", err)
	}
	api.token = access
	token, err := api.createAPIToken(ctx, adminScopes)
	if err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	api.token = token
	return nil
}

// stillUp fails when the benchmark was interrupted or the server died.
func stillUp(ctx context.Context, srv *server) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	if exited, err := srv.Exited(); exited {
		return fmt.Errorf("server exited (%v); log:\n%s", err, tail(srv.logPath, 20))
	}
	return nil
}

func progress(out io.Writer, backend, format string, args ...any) {
	fmt.Fprintf(out, "  [%s] %s\n", backend, fmt.Sprintf(format, args...))
}

// progressTo returns progress bound to out and backend.
func progressTo(out io.Writer, backend string) func(format string, args ...any) {
	return func(format string, args ...any) { progress(out, backend, format, args...) }
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }
