// Package textsearch turns names, e-mail addresses and phone numbers into the
// tokens stored in the search_tokens table, and user queries into the prefix
// terms matched against them.
//
// Both databases match a term p with the byte-wise range
// token >= p AND token < PrefixEnd(p), so everything here is pure Go and
// deterministic: the same input gives the same tokens on SQLite and
// PostgreSQL. (PostgreSQL must compare with COLLATE "C" for the order to be
// byte-wise.) Every token and term is valid UTF-8 without NUL bytes, at most
// MaxTokenBytes long.
//
// The output depends on the Unicode tables of golang.org/x/text and on the
// phone metadata of github.com/nyaruka/phonenumbers; bump Version when a
// change here or an upgrade of either alters tokens, so that stored tokens are
// rebuilt.
package textsearch

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Version identifies the tokenisation scheme. Stored tokens made by another
// version must be rebuilt.
const Version = 1

// MaxTokenBytes bounds the length of every token and query term, in bytes;
// longer ones are cut at a rune boundary.
const MaxTokenBytes = 64

// letterMap spells out letters that Unicode does not decompose into a base
// letter plus marks. Keys are case-folded runes.
var letterMap = map[rune]string{
	'œ': "oe",
	'æ': "ae",
	'ß': "ss",
	'ø': "o",
	'ł': "l",
	'đ': "d",
	'ð': "d",
	'ı': "i",
	'ħ': "h",
	'ŧ': "t",
	'þ': "th",
}

// apostrophes separate words ("d'Art", "N’Diaye"). U+02BC is a letter for
// Unicode, so it must be listed or it would glue words together.
var apostrophes = map[rune]bool{
	'\'':     true,
	'\u2019': true, // ’
	'\u2018': true, // ‘
	'\u02BC': true, // ʼ
	'`':      true,
	'\u2032': true, // ′
}

// Fold returns s in the form used for matching: compatibility-decomposed
// (NFKD), case-folded then lower-cased, without combining marks, with the
// letters of letterMap spelled out, apostrophes and control characters
// turned into spaces, format characters (soft hyphen, zero-width joiner…)
// and invalid UTF-8 bytes dropped, and runs of white space collapsed into one
// space, trimmed at both ends. Other punctuation and symbols are kept; Words
// splits on them.
//
// Fold is idempotent: Fold(Fold(s)) == Fold(s).
func Fold(s string) string {
	s = decompose(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case isSeparator(r):
			space = b.Len() > 0
		case isIgnorable(r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			writeLetter(&b, r)
		}
	}
	return b.String()
}

// decompose returns s as valid UTF-8, case-folded and in NFKD.
func decompose(s string) string {
	s = strings.ToValidUTF8(s, "")
	// Case folding can produce decomposable letters (İ gives i + U+0307), so
	// decompose again after it. A Caser is stateful, hence one per call.
	return norm.NFKD.String(cases.Fold().String(norm.NFKD.String(s)))
}

func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || apostrophes[r]
}

func isIgnorable(r rune) bool {
	return unicode.Is(unicode.Mark, r) || unicode.Is(unicode.Cf, r)
}

// writeLetter writes r lower-cased, or its spelling from letterMap.
func writeLetter(b *strings.Builder, r rune) {
	// Case folding maps Cherokee to upper case; lower-casing after it keeps
	// Fold idempotent.
	r = unicode.ToLower(r)
	if m, ok := letterMap[r]; ok {
		b.WriteString(m)
		return
	}
	b.WriteRune(r)
}

// Words returns the words of Fold(s) in order of first appearance, without
// duplicates. A word is a maximal run of letters and digits; everything else
// (hyphens, apostrophes, punctuation, symbols, emoji) separates words.
func Words(s string) []string {
	fields := strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return dedupe(fields)
}

// dedupe removes empty strings and repeats from ss, keeping the first
// occurrence of each, in place.
func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// truncate cuts s to at most MaxTokenBytes bytes without splitting a rune.
func truncate(s string) string {
	if len(s) <= MaxTokenBytes {
		return s
	}
	i := MaxTokenBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// truncateAll truncates every string of ss, then dedupes.
func truncateAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = truncate(s)
	}
	return dedupe(ss)
}
