package textsearch

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQueryTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"PhoneNational", "06 12 34", []string{"061234"}},
		{"PhoneInternational", "+33 6 12", []string{"33612"}},
		{"PhoneDoubleZero", "0033 6 12", []string{"33612"}},
		{"PhoneTrunkInBrackets", "+33 (0)6 12", []string{"33612"}},
		{"PhoneDotted", "06.12.34.56.78", []string{"0612345678"}},
		{"PhoneDashesAndBrackets", "(01) 42-68", []string{"014268"}},
		{"PhoneFullWidth", "０６ １２", []string{"0612"}},
		{"OneDigitIsAWord", "7", []string{"7"}},
		{"DigitsWithLettersAreWords", "12 rue de la Paix", []string{"12", "rue", "de", "la", "paix"}},
		{"AccentsAndCapitals", "Mél LOUB", []string{"mel", "loub"}},
		{"Hyphenated", "Jean-Pierre", []string{"jean", "pierre"}},
		{"Apostrophe", "N'Diaye", []string{"n", "diaye"}},
		{"TurkishDotlessI", "Kılıç", []string{"kilic"}},
		{"Ligature", "bœuf", []string{"boeuf"}},
		{"PrefixOfLaterTermDropped", "jean jeanne", []string{"jeanne"}},
		{"PrefixOfEarlierTermDropped", "jeanne jean", []string{"jeanne"}},
		{"Deduped", "Dupont dupont DUPONT", []string{"dupont"}},
		{"EmailWhole", "Jean.Dupont@Exemple.fr", []string{"jean.dupont@exemple.fr"}},
		{"EmailPrefix", "jean@ex dupont", []string{"jean@ex", "dupont"}},
		{"EmailWrapped", "<jean@exemple.fr>,", []string{"jean@exemple.fr"}},
		{"EmailInGuillemets", "«jean@exemple.fr»", []string{"jean@exemple.fr"}},
		{"WordPrefixOfEmailDropped", "jean jean@ex", []string{"jean@ex"}},
		{"DomainOnlyGivesWords", "@exemple.fr", []string{"exemple", "fr"}},
		{"EmojisDropped", "Zoé 🎉", []string{"zoe"}},
		{"CappedAtEight", "a b c d e f g h i j", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"LongTermTruncated", strings.Repeat("x", 100), []string{strings.Repeat("x", MaxTokenBytes)}},
		{"OnlyEmoji", "🎉", nil},
		{"OnlySpaces", "   ", nil},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := QueryTerms(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("QueryTerms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestQueryFindsEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stored, query string
	}{
		{"Prefix", "jean.dupont@exemple.fr", "jean.dup"},
		{"WithAt", "jean.dupont@exemple.fr", "Jean.Dupont@Exe"},
		{"Accented", "josé@exemple.fr", "JOSÉ@exemple"},
		{"Apostrophe", "o'neil@exemple.fr", "o'neil@ex"},
		{"Domain", "jean.dupont@exemple.fr", "@exemple.fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tokens := EmailTokens(tt.stored)
			for _, term := range QueryTerms(tt.query) {
				if !anyHasPrefix(tokens, term) {
					t.Errorf("term %q of %q is no prefix of %q", term, tt.query, tokens)
				}
			}
		})
	}
}

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"Empty", "", ""},
		{"ASCII", "abc", "abd"},
		{"LastASCIILetter", "az", "a{"},
		{"Accented", "mél", "mém"},
		{"TwoByteRune", "é", "ê"},
		{"ContinuationByteAtMax", "п", "р"}, // D0 BF gives D1 80, not invalid D0 C0
		{"Delete", "\x7f", "\u0080"},
		{"BeforeSurrogates", "\uD7FF", "\uE000"},
		{"MaxRuneDropped", "a\U0010FFFF", "b"},
		{"OnlyMaxRunes", "\U0010FFFF\U0010FFFF", ""},
		{"InvalidUTF8Bytewise", "a\xc3", "a\xc4"},
		{"TrailingFFDropped", "a\xff\xff", "b"},
		{"OnlyFF", "\xff\xff", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PrefixEnd(tt.in); got != tt.want {
				t.Errorf("PrefixEnd(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestPrefixEndBoundsExactlyThePrefixed checks, on generated strings, that
// [p, PrefixEnd(p)) holds every string with prefix p and no other string of
// the same kind (valid UTF-8 for a valid p, any bytes otherwise).
func TestPrefixEndBoundsExactlyThePrefixed(t *testing.T) {
	t.Parallel()
	g := newGen(t)
	for range 20000 {
		p := g.bytes(g.string())
		end := PrefixEnd(p)
		if utf8.ValidString(p) && !utf8.ValidString(end) {
			t.Fatalf("PrefixEnd(%q) = %q, invalid UTF-8", p, end)
		}
		for _, s := range g.neighbours(p, end) {
			if utf8.ValidString(p) && !utf8.ValidString(s) {
				continue
			}
			in := s >= p && (end == "" || s < end)
			if in != strings.HasPrefix(s, p) {
				t.Fatalf("p=%q end=%q s=%q: in range %v, has prefix %v", p, end, s, in, !in)
			}
		}
	}
}
