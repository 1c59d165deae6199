package textsearch

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Seeds beyond these live in testdata/fuzz/<FuzzName>/.
var fuzzSeeds = []string{
	"Mélanie LOUBET", "Œuvre d'Art", "Jean-Pierre N’Diaye", "Kılıç İstanbul",
	"Straße", "Zoé 🎉", "06 12 34 56 78", "+33 (0)6 12", "jean.dupont@exemple.fr",
	"Mé\u00adlanie", "\xff\xfe", "Ꭰꭰ", "", " ",
}

func FuzzFold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := Fold(s)
		checkFolded(t, s, folded)
		for _, w := range Words(s) {
			if w == "" || strings.ContainsFunc(w, notWordRune) {
				t.Errorf("Words(%q) holds %q", s, w)
			}
		}
		checkQueryPrefixFindsName(t, s)
	})
}

func checkFolded(t *testing.T, s, folded string) {
	t.Helper()
	switch {
	case !utf8.ValidString(folded):
		t.Errorf("Fold(%q) = %q, invalid UTF-8", s, folded)
	case Fold(folded) != folded:
		t.Errorf("Fold(%q) = %q, Fold of that = %q", s, folded, Fold(folded))
	case strings.HasPrefix(folded, " ") || strings.HasSuffix(folded, " ") || strings.Contains(folded, "  "):
		t.Errorf("Fold(%q) = %q, white space not collapsed", s, folded)
	case strings.ContainsFunc(folded, unicode.IsControl):
		t.Errorf("Fold(%q) = %q, holds a control character", s, folded)
	}
}

func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func FuzzQueryTerms(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		checkFolded(t, q, Fold(q))
		terms := QueryTerms(q)
		if len(terms) > MaxQueryTerms {
			t.Errorf("QueryTerms(%q) = %d terms", q, len(terms))
		}
		for i, term := range terms {
			checkTerm(t, q, term)
			for j, other := range terms {
				if i != j && strings.HasPrefix(other, term) {
					t.Errorf("QueryTerms(%q): %q is a prefix of %q", q, term, other)
				}
			}
		}
	})
}

// checkTerm checks that term can be bound to a PostgreSQL text parameter and
// that its PrefixEnd range is non-empty.
func checkTerm(t *testing.T, q, term string) {
	t.Helper()
	if term == "" || len(term) > MaxTokenBytes || !utf8.ValidString(term) || strings.Contains(term, "\x00") {
		t.Errorf("QueryTerms(%q) holds %q", q, term)
	}
	if end := PrefixEnd(term); end <= term || !utf8.ValidString(end) {
		t.Errorf("PrefixEnd(%q) = %q", term, end)
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"06 12 34 56 78", "+33 (0)6 12 34 56 78", "0692 12 34 56", "+44 20 7946 0958",
		"12", "0033612345678", "tel: 01.42.68.53.00 poste 12", "+",
	} {
		f.Add(s, "FR")
	}
	f.Add("06 12 34 56 78", "RE")
	f.Add("+1 202 555 0100", "")
	f.Fuzz(func(t *testing.T, raw, region string) {
		e164, ok := NormalizePhone(raw, region)
		if !ok {
			return
		}
		if len(e164) < 2 || e164[0] != '+' || digits(e164) != e164[1:] {
			t.Fatalf("NormalizePhone(%q, %q) = %q, not E.164", raw, region, e164)
		}
		if again, ok := NormalizePhone(e164, region); !ok || again != e164 {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v, want it unchanged", e164, region, again, ok)
		}
		if tokens := PhoneTokens(e164, region); len(tokens) == 0 || tokens[0] != e164[1:] {
			t.Errorf("PhoneTokens(%q, %q) = %q", e164, region, tokens)
		}
	})
}
