// Package mailparse reads and writes e-mail for Guichet's mail channel.
//
// Parse reads a raw RFC 5322 message as a stream, whatever its size up to
// Limits.MaxBytes: text and HTML bodies are kept (bounded), attachments go
// to an AttachmentSink as they are read, and nothing else is held. It
// decodes what clients write in the wild (any charset, RFC 2047 and 2231,
// format=flowed, broken encodings) without failing, and classifies the
// message (auto-reply, list, bounce, Guichet's own mail). Compose writes
// Guichet's outgoing mail with the headers that keep threads together and
// mail loops away.
//
// The package is pure: no I/O but the reader and writer it is given, no
// clock, no globals but read-only tables; it is safe for concurrent use.
package mailparse

import (
	"bufio"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Message is a parsed e-mail. Every string is valid UTF-8.
type Message struct {
	// MessageID is the Message-ID without angle brackets. A message
	// without one gets "sha256-<hex of the raw message>@guichet.invalid",
	// the same for the same bytes, with Synthetic set.
	MessageID  string
	Synthetic  bool
	InReplyTo  string   // the first id of In-Reply-To, "" when none
	References []string // oldest first; the root and the latest 49 of a longer chain
	Subject    string   // RFC 2047 decoded
	From       *Address // nil when missing or unparsable
	To         []Address
	Cc         []Address
	ReplyTo    []Address
	Date       *time.Time // nil when missing or unparsable

	Text         string // the text/plain body, LF line ends, format=flowed undone
	HTML         string // the text/html body, sanitised: safe to show in a page
	TextFromHTML string // text derived from the HTML body, when there is no text/plain one
	// Excerpt is the body without the quoted history of the thread: what
	// the sender wrote in this message.
	Excerpt     string
	Attachments []Attachment // attachments and inline parts, in order

	Classification
	Bounce *DSN // non-nil for a delivery status notification

	// Headers keeps From, To, Cc, Subject, Date and Message-ID as written
	// (RFC 2047 decoded, at most 2 KiB each) for audit and quarantine
	// display; a missing field has no key.
	Headers   map[string]string
	Truncated bool     // a body was cut at Limits.MaxBodyText
	Warnings  []string // what was read leniently (unknown charset, encoding…)
	SHA256    string   // lower-case hex of the raw message
	Size      int64    // bytes of the raw message
}

// PartInfo describes an attachment or inline part. ContentType is the
// lower-case media type without parameters; Filename (decoded, without any
// path) and ContentID (without angle brackets) may be empty. Inline is the
// sender's wish to show the part in the body (Content-Disposition: inline,
// or a Content-ID without disposition).
type PartInfo struct {
	Filename    string
	ContentType string
	ContentID   string
	Inline      bool
}

// Attachment is a part given to the AttachmentSink.
type Attachment struct {
	PartInfo
	Ref  string // what the sink returned; "" without a sink
	Size int64  // what the sink stored, or the decoded size without a sink
}

// AttachmentSink stores attachments as Parse reads them. Put reads r,
// which yields the decoded content, and returns a reference to what it
// stored; it may stop reading early (Parse skips the rest). An error from
// Put fails Parse, unless it came from the message exceeding a limit (the
// QuarantineError wins). Parse returns no Message after an error, so a
// sink that stores blobs removes them when Parse fails.
type AttachmentSink interface {
	Put(p PartInfo, r io.Reader) (ref string, size int64, err error)
}

// Parse reads one message from r. It returns a *QuarantineError (test with
// errors.As) when the message exceeds lim, an error from r or from the sink
// as is, wrapped; anything else in the message is read leniently and at
// most noted in Message.Warnings. A nil sink discards attachments but
// still lists them.
func Parse(r io.Reader, lim Limits, sink AttachmentSink) (*Message, error) {
	lim = lim.withDefaults()
	p := &parser{lim: lim, sink: sink, src: newSource(r, lim.MaxBytes), dec: newHeaderDecoder()}
	br := bufio.NewReaderSize(p.src, 32<<10)

	p.src.openHeaderWindow(lim.MaxHeaderBytes)
	h, err := textproto.ReadHeader(br)
	p.src.closeHeaderWindow()
	p.headers = p.dec.auditMap(h)
	if f := p.fault(); f != nil {
		return nil, f
	}
	if err != nil && err != io.EOF {
		p.dec.warn("malformed header, the rest is read as body: " + shorten(err.Error()))
	}

	p.msg = &Message{Headers: p.headers}
	p.readHeader(h)
	if err := p.entity(h, br, 0, ""); err != nil {
		return nil, err
	}
	// The epilogue, and anything after a malformed structure, still counts
	// for the size and the hash.
	if _, err := io.Copy(io.Discard, br); err != nil {
		if f := p.fault(); f != nil {
			return nil, f
		}
	}
	if f := p.fault(); f != nil {
		return nil, f
	}
	p.finish(h)
	return p.msg, nil
}

// parser is the state of one Parse.
type parser struct {
	lim     Limits
	sink    AttachmentSink
	src     *source
	dec     *headerDecoder
	msg     *Message
	headers map[string]string
	parts   int

	text, html strings.Builder
	report     reportParts
}

func (p *parser) fault() error { return p.src.fault(p.lim, p.headers) }

func (p *parser) readHeader(h textproto.Header) {
	m, d := p.msg, p.dec
	if ids := msgIDs(h.Get("Message-Id"), 1); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	if ids := msgIDs(h.Get("In-Reply-To"), 1); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = references(h.Get("References"))
	m.Subject = d.text(h.Get("Subject"))
	if from := d.addresses(h.Get("From")); len(from) > 0 {
		m.From = &from[0]
	}
	m.To = d.addresses(strings.Join(h.Values("To"), ", "))
	m.Cc = d.addresses(strings.Join(h.Values("Cc"), ", "))
	m.ReplyTo = d.addresses(h.Get("Reply-To"))
	m.Date = parseDate(h.Get("Date"))
}

// entity reads one MIME entity: the message itself (depth 0) or a part of
// a multipart at depth-1.
func (p *parser) entity(h textproto.Header, body io.Reader, depth int, parent string) error {
	p.parts++
	if p.parts > p.lim.MaxParts {
		return &QuarantineError{Reason: ReasonTooManyParts, Limit: int64(p.lim.MaxParts), Headers: p.headers}
	}
	typ, params := parseMediaType(h.Get("Content-Type"), p.dec)
	if !validMediaType(typ) {
		typ = defaultType(parent) // RFC 2045 5.2: an invalid type is the default one
	}
	if strings.HasPrefix(typ, "multipart/") {
		if params["boundary"] != "" {
			return p.multipart(typ, params["boundary"], body, depth)
		}
		p.dec.warn(typ + " without boundary read as text")
		typ, params = "text/plain", nil
	}
	return p.leaf(h, typ, params, body)
}

// defaultType is the type of a part without Content-Type (RFC 2046 5.1.5).
func defaultType(parent string) string {
	if parent == "multipart/digest" {
		return "message/rfc822"
	}
	return "text/plain"
}

func (p *parser) multipart(typ, boundary string, body io.Reader, depth int) error {
	if depth+1 > p.lim.MaxDepth {
		return &QuarantineError{Reason: ReasonTooDeep, Limit: int64(p.lim.MaxDepth), Headers: p.headers}
	}
	mr := textproto.NewMultipartReader(body, boundary)
	for {
		p.src.openHeaderWindow(p.lim.MaxHeaderBytes)
		part, err := mr.NextPart()
		p.src.closeHeaderWindow()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if f := p.fault(); f != nil {
				return f
			}
			p.dec.warn("malformed " + typ + ": " + shorten(err.Error()))
			return nil
		}
		if err := p.entity(part.Header, part, depth+1, typ); err != nil {
			return err
		}
		// Drained here, not by NextPart, so that the header window only
		// counts the next header.
		if _, err := io.Copy(io.Discard, part); err != nil {
			if f := p.fault(); f != nil {
				return f
			}
		}
	}
}

func (p *parser) leaf(h textproto.Header, typ string, params map[string]string, body io.Reader) error {
	disp, dparams := parseMediaType(h.Get("Content-Disposition"), p.dec)
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	enc := h.Get("Content-Transfer-Encoding")
	dec, ok := transferDecoder(enc, body)
	if !ok {
		p.dec.warn("unknown transfer encoding " + quoteLabel(enc) + ", raw bytes kept")
	}
	r := &partReader{r: dec, p: p}
	if (typ == "text/plain" || typ == "text/html") && disp != "attachment" && filename == "" {
		return p.body(typ, params, r)
	}
	info := PartInfo{
		Filename:    cleanFilename(filename),
		ContentType: typ,
		ContentID:   firstID(h.Get("Content-Id")),
	}
	info.Inline = disp == "inline" || disp == "" && info.ContentID != ""
	return p.attachment(info, r)
}

func firstID(v string) string {
	if ids := msgIDs(v, 1); len(ids) > 0 {
		return ids[0]
	}
	return cleanID(v)
}

// partReader ends a part cleanly where go-message reports a malformed
// structure (a missing closing boundary), so that bodies and sinks keep
// what was read; a fault of the source still shows as an error.
type partReader struct {
	r io.Reader
	p *parser
}

func (pr *partReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	if err != nil && err != io.EOF {
		if pr.p.fault() != nil {
			return n, errLimit
		}
		pr.p.dec.warn("part cut short: " + shorten(err.Error()))
		return n, io.EOF
	}
	return n, err
}

func (p *parser) finish(h textproto.Header) {
	m := p.msg
	m.Size = p.src.n
	m.SHA256 = hex.EncodeToString(p.src.hash.Sum(nil))
	if m.MessageID == "" {
		m.MessageID, m.Synthetic = "sha256-"+m.SHA256+"@guichet.invalid", true
	}
	p.finishBodies()
	mh := mail.Header{Header: message.Header{Header: h}}
	m.Classification = Classify(mh)
	m.Bounce = p.bounce(mh)
	m.Warnings = p.dec.warnings
}

// shorten keeps warnings readable when an error quotes a long line.
func shorten(s string) string {
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
