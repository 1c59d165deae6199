package mailparse

import (
	"regexp"
	"slices"
	"strings"

	"github.com/emersion/go-message/mail"
)

// LoopHeader is set by Compose on every mail Guichet sends, with the
// sending instance's id as value. Mail carrying it is Guichet's own and is
// never ingested as a new request.
const LoopHeader = "X-Guichet-Loop"

// Classification tells how a message came to be, from its header alone,
// so that ingestion decides what to do with it before reading its body.
type Classification struct {
	// AutoReply is set only on strong signals that a machine wrote the
	// message (RFC 3834 Auto-Submitted, X-Autoreply, X-Autorespond,
	// Precedence auto_reply/bulk/junk, a mailer-daemon or postmaster
	// sender, a null Return-Path, a delivery or read report); such a
	// message never gets an automatic answer and never reopens a ticket
	// by itself. AutoReplyReason names the signal, e.g.
	// "Auto-Submitted: auto-replied".
	AutoReply       bool
	AutoReplyReason string
	// SuppressAutoResponse is set when the sender asks for no automatic
	// answer (X-Auto-Response-Suppress other than None) or the message
	// comes from a list (List-Id, List-Unsubscribe, Precedence: list). The
	// message is still a person's or a list's, not an auto-reply.
	SuppressAutoResponse bool
	// Loop is set when the message carries LoopHeader: Guichet sent it.
	// LoopID is the header's value, the sending instance's id: a caller
	// that accepts requests from other Guichet installations compares it
	// with its own.
	Loop   bool
	LoopID string
}

// MayAutoRespond reports whether an automatic answer (acknowledgement of
// receipt) may be sent to the message's sender.
func (c Classification) MayAutoRespond() bool {
	return !c.AutoReply && !c.SuppressAutoResponse && !c.Loop
}

// Classify reads the classification signals of a header.
func Classify(h mail.Header) Classification {
	var c Classification
	c.AutoReplyReason = autoReplyReason(h)
	c.AutoReply = c.AutoReplyReason != ""
	c.SuppressAutoResponse = suppressesAutoResponse(h)
	c.Loop = h.Has(LoopHeader)
	c.LoopID = printable(validUTF8(strings.TrimSpace(h.Get(LoopHeader))))
	return c
}

func autoReplyReason(h mail.Header) string {
	if kind := reportType(h); kind != "" {
		return "Content-Type: multipart/report; report-type=" + kind
	}
	if v := firstToken(h.Get("Auto-Submitted")); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond"} {
		if h.Has(k) {
			return k
		}
	}
	switch v := firstToken(h.Get("Precedence")); v {
	case "auto_reply", "bulk", "junk":
		return "Precedence: " + v
	}
	if local := senderLocalPart(h); isDaemon(local) {
		return "From: " + local
	}
	// RFC 5321 4.5.5: notifications go out with a null reverse-path, which
	// the delivering server copies to Return-Path.
	if rp := strings.TrimSpace(h.Get("Return-Path")); rp == "<>" {
		return "Return-Path: <>"
	}
	return ""
}

// reportType returns the report-type of a delivery-status or read report
// (RFC 3462, RFC 6533, RFC 8098), "" for any other message.
func reportType(h mail.Header) string {
	typ, params := parseMediaType(h.Get("Content-Type"), newHeaderDecoder())
	if typ != "multipart/report" {
		return ""
	}
	switch kind := strings.ToLower(params["report-type"]); kind {
	case "delivery-status", "global-delivery-status", "disposition-notification":
		return kind
	}
	return ""
}

func isDeliveryReport(h mail.Header) bool {
	k := reportType(h)
	return k == "delivery-status" || k == "global-delivery-status"
}

func suppressesAutoResponse(h mail.Header) bool {
	if v := strings.TrimSpace(h.Get("X-Auto-Response-Suppress")); v != "" && !strings.EqualFold(v, "none") {
		return true
	}
	if h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" {
		return true
	}
	return firstToken(h.Get("Precedence")) == "list"
}

// firstToken returns the lower-case value before any ';' parameter or
// comment.
func firstToken(v string) string {
	v, _, _ = strings.Cut(v, ";")
	v, _, _ = strings.Cut(v, "(")
	return strings.ToLower(strings.TrimSpace(v))
}

func isDaemon(local string) bool { return local == "mailer-daemon" || local == "postmaster" }

func senderLocalPart(h mail.Header) string {
	from := newHeaderDecoder().addresses(h.Get("From"))
	if len(from) == 0 {
		return ""
	}
	local, _, _ := strings.Cut(from[0].Email, "@")
	return strings.ToLower(local)
}

var ticketNumber = regexp.MustCompile(`\bT-\d{4}-\d{6,}\b`)

// TicketNumbers returns the ticket numbers (T-2026-000123) found in a
// subject, in order, without duplicates; nil when none.
func TicketNumbers(subject string) []string {
	var out []string
	for _, n := range ticketNumber.FindAllString(subject, 32) {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
