package textsearch

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// gen makes reproducible test strings from pieces chosen to hit the corners
// of Fold: accents, ligatures, case pairs, apostrophes, marks, format
// characters, emoji, digits, invalid bytes, and now and then any rune.
type gen struct{ r *rand.Rand }

func newGen(t *testing.T) gen {
	return gen{rand.New(rand.NewPCG(1, uint64(len(t.Name()))))}
}

var pieces = []string{
	"a", "jean", "Pierre", "é", "É", "e\u0301", "Œ", "œ", "æ", "ß", "ẞ", "ø", "Ł", "đ",
	"ı", "İ", "I", "ç", "ñ", "'", "’", "ʼ", "-", " ", "\t", "\u00a0", ".", "@", "+",
	"(", ")", "0", "6", "9", "²", "½", "ﬁ", "ǅ", "Ⅻ", "α", "Σ", "ς", "п", "Ꭰ", "ꭰ",
	"가", "ｶ", "\u00ad", "\u200d", "\ufe0f", "\u0301", "🎉", "👍🏽", "\x00", "\xff", "\xc3",
}

// string returns up to 12 pieces, one in ten being a random rune.
func (g gen) string() string {
	var b strings.Builder
	for range g.r.IntN(13) {
		if g.r.IntN(10) == 0 {
			b.WriteRune(rune(g.r.IntN(utf8.MaxRune + 1)))
			continue
		}
		b.WriteString(pieces[g.r.IntN(len(pieces))])
	}
	return b.String()
}

// bytes returns s, or half the time s cut at a random byte.
func (g gen) bytes(s string) string {
	if s == "" || g.r.IntN(2) == 0 {
		return s
	}
	return s[:g.r.IntN(len(s)+1)]
}

// neighbours returns strings around the range [p, end): extensions of p,
// prefixes of p with other endings, end itself and strings around it. They
// are valid UTF-8 when p is.
func (g gen) neighbours(p, end string) []string {
	valid := utf8.ValidString(p)
	out := []string{p, end, end + "a", p + g.string()}
	for i := 0; i <= len(p); i++ {
		if valid && i < len(p) && !utf8.RuneStart(p[i]) {
			continue
		}
		out = append(out, p[:i]+g.string(), p[:i]+string(rune(g.r.IntN(utf8.MaxRune+1))))
	}
	if !valid {
		out = append(out, p+"\xff", p[:len(p)-1]+"\xff")
	}
	return out
}

// TestQueryPrefixFindsName is the promise of search-as-you-type: typing any
// beginning of any word of a name finds the name.
func TestQueryPrefixFindsName(t *testing.T) {
	t.Parallel()
	g := newGen(t)
	for range 5000 {
		checkQueryPrefixFindsName(t, g.string())
	}
}

// checkQueryPrefixFindsName checks that for every word w of s and every
// non-empty prefix x of Fold(w) that does not look like a phone number,
// QueryTerms(x)[0] is a prefix of a token of NameTokens(s).
func checkQueryPrefixFindsName(t *testing.T, s string) {
	t.Helper()
	tokens := NameTokens(s)
	for _, w := range Words(s) {
		f := Fold(w)
		for i := range f {
			if i > MaxTokenBytes+utf8.UTFMax {
				break // longer prefixes give the same truncated term
			}
			_, size := utf8.DecodeRuneInString(f[i:])
			x := f[:i+size]
			if _, phone := phoneTerm(x); phone {
				continue
			}
			terms := QueryTerms(x)
			if len(terms) == 0 || !anyHasPrefix(tokens, terms[0]) {
				t.Fatalf("s=%q: QueryTerms(%q) = %q, no prefix of %q", s, x, terms, tokens)
			}
		}
	}
}
