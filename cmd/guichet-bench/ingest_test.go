package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/mailparse"
)

// discardSink counts the attachments Parse finds.
type discardSink struct{ parts int }

func (s *discardSink) Put(_ mailparse.PartInfo, r io.Reader) (string, int64, error) {
	n, err := io.Copy(io.Discard, r)
	s.parts++
	return "part", n, err
}

// The benchmark's mail is what Guichet must ingest: every mail parses
// whole, in its charset, replies point at an earlier request, and the
// shares are about those announced.
func TestMailGenWritesParseableClientMail(t *testing.T) {
	t.Parallel()
	g := newMailGen(7, "contact@guichet.example")
	var st mailStats
	ids := map[string]bool{}
	var html, latin1, withFiles int
	for i := range 1000 {
		raw := g.next(i, time.Now().Add(-time.Hour), &st)
		sink := &discardSink{}
		m, err := mailparse.Parse(bytes.NewReader(raw), mailparse.Limits{}, sink)
		if err != nil {
			t.Fatalf("mail %d: %v\n%s", i, err, raw[:min(len(raw), 2000)])
		}
		if m.Synthetic || m.From == nil || m.AutoReply || strings.Contains(m.Text, "\uFFFD") || m.Text == "" {
			t.Fatalf("mail %d: synthetic %v, from %v, auto-reply %v, text %q", i, m.Synthetic, m.From, m.AutoReply, m.Text)
		}
		if m.InReplyTo != "" && !ids[m.InReplyTo] {
			t.Errorf("mail %d answers <%s>, which was not written before", i, m.InReplyTo)
		}
		ids[m.MessageID] = true
		if m.HTML != "" {
			html++
		}
		if bytes.Contains(raw, []byte("iso-8859-1")) {
			latin1++
		}
		if sink.parts > 0 {
			withFiles++
		}
	}
	if st.Requests+st.Replies != 1000 || withFiles != st.Attachments {
		t.Errorf("%d requests + %d replies, %d mails with a file (counted %d)", st.Requests, st.Replies, withFiles, st.Attachments)
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{{"replies", st.Replies, replyShare}, {"with attachments", st.Attachments, attachmentShare},
		{"HTML", html, htmlShare}, {"ISO-8859-1", latin1, latin1Share}} {
		if c.got < c.want*10/2 || c.got > c.want*10*2 {
			t.Errorf("%s: %d in 1,000, want about %d %%", c.what, c.got, c.want)
		}
	}
}

func TestParseFlagsIngest(t *testing.T) {
	t.Parallel()
	env := func(string) string { return "" }
	opts, err := parseFlags([]string{"-phases", "ingest", "-mails", "500", "-fetch-once-mails", "0", "-backends", "sqlite"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.phases["ingest"] || opts.phases["contacts"] || opts.mails != 500 || opts.fetchOnceMails != 0 {
		t.Errorf("phases %v, mails %d, fetch-once mails %d", opts.phases, opts.mails, opts.fetchOnceMails)
	}
	if opts, _ := parseFlags(nil, env); !opts.phases["ingest"] || opts.mails != 10_000 {
		t.Errorf("defaults: phases %v, mails %d; want ingest and 10,000", opts.phases, opts.mails)
	}
	for _, bad := range [][]string{{"-mails", "0"}, {"-fetch-once-mails", "-1"}} {
		if _, err := parseFlags(bad, env); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
