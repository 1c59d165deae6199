package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"
)

const (
	exportTimeout = 5 * time.Minute       // bounds one export
	rssEvery      = 50 * time.Millisecond // the server's memory is read that often while an export streams
	recentDays    = 30                    // the period of the smaller export
)

// utf8BOM starts an export, so that spreadsheets read it as UTF-8.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// bookExport is one CSV export of the book of calls (GET /calls with
// Accept: text/csv), and the server's memory while it streamed.
type bookExport struct {
	Period        string  `json:"period"`
	Seconds       float64 `json:"seconds"`
	FirstByteMs   float64 `json:"first_byte_ms"`
	Bytes         int64   `json:"bytes"`
	Rows          int     `json:"rows"`                    // lines after the header
	ExpectedRows  *int    `json:"expected_rows,omitempty"` // when known: the whole book
	BOM           bool    `json:"bom"`
	RowsPerSecond float64 `json:"rows_per_second"`
	// VmRSS of the server before the request, its highest value sampled
	// every 50 ms while the export streamed, and after; Anon is RssAnon,
	// the same without mapped files.
	RSSBeforeMB  float64 `json:"rss_before_mb"`
	RSSPeakMB    float64 `json:"rss_peak_mb"`
	RSSAfterMB   float64 `json:"rss_after_mb"`
	AnonBeforeMB float64 `json:"anon_before_mb"`
	AnonPeakMB   float64 `json:"anon_peak_mb"`
	Samples      int     `json:"rss_samples"`
	Error        string  `json:"error,omitempty"`
}

// summary is the export on one line, for progress.
func (e *bookExport) summary() string {
	if e == nil {
		return "not run"
	}
	s := fmt.Sprintf("%d rows, %.1f MB in %.2f s (%.0f rows/s, first byte %.0f ms); server RSS %.1f → peak %.1f MB "+
		"(anon %.1f → %.1f, %d samples)", e.Rows, float64(e.Bytes)/(1<<20), e.Seconds, e.RowsPerSecond, e.FirstByteMs,
		e.RSSBeforeMB, e.RSSPeakMB, e.AnonBeforeMB, e.AnonPeakMB, e.Samples)
	if e.Error != "" {
		s += "; " + e.Error
	}
	return s
}

// exportCalls exports the book of calls: the whole of it (want is then
// the rows expected), or its last recentDays days (want < 0: unknown).
func (rr *receptionRunner) exportCalls(ctx context.Context, recent bool, want int) *bookExport {
	out, path := &bookExport{Period: "all"}, "/calls"
	if recent {
		out.Period, path = fmt.Sprintf("last %d days", recentDays), lastDays(recentDays)
	}
	if want >= 0 {
		out.ExpectedRows = &want
	}
	err := rr.measureExport(ctx, path, out)
	if err == nil && !out.BOM {
		err = errors.New("the export does not start with a UTF-8 BOM")
	}
	if err == nil && out.ExpectedRows != nil && out.Rows != want {
		err = fmt.Errorf("%d rows exported, want %d", out.Rows, want)
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// warmExport exports the last day, untimed, so that what the server sets
// up on its first export is not counted against the measured ones.
func (rr *receptionRunner) warmExport(ctx context.Context) {
	var discard bookExport
	_ = rr.r.api.readCSV(ctx, lastDays(1), &discard)
}

// lastDays is the path of the calls of the last n days.
func lastDays(n int) string {
	return "/calls?from=" + url.QueryEscape(time.Now().AddDate(0, 0, -n).UTC().Format(time.RFC3339))
}

// measureExport reads the export at path while sampling the server's
// memory.
func (rr *receptionRunner) measureExport(ctx context.Context, path string, out *bookExport) error {
	before, err := rr.srv.Memory()
	if err != nil {
		return err
	}
	out.RSSBeforeMB, out.AnonBeforeMB = mb(before.Current), mb(before.Anon)
	sampler := sampleMemory(rr.srv, rssEvery)
	err = rr.r.api.readCSV(ctx, path, out)
	peak, n := sampler.Stop()
	out.RSSPeakMB, out.AnonPeakMB, out.Samples = mb(peak.Current), mb(peak.Anon), n
	if after, merr := rr.srv.Memory(); merr == nil {
		out.RSSAfterMB = mb(after.Current)
	}
	if out.Seconds > 0 {
		out.RowsPerSecond = float64(out.Rows) / out.Seconds
	}
	return err
}

// readCSV fetches path as text/csv and reads it to the end, counting its
// bytes and lines and checking that it starts with a BOM. The whole export
// is bounded by exportTimeout, not by requestTimeout.
func (c *apiClient) readCSV(ctx context.Context, path string, out *bookExport) error {
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	var firstByte time.Time
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: func() { firstByte = time.Now() }})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/csv")
	req.Header.Set("Authorization", "Bearer "+c.token)
	start := time.Now()
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return fmt.Errorf("GET /calls (CSV): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return newStatusError(http.MethodGet, "/calls (CSV)", resp)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		return fmt.Errorf("GET /calls (CSV): Content-Type %q", ct)
	}
	out.FirstByteMs = ms(firstByte.Sub(start))
	lines, head, err := countLines(resp.Body, &out.Bytes)
	out.Seconds = time.Since(start).Seconds()
	out.Rows, out.BOM = max(lines-1, 0), bytes.Equal(head, utf8BOM)
	if err != nil {
		return fmt.Errorf("GET /calls (CSV): read after %d bytes: %w", out.Bytes, err)
	}
	return nil
}

// countLines reads r to the end and returns its line count and its first
// three bytes; n counts the bytes as they are read.
func countLines(r io.Reader, n *int64) (lines int, head []byte, err error) {
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		if len(head) < len(utf8BOM) {
			head = append(head, buf[:min(k, len(utf8BOM)-len(head))]...)
		}
		*n += int64(k)
		lines += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return lines, head, nil
		}
		if err != nil {
			return lines, head, err
		}
	}
}

// memorySampler reads a server's memory periodically and keeps the
// highest values.
type memorySampler struct {
	srv  *server
	stop chan struct{}
	done chan struct{}
	peak memory
	n    int
}

// sampleMemory reads srv's memory every period until Stop.
func sampleMemory(srv *server, every time.Duration) *memorySampler {
	s := &memorySampler{srv: srv, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				s.sample() // at least one
				return
			case <-tick.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *memorySampler) sample() {
	if m, err := s.srv.Memory(); err == nil {
		s.peak.Current, s.peak.Anon = max(s.peak.Current, m.Current), max(s.peak.Anon, m.Anon)
		s.n++
	}
}

// Stop ends the sampling and returns the highest RSS and RssAnon seen,
// and how many samples were taken.
func (s *memorySampler) Stop() (memory, int) {
	close(s.stop)
	<-s.done
	return s.peak, s.n
}
