package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bulkSeed is the bulk load of tickets before the server starts.
type bulkSeed struct {
	Tickets   int     `json:"tickets"`
	Seconds   float64 `json:"seconds"` // the whole command: migrations, agents, tickets
	PerSecond float64 `json:"per_second"`
	// PeakRSSMB is the seeding process's; the server's is measured apart.
	PeakRSSMB float64 `json:"seeder_peak_rss_mb"`
	// VacuumSeconds is PostgreSQL's VACUUM ANALYZE after the load, which
	// autovacuum would run within minutes of it.
	VacuumSeconds float64 `json:"vacuum_analyze_seconds,omitempty"`
	Summary       string  `json:"summary"` // the command's last line
	Log           string  `json:"log"`
}

// seedTickets runs `guichet seed-tickets -n opts.tickets` as its own
// process on the database of env, its output going to seed-tickets.log in
// dir and, line by line, to log; then vacuum, when not nil.
func seedTickets(ctx context.Context, opts options, bin, dir string, env []string,
	vacuum func(context.Context) error, log func(string, ...any)) (*bulkSeed, error) {
	res := &bulkSeed{Log: filepath.Join(dir, "seed-tickets.log")}
	logFile, err := os.Create(res.Log)
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(ctx, opts.seedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "seed-tickets", "-n", strconv.Itoa(opts.tickets))
	cmd.Env = append(environWithout("GUICHET_"), env...)
	lines := &lineWriter{emit: func(line string) { log("%-11s %s", "tickets", line) }}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(logFile, lines), logFile
	log("%-11s seeding %d tickets in bulk (guichet seed-tickets), server not started", "tickets", opts.tickets)
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		return res, fmt.Errorf("seed tickets: %w; log:\n%s", err, tail(res.Log, 20))
	}
	res.Tickets, res.Seconds, res.Summary = opts.tickets, took.Seconds(), lines.last
	res.PerSecond = float64(opts.tickets) / took.Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakRSSMB = float64(ru.Maxrss) / 1024 // kB on Linux
	}
	if vacuum != nil {
		start := time.Now()
		if err := vacuum(ctx); err != nil {
			return res, fmt.Errorf("vacuum after seeding tickets: %w", err)
		}
		res.VacuumSeconds = time.Since(start).Seconds()
		log("%-11s VACUUM ANALYZE after the load in %.1f s", "tickets", res.VacuumSeconds)
	}
	return res, nil
}

// lineWriter calls emit with each complete line written to it.
type lineWriter struct {
	buf  []byte
	emit func(line string)
	last string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimSpace(string(w.buf[:i])); line != "" {
			w.last = line
			w.emit(line)
		}
		w.buf = w.buf[i+1:]
	}
}
