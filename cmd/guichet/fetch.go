package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/ingest"
)

// fetchOnce runs the hidden command `guichet fetch-once -mailbox ID
// [-until-done] [-wait 90s] [flags]`, for crash tests and benchmarks: it fetches one
// mailbox in this process, without the API nor the job queue, and prints
// what it did. With -until-done it fetches again while the fetch stopped
// at its time budget. A fetch running elsewhere (or killed less than a
// minute ago: its lease has not expired) is an error (exit 1) unless
// -wait allows waiting for it.
func fetchOnce(args []string) error {
	fs := flag.NewFlagSet("guichet fetch-once", flag.ContinueOnError)
	mailbox := fs.String("mailbox", "", "id of the mailbox to fetch")
	untilDone := fs.Bool("until-done", false, "fetch again while mail is left")
	batch := fs.Int("batch", 0, "mails per transaction (0: the default)")
	wait := fs.Duration("wait", 0, "how long to wait for a lease held by another fetch (a killed one's expires within a minute)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mailbox == "" {
		return errors.New("usage: guichet fetch-once -mailbox ID [-until-done] [flags]")
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
	m.Fetcher.Batch = *batch
	start, total := time.Now(), 0
	giveUp := start.Add(*wait)
	for {
		res, err := m.FetchMailbox(ctx, *mailbox)
		total += res.Mails
		if errors.Is(err, ingest.ErrBusy) && time.Now().Before(giveUp) {
			time.Sleep(time.Second)
			continue
		}
		if errors.Is(err, ingest.ErrBusy) {
			return err
		}
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		if !res.More || !*untilDone {
			break
		}
	}
	took := time.Since(start)
	fmt.Printf("fetched %d mails in %.2f s: %.0f mails/s\n", total, took.Seconds(), float64(total)/took.Seconds())
	return nil
}
