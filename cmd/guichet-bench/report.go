package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/guichet/guichet/internal/loadgen"
)

// results is the JSON file.
type results struct {
	StartedAt time.Time `json:"started_at"`
	Host      struct {
		CPUs      int    `json:"cpus"`
		OS        string `json:"os"`
		Arch      string `json:"arch"`
		GoVersion string `json:"go_version"`
	} `json:"host"`
	Settings struct {
		Duration    string `json:"duration"`
		Warmup      string `json:"warmup"`
		Contacts    int    `json:"contacts"`
		Tickets     int    `json:"tickets"`
		Calls       int    `json:"calls"`
		Messages    int    `json:"messages"`
		Mails       int    `json:"mails"`
		FetchOnce   int    `json:"fetch_once_mails"`
		Phases      string `json:"phases"`
		LoadClients int    `json:"load_clients"`
		SeedClients int    `json:"seed_clients"`
	} `json:"settings"`
	Backends []backendResult `json:"backends"`
}

func newResults(opts options) *results {
	r := &results{StartedAt: time.Now().UTC().Truncate(time.Second)}
	r.Host.CPUs, r.Host.OS, r.Host.Arch, r.Host.GoVersion = runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version()
	r.Settings.Duration, r.Settings.Warmup = opts.duration.String(), opts.warmup.String()
	r.Settings.Contacts, r.Settings.LoadClients, r.Settings.SeedClients = opts.contacts, loadClients, seedClients
	r.Settings.Tickets, r.Settings.Calls, r.Settings.Messages = opts.tickets, opts.calls, opts.messages
	r.Settings.Mails, r.Settings.FetchOnce = opts.mails, opts.fetchOnceMails
	for _, p := range phaseGroups {
		if opts.phases[p] {
			r.Settings.Phases = strings.TrimPrefix(r.Settings.Phases+","+p, ",")
		}
	}
	return r
}

func writeJSON(path string, r *results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// phase is one measured phase as reported.
type phase struct {
	Clients      int            `json:"clients"`
	Seconds      float64        `json:"seconds"`
	OK           int            `json:"ok"`
	Errors       int            `json:"errors"`
	PerSecond    float64        `json:"per_second"`
	P50Ms        float64        `json:"p50_ms"`
	P90Ms        float64        `json:"p90_ms"`
	P95Ms        float64        `json:"p95_ms"`
	P99Ms        float64        `json:"p99_ms"`
	MaxMs        float64        `json:"max_ms"`
	HitsPerQuery *float64       `json:"hits_per_query,omitempty"` // searches only
	ErrorKinds   map[string]int `json:"error_kinds,omitempty"`
}

func newPhase(clients int, res loadgen.Result) *phase {
	p := fromStats(clients, res.Elapsed, res.All)
	if len(res.Errors) > 0 {
		p.ErrorKinds = res.Errors
	}
	return p
}

// newKindPhase reports one kind of a mixed run; its errors are counted, but
// their messages stay with the whole run.
func newKindPhase(clients int, res loadgen.Result, kind string) *phase {
	return fromStats(clients, res.Elapsed, res.ByKind[kind])
}

func fromStats(clients int, elapsed time.Duration, s loadgen.Stats) *phase {
	return &phase{
		Clients: clients, Seconds: elapsed.Seconds(), OK: s.OK, Errors: s.Failed, PerSecond: s.Rate,
		P50Ms: ms(s.P50), P90Ms: ms(s.P90), P95Ms: ms(s.P95), P99Ms: ms(s.P99), MaxMs: ms(s.Max),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summary is the phase on one line, for progress.
func (p *phase) summary() string {
	if p == nil {
		return "not run"
	}
	return fmt.Sprintf("%8.1f/s  p50 %6.2f ms  p99 %6.2f ms  (%d ok, %d errors, %d clients)",
		p.PerSecond, p.P50Ms, p.P99Ms, p.OK, p.Errors, p.Clients)
}

type namedPhase struct {
	name string
	p    *phase
}

// rows are the lines of a backend's table.
func (r backendResult) rows() []namedPhase {
	rows := []namedPhase{{"create", r.Create1}, {"create", r.Create16}, {"seed", r.Seed}}
	rows = appendMix(rows, "search (mix)", r.Search, queryKinds, r.SearchByKind)
	rows = append(rows, namedPhase{"list", r.List}, namedPhase{"ticket create", r.TicketCreate1},
		namedPhase{"ticket create", r.TicketCreate16})
	rows = appendMix(rows, "transition (mix)", r.Transition, transitionKinds, r.TransitionByKind)
	rows = appendMix(rows, "t. list (mix)", r.TicketList, listKinds, r.TicketListByKind)
	rows = appendMix(rows, "t. search (mix)", r.TicketSearch, ticketSearchKinds, r.TicketSearchByKind)
	rows = append(rows, namedPhase{"call logging", r.CallCreate1})
	rows = appendMix(rows, "call logging", r.CallCreate16, callKinds, r.CallCreate16ByKind)
	return append(rows, namedPhase{"message taking", r.MessageCreate}, namedPhase{"acknowledgement", r.Acknowledge})
}

// appendMix appends a mixed phase and its kinds, indented.
func appendMix(rows []namedPhase, name string, all *phase, kinds []string, byKind map[string]*phase) []namedPhase {
	rows = append(rows, namedPhase{name, all})
	for _, kind := range kinds {
		rows = append(rows, namedPhase{"  " + kind, byKind[kind]})
	}
	return rows
}

// measured are the phases whose errors are listed, by name.
func (r backendResult) measured() []namedPhase {
	return []namedPhase{{"create @1", r.Create1}, {"create @16", r.Create16}, {"seed", r.Seed},
		{"search", r.Search}, {"list", r.List}, {"ticket create @1", r.TicketCreate1},
		{"ticket create @16", r.TicketCreate16}, {"transition", r.Transition}, {"ticket list", r.TicketList},
		{"ticket search", r.TicketSearch}, {"calls @1", r.CallCreate1}, {"calls @16", r.CallCreate16},
		{"messages", r.MessageCreate}, {"acknowledgements", r.Acknowledge}}
}

// printBackend prints one backend's table, then its errors.
func printBackend(out io.Writer, r backendResult) {
	fmt.Fprintf(out, "\n== %s ==\n", r.Backend)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase             \tclients\tok\terrors\tper s\tp50 ms\tp90 ms\tp95 ms\tp99 ms\tmax ms\thits/q\t")
	for _, row := range r.rows() {
		if p := row.p; p != nil {
			fmt.Fprintf(tw, "%-18s\t%d\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t\n", row.name, p.Clients, p.OK, p.Errors,
				p.PerSecond, p.P50Ms, p.P90Ms, p.P95Ms, p.P99Ms, p.MaxMs, hits(p))
		}
	}
	tw.Flush()
	for _, s := range []*bulkSeed{r.CallSeed, r.TicketSeed} {
		if s == nil {
			continue
		}
		fmt.Fprintf(out, "bulk seeding: %d %s in %.1f s (%.0f/s, seeder peak RSS %.1f MB)", s.Rows,
			strings.TrimPrefix(s.Command, "seed-"), s.Seconds, s.PerSecond, s.PeakRSSMB)
		if s.VacuumSeconds > 0 {
			fmt.Fprintf(out, ", then VACUUM ANALYZE %.1f s", s.VacuumSeconds)
		}
		fmt.Fprintf(out, "\n  %s\n", s.Summary)
	}
	for _, e := range []*bookExport{r.ExportRecent, r.Export} {
		if e != nil {
			fmt.Fprintf(out, "CSV export of the calls (%s): %s\n", e.Period, e.summary())
		}
	}
	if r.Ingest != nil {
		fmt.Fprintf(out, "mail ingestion by the server: %s\n", r.Ingest.summary())
	}
	if r.FetchOnce != nil {
		fmt.Fprintf(out, "mail ingestion by guichet fetch-once: %s\n", r.FetchOnce.summary())
	}
	fmt.Fprintf(out, "start-up %.0f ms · peak RSS %.1f MB (now %.1f MB) · shutdown %.0f ms · %d contacts · %d tickets · %d calls created over HTTP\n",
		r.StartupMs, r.PeakRSSMB, r.RSSMB, r.ShutdownMs, r.Contacts, r.TicketsCreated, r.CallsLogged)
	printErrors(out, r)
}

func hits(p *phase) string {
	if p.HitsPerQuery == nil {
		return ""
	}
	return fmt.Sprintf("%.1f", *p.HitsPerQuery)
}

// printErrors lists the failed requests' messages, then setup problems.
func printErrors(out io.Writer, r backendResult) {
	for _, x := range r.measured() {
		if x.p == nil {
			continue
		}
		msgs := make([]string, 0, len(x.p.ErrorKinds))
		for m := range x.p.ErrorKinds {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		for _, m := range msgs {
			fmt.Fprintf(out, "  %s: %d× %s\n", x.name, x.p.ErrorKinds[m], m)
		}
	}
	for _, e := range []*bookExport{r.ExportRecent, r.Export} {
		if e != nil && e.Error != "" {
			fmt.Fprintf(out, "  export (%s): %s\n", e.Period, e.Error)
		}
	}
	if r.Ingest != nil && r.Ingest.Error != "" {
		fmt.Fprintf(out, "  ingest: %s\n", r.Ingest.Error)
	}
	if r.FetchOnce != nil && r.FetchOnce.Error != "" {
		fmt.Fprintf(out, "  fetch-once: %s\n", r.FetchOnce.Error)
	}
	if r.ShutdownError != "" {
		fmt.Fprintf(out, "  shutdown: %s\n", r.ShutdownError)
	}
	if r.Error != "" {
		fmt.Fprintf(out, "  FAILED: %s\n", r.Error)
	}
	fmt.Fprintf(out, "  server log: %s\n", r.ServerLog)
}

// printSummary prints the backends side by side.
func printSummary(out io.Writer, rs []backendResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(out, "\n== summary ==")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(r backendResult) string) {
		cells := []string{fmt.Sprintf("%-38s", label)}
		for _, r := range rs {
			cells = append(cells, cell(r))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	row("", func(r backendResult) string { return r.Backend })
	row("start-up ms", func(r backendResult) string { return fmt.Sprintf("%.0f", r.StartupMs) })
	row("contacts/s @1", rate(func(r backendResult) *phase { return r.Create1 }))
	row("  p50 / p99 ms", latency(func(r backendResult) *phase { return r.Create1 }))
	row("contacts/s @16", rate(func(r backendResult) *phase { return r.Create16 }))
	row("  p50 / p99 ms", latency(func(r backendResult) *phase { return r.Create16 }))
	row(fmt.Sprintf("seeding contacts/s @%d", seedClients), rate(func(r backendResult) *phase { return r.Seed }))
	row("contacts in database", func(r backendResult) string { return fmt.Sprint(r.Contacts) })
	for _, kind := range queryKinds {
		row("search "+kind+" p50 / p99 ms", latency(func(r backendResult) *phase { return r.SearchByKind[kind] }))
	}
	row("search mix p50 / p99 ms", latency(func(r backendResult) *phase { return r.Search }))
	row("list p50 / p99 ms", latency(func(r backendResult) *phase { return r.List }))
	row("tickets seeded in bulk", func(r backendResult) string {
		if r.TicketSeed == nil {
			return "-"
		}
		return fmt.Sprint(r.TicketSeed.Rows)
	})
	row("  seeding s (tickets/s)", func(r backendResult) string {
		if s := r.TicketSeed; s != nil {
			return fmt.Sprintf("%.1f (%.0f)", s.Seconds, s.PerSecond)
		}
		return "-"
	})
	row("  then VACUUM ANALYZE s", func(r backendResult) string {
		if s := r.TicketSeed; s != nil && s.VacuumSeconds > 0 {
			return fmt.Sprintf("%.1f", s.VacuumSeconds)
		}
		return "-"
	})
	row("tickets/s @1", rate(func(r backendResult) *phase { return r.TicketCreate1 }))
	row("  p50 / p99 ms", latency(func(r backendResult) *phase { return r.TicketCreate1 }))
	row("tickets/s @16", rate(func(r backendResult) *phase { return r.TicketCreate16 }))
	row("  p50 / p99 ms", latency(func(r backendResult) *phase { return r.TicketCreate16 }))
	row("transitions/s @16", rate(func(r backendResult) *phase { return r.Transition }))
	for _, kind := range transitionKinds {
		row("  "+kind+" p50 / p99 ms", latency(func(r backendResult) *phase { return r.TransitionByKind[kind] }))
	}
	for _, kind := range listKinds {
		row("ticket list "+kind+" p50 / p99 ms", latency(func(r backendResult) *phase { return r.TicketListByKind[kind] }))
	}
	row("ticket list mix p50 / p99 ms", latency(func(r backendResult) *phase { return r.TicketList }))
	for _, kind := range ticketSearchKinds {
		row("ticket search "+kind+" p50 / p99 ms", latency(func(r backendResult) *phase { return r.TicketSearchByKind[kind] }))
	}
	row("ticket search mix p50 / p99 ms", latency(func(r backendResult) *phase { return r.TicketSearch }))
	receptionSummary(row)
	ingestSummary(row)
	row("peak RSS MB", func(r backendResult) string {
		if r.PeakRSSMB == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", r.PeakRSSMB)
	})
	row("failed requests", func(r backendResult) string { return fmt.Sprint(failed(r)) })
	tw.Flush()
}

// receptionSummary adds the reception's rows to the summary.
func receptionSummary(row func(string, func(backendResult) string)) {
	row("calls seeded in bulk", func(r backendResult) string {
		if s := r.CallSeed; s != nil {
			return fmt.Sprint(s.Rows)
		}
		return "-"
	})
	row("  seeding s (calls/s)", func(r backendResult) string {
		if s := r.CallSeed; s != nil {
			return fmt.Sprintf("%.1f (%.0f)", s.Seconds, s.PerSecond)
		}
		return "-"
	})
	for _, x := range []struct {
		name string
		get  func(backendResult) *bookExport
	}{{"CSV export of the calls", func(r backendResult) *bookExport { return r.Export }},
		{fmt.Sprintf("CSV export, last %d days", recentDays), func(r backendResult) *bookExport { return r.ExportRecent }}} {
		row(x.name+": rows (BOM)", exportCell(x.get, func(e *bookExport) string {
			return fmt.Sprintf("%d (%s)", e.Rows, map[bool]string{true: "BOM", false: "no BOM"}[e.BOM])
		}))
		row("  s / first byte ms", exportCell(x.get, func(e *bookExport) string {
			return fmt.Sprintf("%.2f / %.0f", e.Seconds, e.FirstByteMs)
		}))
		row("  MB / rows per s", exportCell(x.get, func(e *bookExport) string {
			return fmt.Sprintf("%.1f / %.0f", float64(e.Bytes)/(1<<20), e.RowsPerSecond)
		}))
		row("  server RSS before → peak MB", exportCell(x.get, func(e *bookExport) string {
			return fmt.Sprintf("%.1f → %.1f", e.RSSBeforeMB, e.RSSPeakMB)
		}))
		row("  RssAnon before → peak MB", exportCell(x.get, func(e *bookExport) string {
			return fmt.Sprintf("%.1f → %.1f", e.AnonBeforeMB, e.AnonPeakMB)
		}))
	}
	for _, x := range []struct {
		name string
		get  func(backendResult) *phase
	}{{"calls/s @1", func(r backendResult) *phase { return r.CallCreate1 }},
		{"calls/s @16", func(r backendResult) *phase { return r.CallCreate16 }},
		{"  unknown caller", func(r backendResult) *phase { return r.CallCreate16ByKind[callUnknown] }},
		{"messages/s @16 (2 River jobs each)", func(r backendResult) *phase { return r.MessageCreate }},
		{"acknowledgements/s @16", func(r backendResult) *phase { return r.Acknowledge }}} {
		label := "  p50 / p95 / p99 ms"
		if strings.HasPrefix(x.name, " ") { // a kind: its rate would be its share of the whole
			label = x.name + " p50 / p95 / p99 ms"
		} else {
			row(x.name, rate(x.get))
		}
		row(label, func(r backendResult) string {
			if p := x.get(r); p != nil {
				return fmt.Sprintf("%.2f / %.2f / %.2f", p.P50Ms, p.P95Ms, p.P99Ms)
			}
			return "-"
		})
	}
}

// exportCell shows an export's figure, "-" when it did not run.
func exportCell(get func(backendResult) *bookExport, show func(*bookExport) string) func(backendResult) string {
	return func(r backendResult) string {
		if e := get(r); e != nil {
			return show(e)
		}
		return "-"
	}
}

func rate(get func(backendResult) *phase) func(backendResult) string {
	return func(r backendResult) string {
		if p := get(r); p != nil {
			return fmt.Sprintf("%.0f", p.PerSecond)
		}
		return "-"
	}
}

func latency(get func(backendResult) *phase) func(backendResult) string {
	return func(r backendResult) string {
		if p := get(r); p != nil {
			return fmt.Sprintf("%.2f / %.2f", p.P50Ms, p.P99Ms)
		}
		return "-"
	}
}

// failed counts the failed requests of every phase.
func failed(r backendResult) int {
	n := 0
	for _, x := range r.measured() {
		if x.p != nil {
			n += x.p.Errors
		}
	}
	return n
}

// ingestSummary adds the mail ingestion's rows to the summary.
func ingestSummary(row func(string, func(backendResult) string)) {
	cell := func(show func(*ingestResult) string) func(backendResult) string {
		return func(r backendResult) string {
			if r.Ingest == nil {
				return "-"
			}
			return show(r.Ingest)
		}
	}
	row("mails ingested (queue items)", cell(func(i *ingestResult) string { return fmt.Sprintf("%d (%d)", i.Mails, i.Items) }))
	row("  mails/s (s)", cell(func(i *ingestResult) string { return fmt.Sprintf("%.0f (%.1f)", i.MailsPerSecond, i.Seconds) }))
	row("  tickets / threaded replies", cell(func(i *ingestResult) string { return fmt.Sprintf("%d / %d", i.Tickets, i.Threaded) }))
	row("  server RSS before → peak MB", cell(func(i *ingestResult) string {
		return fmt.Sprintf("%.1f → %.1f", i.RSSBeforeMB, i.RSSPeakMB)
	}))
	row("  RssAnon before → peak MB", cell(func(i *ingestResult) string {
		return fmt.Sprintf("%.1f → %.1f", i.AnonBeforeMB, i.AnonPeakMB)
	}))
	row("fetch-once mails/s (mails)", func(r backendResult) string {
		if f := r.FetchOnce; f != nil {
			return fmt.Sprintf("%.0f (%d)", f.MailsPerSecond, f.Mails)
		}
		return "-"
	})
}
