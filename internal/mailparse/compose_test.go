package mailparse

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func outgoing() Outgoing {
	return Outgoing{
		From:       Address{Name: "Support Guichet", Email: "support@guichet.example"},
		To:         []Address{{Name: "Marie Lefèvre", Email: "marie.lefevre@cabinet-lefevre.fr"}},
		Cc:         []Address{{Name: "Comptabilité, Cabinet", Email: "compta@cabinet-lefevre.fr"}},
		ReplyTo:    []Address{{Email: "support@guichet.example"}},
		Subject:    "Re: [T-2026-000123] Problème de facturation – réf. 12",
		Date:       time.Date(2026, 3, 3, 10, 30, 0, 0, time.FixedZone("CET", 3600)),
		InReplyTo:  "PR3P192MB0745@PR3P192MB0745.EURP192.PROD.OUTLOOK.COM",
		References: []string{"a41f0c9e@guichet.example"},
		Text: "Bonjour Madame Lefèvre,\n\nNous avons bien reçu votre règlement de la facture n°12 ; " +
			"votre compte est à jour et aucune relance ne vous sera plus adressée à ce sujet.\n" +
			"From the desk\n.\n\nL'équipe support",
		LoopID: "guichet-prod-1",
	}
}

func TestComposeRoundTrip(t *testing.T) {
	t.Parallel()
	pdf := bytes.Repeat([]byte("%PDF-1.4 reçu\n"), 500)
	tests := map[string]func(*Outgoing){
		"TextOnly": func(*Outgoing) {},
		"TextAndHTML": func(o *Outgoing) {
			o.HTML = "<p>Bonjour Madame Lefèvre,</p><p>Votre compte est <b>à jour</b>.</p>"
		},
		"Attachment": func(o *Outgoing) {
			o.Attachments = []OutgoingAttachment{{Filename: "Reçu n°12.pdf", ContentType: "application/pdf", Body: bytes.NewReader(pdf)}}
		},
		"Everything": func(o *Outgoing) {
			o.HTML = "<p>Bonjour</p>"
			o.Attachments = []OutgoingAttachment{
				{Filename: "Reçu n°12.pdf", ContentType: "application/pdf", Body: bytes.NewReader(pdf)},
				{Filename: "notes.txt", Body: strings.NewReader("é")},
			}
			o.MessageID = "fixed-id@guichet.example"
		},
		"AutomaticAcknowledgement": func(o *Outgoing) { o.AutoSubmitted = AutoReplied },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := outgoing()
			edit(&out)
			var buf bytes.Buffer
			id, err := Compose(&buf, out)
			if err != nil {
				t.Fatal(err)
			}
			sink := &memSink{}
			m, err := Parse(&buf, Limits{}, sink)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, out, id, m, sink)
		})
	}
}

func checkRoundTrip(t *testing.T, out Outgoing, id string, m *Message, sink *memSink) {
	t.Helper()
	if m.MessageID != id || m.Synthetic || !strings.HasSuffix(id, "@guichet.example") ||
		out.MessageID != "" && id != out.MessageID {
		t.Errorf("MessageID = %q, Compose returned %q", m.MessageID, id)
	}
	if *m.From != out.From || !slices.Equal(m.To, out.To) || !slices.Equal(m.Cc, out.Cc) || !slices.Equal(m.ReplyTo, out.ReplyTo) {
		t.Errorf("addresses = %v %v %v %v", m.From, m.To, m.Cc, m.ReplyTo)
	}
	if m.Subject != out.Subject || m.Date == nil || !m.Date.Equal(out.Date) {
		t.Errorf("Subject = %q, Date = %v", m.Subject, m.Date)
	}
	if m.InReplyTo != out.InReplyTo || !slices.Equal(m.References, append(out.References, out.InReplyTo)) {
		t.Errorf("InReplyTo = %q, References = %v", m.InReplyTo, m.References)
	}
	if m.Text != out.Text || m.HTML != out.HTML {
		t.Errorf("Text = %q\nHTML = %q", m.Text, m.HTML)
	}
	if len(m.Attachments) != len(out.Attachments) {
		t.Fatalf("Attachments = %+v", m.Attachments)
	}
	for i, a := range m.Attachments {
		want := out.Attachments[i]
		if want.ContentType == "" {
			want.ContentType = "application/octet-stream"
		}
		if a.Filename != want.Filename || a.ContentType != want.ContentType || a.Inline || int64(len(sink.blobs[a.Ref])) != a.Size {
			t.Errorf("attachment %d = %+v, want %q %q", i, a, want.Filename, want.ContentType)
		}
	}
	if !m.Loop || m.LoopID != out.LoopID {
		t.Errorf("Loop = %v %q, want %q", m.Loop, m.LoopID, out.LoopID)
	}
	if out.AutoSubmitted == "" && (m.AutoReply || m.SuppressAutoResponse) {
		t.Errorf("an agent's reply is classified %+v", m.Classification)
	}
	if out.AutoSubmitted != "" && (m.AutoReplyReason != "Auto-Submitted: "+out.AutoSubmitted || !m.SuppressAutoResponse) {
		t.Errorf("automatic mail is classified %+v", m.Classification)
	}
	if len(m.Warnings) > 0 {
		t.Errorf("Warnings = %q", m.Warnings)
	}
}

func TestComposeAttachmentContent(t *testing.T) {
	t.Parallel()
	out := outgoing()
	content := []byte("\x00\x01binary\xff\r\n\n")
	out.Attachments = []OutgoingAttachment{{Filename: "a.bin", Body: bytes.NewReader(content)}}
	var buf bytes.Buffer
	if _, err := Compose(&buf, out); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	m, err := Parse(&buf, Limits{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if got := sink.blobs[m.Attachments[0].Ref]; !bytes.Equal(got, content) {
		t.Errorf("attachment = %q, want %q", got, content)
	}
}

func TestComposeRejectsInvalidMail(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*Outgoing){
		"NoFrom":           func(o *Outgoing) { o.From = Address{} },
		"NoRecipient":      func(o *Outgoing) { o.To, o.Cc = nil, nil },
		"BadRecipient":     func(o *Outgoing) { o.To = []Address{{Email: "not an address"}} },
		"InjectedName":     func(o *Outgoing) { o.To[0].Name = "Marie\r\nBcc: x@y.fr" },
		"InjectedSubject":  func(o *Outgoing) { o.Subject = "x\r\nBcc: x@y.fr" },
		"NoDate":           func(o *Outgoing) { o.Date = time.Time{} },
		"BadMessageID":     func(o *Outgoing) { o.MessageID = "<a@b>" },
		"BadReference":     func(o *Outgoing) { o.References = []string{"a b@c"} },
		"BadAutoSubmitted": func(o *Outgoing) { o.AutoSubmitted = "yes" },
		"NoLoopID":         func(o *Outgoing) { o.LoopID = "" },
		"NilAttachment":    func(o *Outgoing) { o.Attachments = []OutgoingAttachment{{Filename: "a"}} },
		"BadAttachmentType": func(o *Outgoing) {
			o.Attachments = []OutgoingAttachment{{ContentType: "pdf", Body: strings.NewReader("")}}
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := outgoing()
			edit(&out)
			var buf bytes.Buffer
			if _, err := Compose(&buf, out); !errors.Is(err, ErrInvalidOutgoing) {
				t.Errorf("err = %v, want ErrInvalidOutgoing", err)
			}
			if buf.Len() > 0 {
				t.Errorf("wrote %d bytes of an invalid mail", buf.Len())
			}
		})
	}
}

func TestComposeHeaders(t *testing.T) {
	t.Parallel()
	var agent, auto bytes.Buffer
	if _, err := Compose(&agent, outgoing()); err != nil {
		t.Fatal(err)
	}
	out := outgoing()
	out.AutoSubmitted = AutoGenerated
	if _, err := Compose(&auto, out); err != nil {
		t.Fatal(err)
	}
	head := func(b bytes.Buffer) string { h, _, _ := strings.Cut(b.String(), "\r\n\r\n"); return h }
	checkSubstrings(t, "agent header", head(agent), []string{"X-Guichet-Loop: guichet-prod-1", "Subject: =?utf-8?"}, []string{"Auto-Submitted", "X-Auto-Response-Suppress", "Precedence"})
	checkSubstrings(t, "automatic header", head(auto), []string{"Auto-Submitted: auto-generated", "X-Auto-Response-Suppress: All", "X-Guichet-Loop: guichet-prod-1"}, []string{"Precedence"})
}
