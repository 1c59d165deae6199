package mailparse

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// DSN is what a delivery status notification says about a message that
// Guichet (or anyone) sent. The fields are those of the first recipient
// that failed (else the first one), "" when not given.
type DSN struct {
	// Standard is set for an RFC 3464 report (multipart/report;
	// report-type=delivery-status); otherwise the fields were read from
	// the text of a mailer-daemon's bounce, with Action guessed from the
	// status class ("failed" unless 4.x.x, "delayed").
	Standard          bool
	Action            string // failed, delayed, delivered, relayed, expanded (lower case)
	Status            string // enhanced status code, e.g. 5.1.1
	FinalRecipient    string // the address, without its "rfc822;" type
	DiagnosticCode    string // e.g. "smtp; 550 5.1.1 <x@y>: Recipient address rejected"
	ReportingMTA      string // without its "dns;" type
	OriginalMessageID string // of the message that bounced, without angle brackets
}

// reportParts keeps copies of the report parts of a message.
type reportParts struct {
	status   []byte // message/delivery-status
	original []byte // message/rfc822 or text/rfc822-headers: the bounced message's header
}

// wants tells whether a part of this type is to be copied: the first of
// each kind only.
func (r *reportParts) wants(typ string) bool {
	switch typ {
	case "message/delivery-status", "message/global-delivery-status":
		return r.status == nil
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
		return r.original == nil
	}
	return false
}

func (r *reportParts) note(typ string, b []byte) {
	switch {
	case b == nil:
	case strings.HasSuffix(typ, "delivery-status"):
		if r.status == nil {
			r.status = b
		}
	case r.original == nil:
		r.original = b
	}
}

// bounce builds the DSN of a delivery report, or of a mailer-daemon's
// non-standard bounce when its text names a status code or quotes the
// original Message-ID. Other messages get nil.
func (p *parser) bounce(h mail.Header) *DSN {
	var d *DSN
	switch {
	case isDeliveryReport(h):
		d = parseDeliveryStatus(p.report.status)
		d.Standard = true
	case isDaemon(senderLocalPart(h)):
		d = scanBounceText(p.msg.Text + "\n" + p.msg.TextFromHTML)
		// Exim names the failed recipients in a header of its own.
		if failed := p.dec.addresses(h.Get("X-Failed-Recipients")); len(failed) > 0 {
			d.FinalRecipient = failed[0].Email
		}
	default:
		return nil
	}
	if id := originalMessageID(p.report.original); id != "" {
		d.OriginalMessageID = id
	}
	if !d.Standard && d.Status == "" && d.OriginalMessageID == "" {
		return nil
	}
	return d
}

// parseDeliveryStatus reads the per-message and per-recipient field
// blocks of a message/delivery-status part (RFC 3464 2.1).
func parseDeliveryStatus(b []byte) *DSN {
	d := &DSN{}
	br := bufio.NewReader(bytes.NewReader(b))
	perMessage, _ := textproto.ReadHeader(br)
	d.ReportingMTA = typedValue(perMessage.Get("Reporting-Mta"))
	for i := 0; i < 100; i++ {
		if _, err := br.Peek(1); err != nil {
			break // ReadHeader reads an empty header at the end, forever
		}
		h, err := textproto.ReadHeader(br)
		if h.Has("Action") || h.Has("Final-Recipient") {
			if d.Action == "" || d.Action != "failed" && firstToken(h.Get("Action")) == "failed" {
				d.Action = firstToken(h.Get("Action"))
				d.Status = firstField(h.Get("Status"))
				d.FinalRecipient = strings.Trim(typedValue(h.Get("Final-Recipient")), "<>")
				d.DiagnosticCode = printable(validUTF8(h.Get("Diagnostic-Code")))
			}
		}
		if err != nil {
			break
		}
	}
	return d
}

// typedValue strips the address or name type of a DSN field ("rfc822;
// x@y", "dns; mx.example.com").
func typedValue(v string) string {
	if _, after, ok := strings.Cut(v, ";"); ok {
		v = after
	}
	return printable(validUTF8(strings.TrimSpace(v)))
}

func firstField(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return printable(validUTF8(f[0]))
	}
	return ""
}

// originalMessageID reads the Message-ID of the bounced message's header.
func originalMessageID(b []byte) string {
	if b == nil {
		return ""
	}
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b)))
	if ids := msgIDs(h.Get("Message-Id"), 1); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

var (
	statusCode = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
	quotedID   = regexp.MustCompile(`(?im)^\s*>?\s*message-id:\s*<([^<>\s]+)>`)
	// recipientLine: Postfix and qmail "<x@y>: host … said:", Exim's
	// indented address under "failed:".
	recipientLine = regexp.MustCompile(`(?m)^\s*<([^<>\s@]+@[^<>\s]+)>:|failed:\s*\n\s*<?([^<>\s@]+@[^<>\s:]+)>?`)
)

// scanBounceText reads what it can of a bounce written for people:
// Postfix without DSN, qmail, Exim, Exchange's NDR text.
func scanBounceText(text string) *DSN {
	d := &DSN{}
	if m := statusCode.FindStringSubmatch(text); m != nil {
		d.Status = m[1]
	}
	if m := quotedID.FindStringSubmatch(text); m != nil {
		d.OriginalMessageID = cleanID(m[1])
	}
	if m := recipientLine.FindStringSubmatch(text); m != nil {
		d.FinalRecipient = m[1] + m[2]
	}
	d.Action = "failed"
	if strings.HasPrefix(d.Status, "4") {
		d.Action = "delayed"
	}
	return d
}
