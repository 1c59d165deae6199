package mailparse

import (
	"bufio"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

func header(t *testing.T, raw string) mail.Header {
	t.Helper()
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw + "\n\n")))
	if err != nil {
		t.Fatal(err)
	}
	return mail.Header{Header: message.Header{Header: h}}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		header   string
		reason   string
		suppress bool
		loop     string
	}{
		"PersonalMail":             {"From: Jean <jean@exemple.fr>", "", false, ""},
		"AutoSubmittedNo":          {"From: jean@exemple.fr\nAuto-Submitted: no", "", false, ""},
		"AutoSubmittedReplied":     {"Auto-Submitted: Auto-Replied; owner-email=\"x@y\"", "Auto-Submitted: auto-replied", false, ""},
		"AutoSubmittedGenerated":   {"Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated", false, ""},
		"XAutoreply":               {"X-Autoreply: yes", "X-Autoreply", false, ""},
		"XAutorespond":             {"X-Autorespond: vacation", "X-Autorespond", false, ""},
		"PrecedenceAutoReply":      {"Precedence: auto_reply", "Precedence: auto_reply", false, ""},
		"PrecedenceJunk":           {"Precedence: JUNK", "Precedence: junk", false, ""},
		"PrecedenceBulkAndList":    {"Precedence: bulk\nList-Id: <news.exemple.fr>", "Precedence: bulk", true, ""},
		"PrecedenceListOnly":       {"Precedence: list", "", true, ""},
		"MailerDaemon":             {"From: Mail Delivery Subsystem <MAILER-DAEMON@exemple.fr>", "From: mailer-daemon", false, ""},
		"Postmaster":               {"From: postmaster@exemple.fr", "From: postmaster", false, ""},
		"PostmasterInNameOnly":     {"From: \"postmaster\" <jean@exemple.fr>", "", false, ""},
		"NullReturnPath":           {"Return-Path: <>", "Return-Path: <>", false, ""},
		"DSN":                      {"Content-Type: multipart/report; report-type=\"delivery-status\"; boundary=x", "Content-Type: multipart/report; report-type=delivery-status", false, ""},
		"ReadReceipt":              {"Content-Type: multipart/report; report-type=disposition-notification; boundary=x", "Content-Type: multipart/report; report-type=disposition-notification", false, ""},
		"SuppressAll":              {"X-Auto-Response-Suppress: All", "", true, ""},
		"SuppressNone":             {"X-Auto-Response-Suppress: None", "", false, ""},
		"ListUnsubscribe":          {"List-Unsubscribe: <mailto:u@exemple.fr>", "", true, ""},
		"GuichetLoop":              {LoopHeader + ": guichet-prod-1\nAuto-Submitted: auto-generated", "Auto-Submitted: auto-generated", false, "guichet-prod-1"},
		"GuichetAgentReply":        {LoopHeader + ": guichet-prod-1", "", false, "guichet-prod-1"},
		"UnparsableFromIsNoSignal": {"From: <<<", "", false, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := Classify(header(t, tt.header))
			if c.AutoReplyReason != tt.reason || c.AutoReply != (tt.reason != "") {
				t.Errorf("AutoReply = %v %q, want %q", c.AutoReply, c.AutoReplyReason, tt.reason)
			}
			if c.SuppressAutoResponse != tt.suppress {
				t.Errorf("SuppressAutoResponse = %v, want %v", c.SuppressAutoResponse, tt.suppress)
			}
			if c.Loop != (tt.loop != "") || c.LoopID != tt.loop {
				t.Errorf("Loop = %v %q, want %q", c.Loop, c.LoopID, tt.loop)
			}
			if want := tt.reason == "" && !tt.suppress && tt.loop == ""; c.MayAutoRespond() != want {
				t.Errorf("MayAutoRespond = %v, want %v", c.MayAutoRespond(), want)
			}
		})
	}
}

func TestTicketNumbers(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"Re: [T-2026-000123] Accès au portail":               {"T-2026-000123"},
		"TR: T-2026-000123 et T-2025-1234567, T-2026-000123": {"T-2026-000123", "T-2025-1234567"},
		"T-2026-00012 trop court":                            nil,
		"XT-2026-000123 collé":                               nil,
		"Facture 2026-000123":                                nil,
		"":                                                   nil,
	}
	for subject, want := range tests {
		if got := TicketNumbers(subject); !slices.Equal(got, want) {
			t.Errorf("TicketNumbers(%q) = %v, want %v", subject, got, want)
		}
	}
}
