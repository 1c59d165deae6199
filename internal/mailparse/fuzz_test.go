package mailparse

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks Parse's contract on any input: no panic, exactly one of
// message and error, only quarantine errors (the reader and sink never
// fail here), limits respected and valid UTF-8 everywhere. Seeds are the
// fixtures, in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	lim := Limits{MaxBytes: 1 << 20, MaxParts: 50, MaxDepth: 5, MaxBodyText: 4096, MaxHeaderBytes: 8 << 10}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sink := &memSink{}
		m, err := Parse(bytes.NewReader(raw), lim, sink)
		if (m == nil) == (err == nil) {
			t.Fatalf("Parse returned message %v and error %v", m != nil, err)
		}
		if err != nil {
			var q *QuarantineError
			if !errors.As(err, &q) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if m.Size != int64(len(raw)) || m.MessageID == "" {
			t.Fatalf("Size %d of %d bytes, MessageID %q", m.Size, len(raw), m.MessageID)
		}
		if len(m.Attachments) > lim.MaxParts || len(m.Text) > lim.MaxBodyText ||
			len(m.TextFromHTML) > lim.MaxBodyText || len(m.Excerpt) > lim.MaxBodyText || len(m.Warnings) > maxWarnings+1 {
			t.Fatalf("limits exceeded: %d attachments, text %d, from HTML %d, excerpt %d, %d warnings",
				len(m.Attachments), len(m.Text), len(m.TextFromHTML), len(m.Excerpt), len(m.Warnings))
		}
		for _, a := range m.Attachments {
			if int64(len(sink.blobs[a.Ref])) != a.Size {
				t.Fatalf("attachment %+v: sink holds %d bytes", a, len(sink.blobs[a.Ref]))
			}
		}
		checkUTF8(t, m)
	})
}

func checkUTF8(t *testing.T, m *Message) {
	t.Helper()
	fields := []string{m.MessageID, m.InReplyTo, m.Subject, m.Text, m.HTML, m.TextFromHTML, m.Excerpt, m.AutoReplyReason, m.LoopID}
	fields = append(fields, m.References...)
	fields = append(fields, m.Warnings...)
	for _, list := range [][]Address{m.To, m.Cc, m.ReplyTo} {
		for _, a := range list {
			fields = append(fields, a.Name, a.Email)
		}
	}
	if m.From != nil {
		fields = append(fields, m.From.Name, m.From.Email)
	}
	for _, a := range m.Attachments {
		fields = append(fields, a.Filename, a.ContentType, a.ContentID)
	}
	for k, v := range m.Headers {
		fields = append(fields, k, v)
	}
	if m.Bounce != nil {
		b := m.Bounce
		fields = append(fields, b.Action, b.Status, b.FinalRecipient, b.DiagnosticCode, b.ReportingMTA, b.OriginalMessageID)
	}
	for _, s := range fields {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
	}
}
