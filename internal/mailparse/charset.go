package mailparse

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	htmlcharset "golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// toUTF8 converts b from the charset label to valid UTF-8. It never fails:
// an unknown label or bytes invalid in their charset are read as UTF-8 when
// valid, else as windows-1252 (what browsers and mail clients read
// "iso-8859-1" as), and the returned warning says so. With sniffHTML and no
// label, a <meta charset> in the first 1 KiB is honoured.
func toUTF8(label string, b []byte, sniffHTML bool) (s, warning string) {
	label = normLabel(label)
	if isUTF8Label(label) {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		if utf8.Valid(b) {
			return string(b), ""
		}
		if label == "" && sniffHTML {
			enc, name, _ := htmlcharset.DetermineEncoding(b, "text/html")
			if out, err := enc.NewDecoder().Bytes(b); err == nil && name != "utf-8" {
				return strings.ToValidUTF8(string(out), "\uFFFD"), ""
			}
		}
		return latin1(b), "bytes not valid in charset " + quoteLabel(label) + " read as windows-1252"
	}
	if out, ok := decodeCharset(label, b); ok {
		return strings.ToValidUTF8(out, "\uFFFD"), ""
	}
	if utf8.Valid(b) {
		return string(b), "unknown charset " + quoteLabel(label) + " read as UTF-8"
	}
	return latin1(b), "unknown charset " + quoteLabel(label) + " read as windows-1252"
}

// decodeCharset decodes b with a known charset: WHATWG labels first (they
// map iso-8859-1 to windows-1252, gb2312 to gbk…, as mail clients do), then
// go-message's IANA table.
func decodeCharset(label string, b []byte) (string, bool) {
	if enc, err := htmlindex.Get(label); err == nil && enc != nil {
		out, err := enc.NewDecoder().Bytes(b)
		return string(out), err == nil
	}
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil || r == nil {
		return "", false
	}
	out, err := io.ReadAll(r)
	return string(out), err == nil
}

// latin1 reads b as windows-1252, which maps every byte to a rune.
func latin1(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		out, _ = encoding.Replacement.NewDecoder().Bytes(b)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// validUTF8 returns s itself when valid UTF-8, else s read as windows-1252:
// raw 8-bit header values come from old clients writing their local
// charset, or from RFC 6532 clients writing UTF-8.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return latin1([]byte(s))
}

func normLabel(label string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
}

func isUTF8Label(label string) bool {
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "unicode-1-1-utf-8":
		return true
	}
	return false
}

// quoteLabel keeps warnings short and printable whatever the label holds.
func quoteLabel(label string) string {
	if len(label) > 40 {
		label = label[:40]
	}
	return `"` + strings.ToValidUTF8(label, "?") + `"`
}
