package mailparse

import (
	"io"
	"mime"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message/textproto"
)

// Address is a mailbox: a display name (decoded, may be empty) and an
// address as written (case kept).
type Address struct {
	Name  string
	Email string
}

// String formats the address for a header (RFC 5322, RFC 2047 as needed).
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// maxHeaderValue bounds each value kept in Message.Headers.
const maxHeaderValue = 2048

// auditHeaders are the header fields kept in Message.Headers.
var auditHeaders = []string{"From", "To", "Cc", "Subject", "Date", "Message-ID"}

// maxWarnings bounds Message.Warnings: a hostile message could otherwise
// earn one per part.
const maxWarnings = 20

// headerDecoder decodes header values to UTF-8 and collects warnings for
// one Parse.
type headerDecoder struct {
	wd       mime.WordDecoder
	warnings []string
}

func newHeaderDecoder() *headerDecoder {
	d := &headerDecoder{}
	d.wd.CharsetReader = d.charsetReader
	return d
}

func (d *headerDecoder) warn(w string) {
	if w == "" || len(d.warnings) > maxWarnings || slices.Contains(d.warnings, w) {
		return
	}
	if len(d.warnings) == maxWarnings {
		w = "more warnings omitted"
	}
	d.warnings = append(d.warnings, printable(strings.ToValidUTF8(w, "\uFFFD")))
}

// charsetReader lets mime.WordDecoder read any charset: an encoded word in
// an unknown one is kept (read as UTF-8 or windows-1252) rather than
// failing the whole header.
func (d *headerDecoder) charsetReader(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxHeaderValue*4))
	if err != nil {
		return nil, err
	}
	s, warning := toUTF8(label, b, false)
	d.warn(warning)
	return strings.NewReader(s), nil
}

// text decodes an unstructured value: RFC 2047 words, raw 8-bit bytes, and
// control characters (which could forge lines in a log or a reply)
// replaced by spaces.
func (d *headerDecoder) text(v string) string {
	v = validUTF8(v)
	if strings.Contains(v, "=?") {
		if s, err := d.wd.DecodeHeader(v); err == nil {
			v = strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	return printable(v)
}

func printable(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }

// addresses parses an address list. A malformed list keeps every address
// that parses alone; nothing parsable gives nil.
func (d *headerDecoder) addresses(v string) []Address {
	v = strings.TrimSpace(validUTF8(v))
	if v == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: &d.wd}
	if list, err := p.ParseList(v); err == nil {
		return d.convert(list)
	}
	var out []Address
	for _, item := range splitAddressList(v) {
		if a, err := p.Parse(item); err == nil {
			out = append(out, d.convert([]*mail.Address{a})...)
		} else if a, ok := d.salvage(item); ok {
			out = append(out, a)
		}
	}
	return out
}

func (d *headerDecoder) convert(list []*mail.Address) []Address {
	out := make([]Address, 0, len(list))
	for _, a := range list {
		// net/mail leaves encoded words inside quotes, where Outlook and
		// others put them: decode them as every mail client does.
		out = append(out, Address{Name: d.text(a.Name), Email: printable(a.Address)})
	}
	return out
}

var bareAddress = regexp.MustCompile(`[^\s<>"(),;:@]+@[^\s<>"(),;:@]+`)

// salvage finds an address in a value net/mail refuses, such as
// `Jean Dupont <jean.dupont@exemple.fr` or `"a"b" <x@y>`.
func (d *headerDecoder) salvage(item string) (Address, bool) {
	loc := bareAddress.FindStringIndex(item)
	if loc == nil {
		return Address{}, false
	}
	name := strings.Trim(strings.TrimSpace(item[:loc[0]]), `"'< `)
	return Address{Name: d.text(name), Email: item[loc[0]:loc[1]]}, true
}

// splitAddressList splits on commas outside quotes, comments and angle
// brackets.
func splitAddressList(v string) []string {
	var out []string
	quoted, depth, angle, start := false, 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == ',' && depth == 0 && !angle:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// msgIDs extracts message ids, angle brackets stripped: every <…> token,
// or, from clients that forget the brackets, every word with an '@'.
func msgIDs(v string, max int) []string {
	var out []string
	for rest := v; len(out) < max; {
		open := strings.IndexByte(rest, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(rest[open:], '>')
		if end < 0 {
			break
		}
		if id := cleanID(rest[open+1 : open+end]); id != "" {
			out = append(out, id)
		}
		rest = rest[open+end+1:]
	}
	if len(out) > 0 || strings.Contains(v, "<") {
		return out
	}
	for _, f := range strings.Fields(v) {
		if id := cleanID(f); strings.Contains(id, "@") && len(out) < max {
			out = append(out, id)
		}
	}
	return out
}

func cleanID(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 998 || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '<' || r == '>' || r == 0x7f
	}) {
		return ""
	}
	return validUTF8(s)
}

// maxReferences keeps the most recent ids of a long thread: enough to
// thread, bounded for storage.
const maxReferences = 50

func references(v string) []string {
	ids := msgIDs(v, 10*maxReferences)
	if len(ids) > maxReferences {
		// Keep the root and the most recent, as RFC 5322 3.6.4 trimming does.
		ids = append(ids[:1], ids[len(ids)-maxReferences+1:]...)
	}
	return ids
}

// dateLayouts are tried after net/mail for dates seen in the wild.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	time.RFC3339,
}

// parseDate returns nil for an absent or unparsable date: the caller then
// uses the time of reception.
func parseDate(v string) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if t, err := mail.ParseDate(v); err == nil {
		return &t
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return &t
		}
	}
	return nil
}

// auditMap returns the headers kept for audit and quarantine display.
func (d *headerDecoder) auditMap(h textproto.Header) map[string]string {
	out := make(map[string]string, len(auditHeaders))
	for _, k := range auditHeaders {
		if v := h.Get(k); v != "" {
			v = d.text(v)
			if len(v) > maxHeaderValue {
				v = strings.ToValidUTF8(v[:maxHeaderValue], "")
			}
			out[k] = v
		}
	}
	return out
}
