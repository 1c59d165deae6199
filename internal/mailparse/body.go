package mailparse

import (
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// body appends a text/plain or text/html part to the message's body of
// that kind. Clients split a body around inline images (Apple Mail) or add
// a list footer as a part of its own: the parts are read in order.
func (p *parser) body(typ string, params map[string]string, r io.Reader) error {
	isHTML := typ == "text/html"
	buf := &p.text
	if isHTML {
		buf = &p.html
	}
	room := p.lim.MaxBodyText - buf.Len()
	raw, err := io.ReadAll(io.LimitReader(r, int64(max(room, 0))))
	if err != nil {
		return p.fault()
	}
	if n, err := io.Copy(io.Discard, r); err != nil {
		return p.fault()
	} else if n > 0 {
		p.msg.Truncated = true
	}
	s, warning := toUTF8(params["charset"], raw, isHTML)
	p.dec.warn(warning)
	if !isHTML {
		s = normalizeNewlines(s)
		if strings.EqualFold(params["format"], "flowed") {
			s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
		}
		if buf.Len() > 0 && !strings.HasSuffix(buf.String(), "\n") {
			s = "\n" + s
		}
	}
	// Decoding can grow the text (windows-1252 to UTF-8): cut again.
	if len(s) > room {
		s, p.msg.Truncated = cutUTF8(s, room), true
	}
	buf.WriteString(s)
	return nil
}

// cutUTF8 cuts s to at most n bytes without splitting a rune.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676), as
// Thunderbird writes it: a line ending in a space continues on the next
// line of the same quote depth.
func unflow(s string, delsp bool) string {
	var b strings.Builder
	b.Grow(len(s))
	open, openDepth := false, 0
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(line[depth:], " ") // space-stuffing
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		if open && depth != openDepth {
			b.WriteByte('\n') // a quote level change ends the paragraph
			open = false
		}
		if !open && depth > 0 {
			b.WriteString(strings.Repeat(">", depth))
			if content != "" {
				b.WriteByte(' ')
			}
		}
		b.WriteString(content)
		open, openDepth = flowed, depth
		if !flowed {
			b.WriteByte('\n')
		}
	}
	if open {
		b.WriteByte('\n')
	}
	return b.String()
}

// cleanFilename keeps the base name of what a sender wrote as filename:
// Internet Explorer sent full paths, and a name is never a path here.
func cleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = strings.TrimSpace(path.Base(name))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return cutUTF8(name, 255)
}

// attachment streams a part to the sink, keeping a copy of the first bytes
// of report parts for the bounce analysis.
func (p *parser) attachment(info PartInfo, r io.Reader) error {
	c := &countingReader{r: r}
	if p.report.wants(info.ContentType) {
		c.capture = make([]byte, 0, 4096)
	}
	a := Attachment{PartInfo: info}
	if p.sink != nil {
		ref, size, err := p.sink.Put(info, c)
		if f := p.fault(); f != nil {
			return f
		}
		if err != nil {
			return &sinkError{name: info.Filename, err: err}
		}
		a.Ref, a.Size = ref, size
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		return p.fault()
	}
	if p.sink == nil {
		a.Size = c.n
	}
	p.msg.Attachments = append(p.msg.Attachments, a)
	p.report.note(info.ContentType, c.capture)
	return nil
}

type sinkError struct {
	name string
	err  error
}

func (e *sinkError) Error() string {
	return "mailparse: store attachment " + quoteLabel(e.name) + ": " + e.err.Error()
}
func (e *sinkError) Unwrap() error { return e.err }

// maxCapture bounds the copy kept of a report part: a delivery status, or
// the header of the message that bounced.
const maxCapture = 64 << 10

// countingReader counts what it yields and keeps its first bytes when
// capture is non-nil.
type countingReader struct {
	r       io.Reader
	n       int64
	capture []byte
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if c.capture != nil && len(c.capture) < maxCapture {
		c.capture = append(c.capture, b[:min(n, maxCapture-len(c.capture))]...)
	}
	return n, err
}
