package textsearch

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxQueryTerms bounds the number of terms QueryTerms returns.
const MaxQueryTerms = 8

// emailTrim holds what may wrap an address typed in a query:
// "<jean@exemple.fr>", « jean@exemple.fr », "jean@exemple.fr,".
const emailTrim = "<>()[]{},;:!?.\"'`«»‹›“”‘’"

// QueryTerms turns a user query into the prefix terms to match against
// tokens, in order of first appearance:
//
//   - a query that looks like a phone number (only digits, spaces and
//     "+.-()", at least two digits) gives one term, its digits: "06 12 34"
//     gives "061234", "+33 6 12" gives "33612"; a leading "00" international
//     prefix is dropped ("0033 6" gives "336") and so is the "(0)" of
//     "+33 (0)6";
//   - otherwise each white-space separated word holding an '@' after its
//     first character gives itself, folded and stripped of surrounding
//     punctuation, to match EmailTokens' whole address;
//   - every other word gives its Words ("@exemple.fr" gives "exemple", "fr").
//
// Terms are cut to MaxTokenBytes and deduped; a term that is a prefix of
// another is dropped: a token matching the longer term matches the shorter
// too, so when every term must match, the shorter adds nothing. At most
// MaxQueryTerms are kept; nil when the query has no term.
func QueryTerms(q string) []string {
	if t, ok := phoneTerm(q); ok {
		return []string{t}
	}
	var terms []string
	for _, f := range strings.Fields(q) {
		terms = append(terms, fieldTerms(f)...)
	}
	terms = dropPrefixes(truncateAll(terms))
	if len(terms) > MaxQueryTerms {
		terms = terms[:MaxQueryTerms]
	}
	return terms
}

// phoneTerm returns the digits of q when q looks like a phone number.
func phoneTerm(q string) (string, bool) {
	f := Fold(q)
	d := digits(f)
	if len(d) < 2 || strings.ContainsFunc(f, notPhoneRune) {
		return "", false
	}
	if strings.HasPrefix(f, "+") || strings.HasPrefix(d, "00") {
		d = digits(strings.ReplaceAll(f, "(0)", ""))
	}
	if len(d) > 2 && strings.HasPrefix(d, "00") {
		d = d[2:]
	}
	if d == "" {
		return "", false
	}
	return truncate(d), true
}

func notPhoneRune(r rune) bool {
	return (r < '0' || r > '9') && !strings.ContainsRune(" +.-()", r)
}

// fieldTerms returns the terms of one white-space separated word of a query.
func fieldTerms(f string) []string {
	t := Fold(strings.Trim(f, emailTrim))
	if strings.IndexByte(t, '@') > 0 {
		return []string{t}
	}
	return Words(f)
}

// dropPrefixes removes from terms, which has no duplicates, every term that
// is a prefix of another, keeping the order. Sorting puts a term right
// before the terms it prefixes, so this is O(n log n) however long the query.
func dropPrefixes(terms []string) []string {
	sorted := slices.Sorted(slices.Values(terms))
	prefix := make(map[string]bool)
	for i := 0; i+1 < len(sorted); i++ {
		if strings.HasPrefix(sorted[i+1], sorted[i]) {
			prefix[sorted[i]] = true
		}
	}
	return slices.DeleteFunc(terms, func(t string) bool { return prefix[t] })
}

// PrefixEnd returns the upper bound of the range of strings that start with
// p: every string s with prefix p satisfies p <= s < PrefixEnd(p) in byte
// order, so a prefix match is token >= p AND token < PrefixEnd(p). The empty
// string means "no upper bound": it is returned for an empty p, and for a p
// made only of 0xFF bytes or U+10FFFF runes, which no string can exceed while
// keeping the prefix.
//
// For valid UTF-8, PrefixEnd increments the last rune that is not U+10FFFF
// (skipping surrogates) and drops what follows it, giving the smallest valid
// UTF-8 bound; it equals the byte-wise bound whenever that one is valid
// UTF-8, and PostgreSQL rejects text that is not ("п" ends in byte 0xBF,
// whose byte-wise successor 0xC0 is never valid). For invalid UTF-8 it
// increments the last byte below 0xFF and drops what follows it.
func PrefixEnd(p string) string {
	if utf8.ValidString(p) {
		return runeSuccessor(p)
	}
	return byteSuccessor(p)
}

func runeSuccessor(p string) string {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch r {
		case utf8.MaxRune:
			continue
		case 0xD7FF: // the next code points, up to 0xDFFF, are surrogates
			r = 0xE000
		default:
			r++
		}
		return p + string(r)
	}
	return ""
}

func byteSuccessor(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
