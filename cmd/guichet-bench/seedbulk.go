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

// bulkSeed is a bulk load (of tickets, or of calls) before the server
// starts.
type bulkSeed struct {
	Command   string  `json:"command"` // seed-tickets, seed-calls
	Rows      int     `json:"rows"`    // tickets, or calls
	Seconds   float64 `json:"seconds"` // the whole command: migrations, agents, contacts, rows
	PerSecond float64 `json:"per_second"`
	// PeakRSSMB is the seeding process's; the server's is measured apart.
	PeakRSSMB float64 `json:"seeder_peak_rss_mb"`
	// VacuumSeconds is PostgreSQL's VACUUM ANALYZE after the last load,
	// which autovacuum would run within minutes of it.
	VacuumSeconds float64 `json:"vacuum_analyze_seconds,omitempty"`
	Summary       string  `json:"summary"` // the command's last line
	Log           string  `json:"log"`
}

// seedBulk runs `guichet <command> -n n` (seed-tickets, seed-calls) as its
// own process on the database of env, its output going to <command>.log
// in dir and, line by line, to log; then vacuum, when not nil.
func seedBulk(ctx context.Context, opts options, bin, dir string, env []string, command string, n int,
	vacuum func(context.Context) error, log func(string, ...any)) (*bulkSeed, error) {
	res := &bulkSeed{Command: command, Log: filepath.Join(dir, command+".log")}
	label := strings.TrimPrefix(command, "seed-")
	logFile, err := os.Create(res.Log)
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(ctx, opts.seedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, command, "-n", strconv.Itoa(n))
	cmd.Env = append(environWithout("GUICHET_"), env...)
	lines := &lineWriter{emit: func(line string) { log("%-11s %s", label, line) }}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(logFile, lines), logFile
	log("%-11s seeding %d %s in bulk (guichet %s), server not started", label, n, label, command)
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		return res, fmt.Errorf("%s: %w; log:\n%s", command, err, tail(res.Log, 20))
	}
	res.Rows, res.Seconds, res.Summary = n, took.Seconds(), lines.last
	res.PerSecond = float64(n) / took.Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakRSSMB = float64(ru.Maxrss) / 1024 // kB on Linux
	}
	if vacuum != nil {
		start := time.Now()
		if err := vacuum(ctx); err != nil {
			return res, fmt.Errorf("vacuum after %s: %w", command, err)
		}
		res.VacuumSeconds = time.Since(start).Seconds()
		log("%-11s VACUUM ANALYZE after the load in %.1f s", label, res.VacuumSeconds)
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
