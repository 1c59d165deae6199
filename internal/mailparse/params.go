package mailparse

import (
	"sort"
	"strconv"
	"strings"
)

// maxParams bounds the parameters kept from one Content-Type or
// Content-Disposition value.
const maxParams = 64

// parseMediaType parses a Content-Type or Content-Disposition value. Unlike
// mime.ParseMediaType it keeps what it can of a malformed value, decodes
// RFC 2231 values in any charset (Thunderbird and Apple Mail write them)
// and RFC 2047 words inside quoted values (Outlook and Gmail write them).
// The type and the parameter names are lower-case; the type is "" when
// absent.
func parseMediaType(v string, d *headerDecoder) (string, map[string]string) {
	base, rest, _ := strings.Cut(v, ";")
	typ := strings.ToLower(strings.TrimSpace(base))
	if i := strings.IndexAny(typ, " \t("); i >= 0 {
		typ = typ[:i]
	}
	raw := rawParams(rest)
	params := make(map[string]string, len(raw))
	for k, val := range raw {
		if !strings.Contains(k, "*") {
			params[k] = d.text(val)
		}
	}
	for name, val := range extendedParams(raw, d) {
		params[name] = val // RFC 2231 3: the extended form wins
	}
	return typ, params
}

// rawParams splits `; key=value; key="quoted"` pairs, skipping what does
// not parse.
func rawParams(s string) map[string]string {
	out := make(map[string]string)
	for len(s) > 0 && len(out) < maxParams {
		s = strings.TrimLeft(s, " \t\r\n;")
		eq := strings.IndexAny(s, "=;")
		if eq < 0 {
			break
		}
		if s[eq] == ';' { // a key without value
			s = s[eq:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		var val string
		val, s = paramValue(strings.TrimLeft(s[eq+1:], " \t\r\n"))
		if key != "" {
			if _, dup := out[key]; !dup {
				out[key] = val
			}
		}
	}
	return out
}

// paramValue reads a token or a quoted string; an unterminated quote runs
// to the end.
func paramValue(s string) (val, rest string) {
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s, ';')
		if end < 0 {
			end = len(s)
		}
		return strings.TrimSpace(s[:end]), s[end:]
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:]
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			// Any other backslash is literal: Internet Explorer sent
			// unescaped Windows paths (filename="C:\docs\a.pdf").
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// extendedParams stitches RFC 2231 parameters: name*=charset'lang'%XX and
// the numbered sections name*0*, name*1, … . The charset of section 0
// applies to the whole value.
func extendedParams(raw map[string]string, d *headerDecoder) map[string]string {
	type section struct {
		n       int
		val     string
		encoded bool
	}
	sections := make(map[string][]section)
	for k, v := range raw {
		name, idx, ok := strings.Cut(k, "*")
		if !ok || name == "" {
			continue
		}
		encoded := strings.HasSuffix(idx, "*") || idx == ""
		idx = strings.TrimSuffix(idx, "*")
		n := 0
		if idx != "" {
			var err error
			if n, err = strconv.Atoi(idx); err != nil || n < 0 || n >= maxParams {
				continue
			}
		}
		sections[name] = append(sections[name], section{n, v, encoded})
	}
	out := make(map[string]string, len(sections))
	for name, secs := range sections {
		sort.Slice(secs, func(i, j int) bool { return secs[i].n < secs[j].n })
		label := ""
		var b strings.Builder
		for i, s := range secs {
			if s.n != i {
				break // a gap: RFC 2231 says to ignore what follows
			}
			v := s.val
			if s.encoded {
				if i == 0 {
					if cs, after, ok := strings.Cut(v, "'"); ok {
						if _, after2, ok := strings.Cut(after, "'"); ok {
							label, v = cs, after2
						}
					}
				}
				v = percentDecode(v)
			}
			b.WriteString(v)
		}
		s, warning := toUTF8(label, []byte(b.String()), false)
		d.warn(warning)
		out[name] = s
	}
	return out
}

// percentDecode decodes %XX escapes, keeping a malformed '%' as is.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
