package textsearch

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NameTokens returns the index tokens for a name made of parts (first name,
// last name, organisation name…): the Words of every part, then, for every
// white-space separated field of a part that holds several words, those
// words joined ("N'Diaye" gives "n", "diaye" and "ndiaye"; "Jean-Pierre"
// gives "jean", "pierre" and "jeanpierre"), so that a query typed without the
// hyphen or apostrophe still finds the name. Tokens are cut to MaxTokenBytes,
// deduped, in order of first appearance; nil when there is none.
func NameTokens(parts ...string) []string {
	var tokens []string
	for _, p := range parts {
		tokens = append(tokens, Words(p)...)
	}
	for _, p := range parts {
		for _, f := range strings.Fields(p) {
			if w := Words(f); len(w) > 1 {
				tokens = append(tokens, strings.Join(w, ""))
			}
		}
	}
	return truncateAll(tokens)
}

// EmailTokens returns the index tokens for an e-mail address: the folded
// normalised address as a whole (matched by queries typed with an '@'), then
// its Words. An address that NormalizeEmail rejects only gives its Words.
func EmailTokens(email string) []string {
	norm, ok := NormalizeEmail(email)
	if !ok {
		return truncateAll(Words(email))
	}
	tokens := append([]string{Fold(norm)}, Words(norm)...)
	return truncateAll(tokens)
}

// maxEmailBytes is the longest address SMTP can carry (RFC 5321 path limit).
const maxEmailBytes = 254

// NormalizeEmail returns s trimmed and lower-cased as a whole (local part
// included, which is good enough for duplicate detection), and whether it
// passes a basic check: valid UTF-8, at most 254 bytes, exactly one '@', a
// non-empty local part, a domain with a dot that neither starts nor ends it
// nor follows another dot, and no white space or control character.
func NormalizeEmail(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > maxEmailBytes || strings.ContainsFunc(s, isSpaceOrControl) {
		return "", false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") || !validDomain(domain) {
		return "", false
	}
	return s, true
}

func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

func validDomain(d string) bool {
	return strings.Contains(d, ".") &&
		!strings.HasPrefix(d, ".") && !strings.HasSuffix(d, ".") &&
		!strings.Contains(d, "..")
}

// ContactTokens returns every index token of a contact: NameTokens of the
// first and last names, EmailTokens when email is not empty, PhoneTokens when
// phoneE164 is not empty, deduped and sorted in byte order.
func ContactTokens(firstName, lastName, email, phoneE164, region string) []string {
	tokens := NameTokens(firstName, lastName)
	if email != "" {
		tokens = append(tokens, EmailTokens(email)...)
	}
	if phoneE164 != "" {
		tokens = append(tokens, PhoneTokens(phoneE164, region)...)
	}
	slices.Sort(tokens)
	return slices.Compact(tokens)
}
