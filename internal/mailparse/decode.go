package mailparse

import (
	"bufio"
	"encoding/base64"
	"io"
	"strings"
)

// transferDecoder undoes a Content-Transfer-Encoding. Both decoders are
// lenient: a stream is read once and already half given to a sink when a
// fault shows, so they skip what they cannot decode instead of failing.
// An unknown encoding gives the raw bytes, ok false.
func transferDecoder(enc string, r io.Reader) (dec io.Reader, ok bool) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return &base64Reader{r: r}, true
	case "quoted-printable":
		return &qpReader{br: bufio.NewReaderSize(r, 4096)}, true
	case "", "7bit", "8bit", "binary":
		return r, true
	}
	return r, false
}

// base64Reader decodes base64 ignoring anything outside the alphabet
// (line breaks, stray spaces, padding in the middle of concatenated
// blobs), as mail clients do.
type base64Reader struct {
	r       io.Reader
	in      [4096]byte
	clean   [4096 + 3]byte // alphabet characters of in, after those left over
	nclean  int            // characters left over from the previous read (< 4)
	out     []byte         // decoded, not yet returned
	outBuf  [3 * (4096 + 3) / 4]byte
	readErr error
}

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.readErr != nil {
			return 0, b.flush()
		}
		n, err := b.r.Read(b.in[:])
		b.readErr = err
		b.decode(b.in[:n])
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// decode decodes the whole quanta of what was read, keeping the rest.
func (b *base64Reader) decode(in []byte) {
	clean := b.clean[:b.nclean]
	for _, c := range in {
		if base64Alphabet[c] {
			clean = append(clean, c)
		}
	}
	whole := len(clean) / 4 * 4
	n, _ := base64.RawStdEncoding.Decode(b.outBuf[:], clean[:whole])
	b.out = b.outBuf[:n]
	b.nclean = copy(b.clean[:], clean[whole:])
}

// flush decodes a last incomplete quantum (missing padding) and returns
// the final error: io.EOF, or the underlying reader's.
func (b *base64Reader) flush() error {
	if b.nclean >= 2 {
		n, _ := base64.RawStdEncoding.Decode(b.outBuf[:], b.clean[:b.nclean])
		b.out, b.nclean = b.outBuf[:n], 0
		return nil
	}
	return b.readErr
}

var base64Alphabet = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = true
	}
	return t
}()

// qpReader decodes quoted-printable. Unlike mime/quotedprintable it never
// fails: a '=' not followed by two hex digits or a line break is kept as
// is, control bytes pass, and lines of any length are accepted.
type qpReader struct {
	br   *bufio.Reader
	line []byte // decoded bytes of the current line not yet returned
	buf  []byte
	err  error
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.line) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		q.nextLine()
	}
	n := copy(p, q.line)
	q.line = q.line[n:]
	return n, nil
}

// nextLine decodes the next line, or the next 4 KiB of an endless one.
func (q *qpReader) nextLine() {
	raw, err := q.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		err = nil
	}
	q.err = err
	eol := ""
	body := raw
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body, eol = body[:n-1], "\n"
		if n := len(body); n > 0 && body[n-1] == '\r' {
			body, eol = body[:n-1], "\r\n"
		}
		// RFC 2045 6.7 (3): trailing whitespace of a line is padding.
		body = trimRightSpace(body)
	}
	out := q.buf[:0]
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i == len(body)-1 && (eol != "" || q.err != nil) {
			eol = "" // soft line break
			break
		}
		if i+2 < len(body) && isHex(body[i+1]) && isHex(body[i+2]) {
			out = append(out, unhex(body[i+1])<<4|unhex(body[i+2]))
			i += 2
			continue
		}
		out = append(out, c)
	}
	out = append(out, eol...)
	q.buf, q.line = out, out
}

func trimRightSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
