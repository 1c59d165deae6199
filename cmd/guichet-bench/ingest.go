package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/imaptest"
)

// The ingest phase: an IMAP server in this process holds the mail of a
// shared contact mailbox, created through the API; the server fetches it
// into threaded tickets through its River jobs, asked by POST
// /mailboxes/{id}/fetch, while its memory is sampled. Then `guichet
// fetch-once` ingests another mailbox in a process of its own, without
// the API nor the job queue.

const (
	ingestPoll      = 100 * time.Millisecond // how often the queue is looked at
	fetchAskEvery   = time.Second            // at most one POST /fetch per second
	firstFetchLimit = time.Minute
	ingestMailbox   = "bench-contact"
	fetchOnceBox    = "bench-fetch-once"
)

// ingestResult is what the ingest phase measured.
type ingestResult struct {
	Mails         int       `json:"mails"` // appended, then expected in the queue
	Generated     mailStats `json:"generated"`
	AppendSeconds float64   `json:"append_seconds"` // loading the IMAP server, untimed
	// From the first POST /fetch until the newest mail is in the queue.
	Seconds        float64 `json:"seconds"`
	MailsPerSecond float64 `json:"mails_per_second"`
	FetchRequests  int     `json:"fetch_requests"` // POST /fetch answered 202
	FetchBusy      int     `json:"fetch_busy"`     // answered 409: a fetch was running
	FetchErrors    int     `json:"fetch_errors"`   // times the mailbox showed state error
	LastError      string  `json:"last_error,omitempty"`
	// Counted in the queue afterwards (GET /mailboxes/{id}/items).
	Items    int `json:"items"`
	Tickets  int `json:"tickets"`  // items that opened a ticket
	Threaded int `json:"threaded"` // items joined to their ticket by their headers
	// The server's VmRSS before, highest sampled every 50 ms during the
	// ingestion, and after; Anon is RssAnon.
	RSSBeforeMB  float64 `json:"rss_before_mb"`
	RSSPeakMB    float64 `json:"rss_peak_mb"`
	RSSAfterMB   float64 `json:"rss_after_mb"`
	AnonBeforeMB float64 `json:"anon_before_mb"`
	AnonPeakMB   float64 `json:"anon_peak_mb"`
	Samples      int     `json:"rss_samples"`
	Error        string  `json:"error,omitempty"`
}

func (r *ingestResult) summary() string {
	if r == nil {
		return "not run"
	}
	s := fmt.Sprintf("%d mails in %.1f s: %.0f mails/s; %d items, %d tickets, %d threaded; server RSS %.1f → peak %.1f MB "+
		"(anon %.1f → %.1f, %d samples); %d fetch requests, %d busy", r.Mails, r.Seconds, r.MailsPerSecond, r.Items, r.Tickets,
		r.Threaded, r.RSSBeforeMB, r.RSSPeakMB, r.AnonBeforeMB, r.AnonPeakMB, r.Samples, r.FetchRequests, r.FetchBusy)
	if r.Error != "" {
		s += "; " + r.Error
	}
	return s
}

// fetchOnceResult is the ingestion by `guichet fetch-once`.
type fetchOnceResult struct {
	Mails          int     `json:"mails"`
	Seconds        float64 `json:"seconds"` // as the command reports it: its fetches, not its start-up
	MailsPerSecond float64 `json:"mails_per_second"`
	ProcessSeconds float64 `json:"process_seconds"` // the whole process, start-up included
	Items          int     `json:"items"`
	Error          string  `json:"error,omitempty"`
}

func (r *fetchOnceResult) summary() string {
	if r == nil {
		return "not run"
	}
	s := fmt.Sprintf("%d mails in %.1f s: %.0f mails/s (process %.1f s); %d items", r.Mails, r.Seconds, r.MailsPerSecond,
		r.ProcessSeconds, r.Items)
	if r.Error != "" {
		s += "; " + r.Error
	}
	return s
}

// ingestRunner runs the ingest phases against one server.
type ingestRunner struct {
	opts  options
	api   *apiClient
	srv   *server
	imap  *imaptest.Server
	admin string // the responsible of the mailboxes
	log   func(format string, args ...any)
}

func newIngestRunner(opts options, api *apiClient, srv *server, log func(string, ...any)) (*ingestRunner, error) {
	imap, err := imaptest.New(imaptest.Options{})
	if err != nil {
		return nil, err
	}
	return &ingestRunner{opts: opts, api: api, srv: srv, imap: imap, log: log}, nil
}

// Close stops the IMAP server.
func (ir *ingestRunner) Close() { _ = ir.imap.Close() }

func ingestSteps(ctx context.Context, ir *ingestRunner, res *backendResult) []step {
	return []step{
		{"ingest", func() summarizer { res.Ingest = ir.ingest(ctx); return res.Ingest }},
		{"fetch-once", func() summarizer { res.FetchOnce = ir.fetchOnce(ctx); return res.FetchOnce }},
	}
}

// ingest measures the server's ingestion of opts.mails mails.
func (ir *ingestRunner) ingest(ctx context.Context) *ingestResult {
	out := &ingestResult{Mails: ir.opts.mails}
	if err := ir.runIngest(ctx, out); err != nil {
		out.Error = err.Error()
	}
	return out
}

func (ir *ingestRunner) runIngest(ctx context.Context, out *ingestResult) error {
	id, err := ir.mailbox(ctx, ingestMailbox)
	if err != nil {
		return err
	}
	start := time.Now()
	newest, err := ir.fill(ingestMailbox, out.Mails, 11, &out.Generated)
	if err != nil {
		return err
	}
	out.AppendSeconds = time.Since(start).Seconds()
	ir.log("%-11s %d mails (%d requests, %d replies, %d with attachments, %.0f MB) appended in %.1f s", "",
		out.Mails, out.Generated.Requests, out.Generated.Replies, out.Generated.Attachments,
		float64(out.Generated.Bytes)/(1<<20), out.AppendSeconds)

	before, err := ir.srv.Memory()
	if err != nil {
		return err
	}
	out.RSSBeforeMB, out.AnonBeforeMB = mb(before.Current), mb(before.Anon)
	sampler := sampleMemory(ir.srv, rssEvery)
	start = time.Now()
	err = ir.drain(ctx, id, newest, out)
	took := time.Since(start)
	peak, n := sampler.Stop()
	out.RSSPeakMB, out.AnonPeakMB, out.Samples = mb(peak.Current), mb(peak.Anon), n
	if after, merr := ir.srv.Memory(); merr == nil {
		out.RSSAfterMB = mb(after.Current)
	}
	if err != nil {
		return err
	}
	out.Seconds, out.MailsPerSecond = took.Seconds(), float64(out.Mails)/took.Seconds()
	q, err := ir.countQueue(ctx, id)
	out.Items, out.Tickets, out.Threaded = q.items, q.reasons["new_ticket"], q.reasons["thread_header"]
	if err == nil && out.Items != out.Mails {
		err = fmt.Errorf("%d queue items, want %d", out.Items, out.Mails)
	}
	return err
}

// mailbox creates an IMAP account and a shared contact mailbox reading it
// (fetched every hour: the benchmark asks for its fetches), and waits
// for its first fetch, which starts at the end of the folder.
func (ir *ingestRunner) mailbox(ctx context.Context, user string) (string, error) {
	password := "imap-" + randomHex(8)
	if err := ir.imap.AddUser(user, password); err != nil {
		return "", err
	}
	if err := ir.imap.CreateFolder(user, "Sent"); err != nil {
		return "", err
	}
	if ir.admin == "" {
		agents, err := ir.api.listAgents(ctx)
		if err != nil {
			return "", err
		}
		for _, a := range agents {
			if a.Username == "admin" {
				ir.admin = a.ID
			}
		}
	}
	id, err := ir.api.createMailbox(ctx, map[string]any{"kind": "shared", "purpose": "contact", "name": user,
		"address": user + "@guichet.example", "responsible_id": ir.admin,
		"imap": map[string]any{"host": ir.imap.Host, "port": ir.imap.Port, "security": "none", "username": user,
			"password": password, "fetch_interval_seconds": 3600}})
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(firstFetchLimit)
	for {
		mbox, err := ir.api.getMailbox(ctx, id)
		switch {
		case err != nil:
			return "", err
		case mbox.Status.State == "error":
			return "", fmt.Errorf("first fetch of %s: %s", user, deref(mbox.Status.LastError))
		case mbox.Status.LastFetchAt != nil && mbox.Status.State == "idle":
			return id, nil
		case time.Now().After(deadline):
			return "", fmt.Errorf("mailbox %s not fetched within %s", user, firstFetchLimit)
		}
		if _, err := ir.api.requestFetch(ctx, id); err != nil {
			return "", err
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return "", err
		}
	}
}

// fill appends n mails to the user's INBOX, received a second apart up to
// a minute ago, and returns the reception of the newest.
func (ir *ingestRunner) fill(user string, n int, seedValue uint64, st *mailStats) (time.Time, error) {
	g := newMailGen(seedValue, user+"@guichet.example")
	first := time.Now().Add(-time.Duration(n)*time.Second - time.Minute).Truncate(time.Second)
	var date time.Time
	for i := range n {
		date = first.Add(time.Duration(i) * time.Second)
		if _, err := ir.imap.Append(user, "INBOX", g.next(i, date, st), date); err != nil {
			return date, err
		}
	}
	return date, nil
}

// drain asks for fetches while none runs until the queue's newest item is
// the newest mail (the fetch goes in UID order, so all mail is in).
func (ir *ingestRunner) drain(ctx context.Context, id string, newest time.Time, out *ingestResult) error {
	deadline := time.Now().Add(ir.opts.seedTimeout)
	var asked time.Time
	for {
		top, err := ir.api.newestItem(ctx, id)
		if err != nil {
			return err
		}
		if top != nil && !top.ReceivedAt.Before(newest) {
			return nil
		}
		mbox, err := ir.api.getMailbox(ctx, id)
		if err != nil {
			return err
		}
		if mbox.Status.State == "error" && deref(mbox.Status.LastError) != out.LastError {
			out.FetchErrors++
			out.LastError = deref(mbox.Status.LastError)
		}
		if mbox.Status.State != "fetching" && time.Since(asked) >= fetchAskEvery {
			asked = time.Now()
			status, err := ir.api.requestFetch(ctx, id)
			if err != nil {
				return err
			}
			if status == http.StatusAccepted {
				out.FetchRequests++
			} else {
				out.FetchBusy++
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the queue did not reach the newest mail within %s", ir.opts.seedTimeout)
		}
		if err := sleep(ctx, ingestPoll); err != nil {
			return err
		}
	}
}

// fetchOnce measures `guichet fetch-once` on a mailbox of its own, while
// the server idles.
func (ir *ingestRunner) fetchOnce(ctx context.Context) *fetchOnceResult {
	out := &fetchOnceResult{}
	if ir.opts.fetchOnceMails == 0 {
		return nil
	}
	if err := ir.runFetchOnce(ctx, out); err != nil {
		out.Error = err.Error()
	}
	return out
}

var fetchedLine = regexp.MustCompile(`fetched (\d+) mails in ([0-9.]+) s`)

func (ir *ingestRunner) runFetchOnce(ctx context.Context, out *fetchOnceResult) error {
	id, err := ir.mailbox(ctx, fetchOnceBox)
	if err != nil {
		return err
	}
	var st mailStats
	if _, err := ir.fill(fetchOnceBox, ir.opts.fetchOnceMails, 23, &st); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, ir.opts.seedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ir.srv.bin, "fetch-once", "-mailbox", id, "-until-done", "-wait", "90s")
	cmd.Env = append(environWithout("GUICHET_"), ir.srv.env...)
	start := time.Now()
	b, err := cmd.CombinedOutput()
	out.ProcessSeconds = time.Since(start).Seconds()
	if err != nil {
		return fmt.Errorf("guichet fetch-once: %w: %s", err, strings.TrimSpace(string(b)))
	}
	m := fetchedLine.FindStringSubmatch(string(b))
	if m == nil {
		return fmt.Errorf("guichet fetch-once said %q", strings.TrimSpace(string(b)))
	}
	out.Mails, _ = strconv.Atoi(m[1])
	out.Seconds, _ = strconv.ParseFloat(m[2], 64)
	if out.Seconds > 0 {
		out.MailsPerSecond = float64(out.Mails) / out.Seconds
	}
	q, err := ir.countQueue(ctx, id)
	out.Items = q.items
	if err == nil && out.Items != ir.opts.fetchOnceMails {
		err = fmt.Errorf("%d queue items, want %d", out.Items, ir.opts.fetchOnceMails)
	}
	return err
}

// queueCount is a mailbox's queue, counted.
type queueCount struct {
	items   int
	reasons map[string]int // by routing reason
}

// countQueue reads the whole queue, page by page.
func (ir *ingestRunner) countQueue(ctx context.Context, id string) (queueCount, error) {
	q := queueCount{reasons: map[string]int{}}
	cursor := ""
	for {
		page, err := ir.api.listItems(ctx, id, 200, cursor)
		if err != nil {
			return q, err
		}
		for _, it := range page.Items {
			q.items++
			q.reasons[it.RoutingReason]++
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			return q, nil
		}
		cursor = *page.NextCursor
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// mailbox is what the benchmark reads of a mailbox.
type mailbox struct {
	ID     string `json:"id"`
	Status struct {
		State       string     `json:"state"`
		LastError   *string    `json:"last_error"`
		LastFetchAt *time.Time `json:"last_fetch_at"`
	} `json:"status"`
}

type mailItem struct {
	ReceivedAt    time.Time `json:"received_at"`
	RoutingReason string    `json:"routing_reason"`
}

type mailItemPage struct {
	Items      []mailItem `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

// createMailbox expects 201 and returns the mailbox's id.
func (c *apiClient) createMailbox(ctx context.Context, body map[string]any) (string, error) {
	var out mailbox
	err := c.do(ctx, http.MethodPost, "/mailboxes", body, http.StatusCreated, &out)
	return out.ID, err
}

func (c *apiClient) getMailbox(ctx context.Context, id string) (mailbox, error) {
	var out mailbox
	err := c.do(ctx, http.MethodGet, "/mailboxes/"+id, nil, http.StatusOK, &out)
	return out, err
}

// requestFetch asks for a fetch: 202, or 409 while one runs.
func (c *apiClient) requestFetch(ctx context.Context, id string) (int, error) {
	err := c.do(ctx, http.MethodPost, "/mailboxes/"+id+"/fetch", nil, http.StatusAccepted, nil)
	var se *statusError
	if errors.As(err, &se) && se.Status == http.StatusConflict {
		return se.Status, nil
	}
	if err != nil {
		return 0, err
	}
	return http.StatusAccepted, nil
}

// newestItem returns the queue's newest item, nil when it is empty.
func (c *apiClient) newestItem(ctx context.Context, id string) (*mailItem, error) {
	page, err := c.listItems(ctx, id, 1, "")
	if err != nil || len(page.Items) == 0 {
		return nil, err
	}
	return &page.Items[0], nil
}

func (c *apiClient) listItems(ctx context.Context, id string, limit int, cursor string) (mailItemPage, error) {
	var page mailItemPage
	path := fmt.Sprintf("/mailboxes/%s/items?limit=%d", id, limit)
	if cursor != "" {
		path += "&cursor=" + url.QueryEscape(cursor)
	}
	err := c.do(ctx, http.MethodGet, path, nil, http.StatusOK, &page)
	return page, err
}
